import { z, type Hook } from '@hono/zod-openapi';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { DvctError, ERRORS, type ErrorCode } from '../domain/errors';
import type { Logger } from '../lib/logger';
import type { AppEnv } from './context';

/**
 * The one error format of the API: RFC 9457 problem details, for every 4xx and 5xx. The `code`
 * is the name from the domain's error catalogue, so the same word an operator reads here is the
 * one they find in a Temporal failure or an exchange's stored error.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const DEPENDENCY_RETRY_AFTER_SECONDS = 1;

export interface FieldError {
  /** Where the problem is: `prevDataId`, `parties[0].roles`, or `` for the value as a whole. */
  path: string;
  message: string;
}

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:dvct:error:validation-failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'Each invalid field, for VALIDATION_FAILED.' }),
    requestId: z.string().openapi({ description: 'Also in the x-request-id header; quote it when reporting a problem.' }),
  })
  .openapi('Problem');

type Problem = z.infer<typeof problemSchema>;

function problemType(code: ErrorCode): string {
  return `urn:dvct:error:${code.toLowerCase().replaceAll('_', '-')}`;
}

/** A VALIDATION_FAILED error that carries the field list the problem body shows. */
function validationFailed(detail: string, errors: FieldError[]): DvctError {
  return new DvctError('VALIDATION_FAILED', detail, { errors });
}

/** The field list of a VALIDATION_FAILED: ours, or the one field a domain check names (amounts do). */
function fieldErrorsOf(err: DvctError): FieldError[] | undefined {
  if (err.code !== 'VALIDATION_FAILED') return undefined;
  const details = err.details as { errors?: unknown; field?: unknown } | undefined;
  if (Array.isArray(details?.errors)) return details.errors as FieldError[];
  return typeof details?.field === 'string' ? [{ path: details.field, message: err.message }] : undefined;
}

function problemResponse(c: Context<AppEnv>, code: ErrorCode, detail: string, errors?: FieldError[]): Response {
  const { status, title } = ERRORS[code];
  const body: Problem = { type: problemType(code), title, status, detail, code, requestId: c.get('requestId') };
  if (errors?.length) body.errors = errors;
  return c.body(JSON.stringify(body), status as ContentfulStatusCode, { 'content-type': PROBLEM_CONTENT_TYPE });
}

/** Hono's own exceptions (body parsing, media type gates) mapped to the catalogue code with the same status. */
function codeForStatus(status: number): ErrorCode {
  const match = (Object.keys(ERRORS) as ErrorCode[]).find((code) => ERRORS[code].status === status);
  return match ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED');
}

export function createErrorHandler(log: Logger): ErrorHandler<AppEnv> {
  return (err, c) => {
    if (err instanceof DvctError) {
      // A 5xx DvctError is a component failing under us: the log keeps its cause, the client gets the code.
      if (ERRORS[err.code].status >= 500) log.warn({ requestId: c.get('requestId'), code: err.code, err }, err.message);
      // A dependency that is down now may be back in a moment: say when to try again.
      if (err.code === 'DEPENDENCY_UNAVAILABLE') c.header('retry-after', String(DEPENDENCY_RETRY_AFTER_SECONDS));
      return problemResponse(c, err.code, err.message, fieldErrorsOf(err));
    }
    if (err instanceof HTTPException && err.status < 500) {
      return problemResponse(c, codeForStatus(err.status), err.message);
    }
    log.error({ requestId: c.get('requestId'), err }, 'unhandled error');
    return problemResponse(c, 'INTERNAL', `Something went wrong on our side; quote request id ${c.get('requestId')} when reporting it.`);
  };
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  problemResponse(c, 'NOT_FOUND', `There is no ${c.req.method} ${c.req.path}.`);

// ---- zod issues → field errors ----

type ZodIssue = ZodError['issues'][number];

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

function fieldErrorsOfIssue(issue: ZodIssue): FieldError[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'Unknown field: not allowed here' }));
  }
  if (issue.code === 'invalid_union') {
    // zod says only "Invalid input" for a union; name the shapes that would have been accepted.
    const expected = issue.errors.flatMap((branch) =>
      branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0 ? [branch[0].expected] : [],
    );
    if (expected.length === issue.errors.length && expected.length > 0) {
      return [{ path, message: `Invalid input: expected ${expected.join(' or ')}` }];
    }
  }
  return [{ path, message: issue.message }];
}

const TARGET_NAMES: Record<string, string> = {
  json: 'The request body',
  query: 'The query string',
  param: 'The path',
  header: 'A request header',
};

/** The defaultHook of every router: a failed zod validation becomes a 400 naming each field. */
export const validationHook: Hook<unknown, AppEnv, string, void> = (result) => {
  if (result.success) return;
  const errors = result.error.issues.flatMap(fieldErrorsOfIssue);
  const where = TARGET_NAMES[result.target] ?? 'The request';
  const summary = errors.map((e) => `${e.path || '(whole value)'}: ${e.message}`).join('; ');
  throw validationFailed(`${where} is not valid: ${summary}`, errors);
};
