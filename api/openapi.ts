import type { z } from '@hono/zod-openapi';
import { PROBLEM_CONTENT_TYPE, problemSchema } from './errors';

/** Small builders that keep the route definitions short and every error response documented the same way. */

const PROBLEM_DESCRIPTIONS = {
  400: 'VALIDATION_FAILED (each invalid field named in `errors`) or MALFORMED_JSON',
  401: 'UNAUTHENTICATED: no API key, or not a valid one',
  403: 'FORBIDDEN: the key is valid but no grant in effect lets it do this (the detail names the grant missing or outside its period)',
  404: 'NOT_FOUND: no such resource, or not one the caller\'s organisation is a party to',
  409: 'CONFLICT or IDEMPOTENCY_KEY_REUSED',
  413: 'PAYLOAD_TOO_LARGE: bodies are limited to 1 MiB',
  415: 'UNSUPPORTED_MEDIA_TYPE: send `content-type: application/json`',
  422: 'The request is well-formed but the domain refuses it (e.g. NO_REWARD_POOL)',
  429: 'RATE_LIMITED: too many requests from this key; retry after `Retry-After` seconds',
  500: 'INTERNAL: logged under the request id',
  503: 'DEPENDENCY_UNAVAILABLE: Temporal, the database or the chain did not answer; retry',
} as const;

type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

interface ProblemResponse {
  description: string;
  content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof problemSchema } };
}

/** Every /v1 route can answer these: no key, a key without the grant, an object outside its scope, too many requests, a fault. */
const ALWAYS = [401, 403, 404, 429, 500] as const;
type Always = (typeof ALWAYS)[number];

/** Problem responses for the given statuses and those every /v1 route can answer. */
export function problems<S extends ProblemStatus>(...statuses: S[]): Record<S | Always, ProblemResponse> {
  const out = {} as Record<S | Always, ProblemResponse>;
  for (const status of [...statuses, ...ALWAYS]) {
    out[status] = { description: PROBLEM_DESCRIPTIONS[status], content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } };
  }
  return out;
}

/** The statuses any route with a JSON body can answer before its handler runs. */
export const BODY_PROBLEMS = [400, 413, 415] as const;

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T, description: string) {
  return { required: true, description, content: { 'application/json': { schema } } };
}

export const BEARER_AUTH = 'bearerAuth';
export const authenticated = [{ [BEARER_AUTH]: [] }];
export const PEER_SIGNATURE = 'peerSignature';
export const signedByPeer = [{ [PEER_SIGNATURE]: [] }];

export const UNKNOWN_FIELDS_NOTE = 'Unknown fields are rejected with 400 VALIDATION_FAILED naming the field.';
