import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { DvctError } from '../domain/errors';
import type { AppEnv } from './context';

/**
 * Every body the API accepts is JSON of at most 1 MiB. Checked here, before any route, so each
 * failure has its own status and code: 413 too large, 415 not JSON, 400 MALFORMED_JSON. The body
 * text stays cached on the request, where the route's validator reads it again.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

export const limitBody: MiddlewareHandler<AppEnv> = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new DvctError('PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
  },
});

export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!METHODS_WITH_BODY.has(c.req.method)) return next();
  const contentType = c.req.header('content-type') ?? '';
  const mediaType = contentType.split(';')[0]!.trim();
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new DvctError('UNSUPPORTED_MEDIA_TYPE', `Send the body as application/json (got ${contentType ? `"${mediaType}"` : 'no content-type'}).`);
  }
  try {
    JSON.parse(await c.req.text());
  } catch (err) {
    throw new DvctError('MALFORMED_JSON', `The body is not valid JSON: ${err instanceof Error ? err.message : String(err)}.`);
  }
  return next();
};
