import type { MiddlewareHandler } from 'hono';
import { DvctError } from '../domain/errors';
import { hasControlCharacters } from '../domain/schemas';
import type { AppEnv } from './context';

/**
 * No path segment or query parameter of the API may carry a control character: no id, filter or
 * cursor has one, and a NUL reaching the database driver breaks the statement (a 500 instead of
 * the caller's mistake). Checked once here, for every route, so a new route cannot forget it.
 */
export const refuseControlCharacters: MiddlewareHandler<AppEnv> = async (c, next) => {
  const errors: { path: string; message: string }[] = [];
  if (hasControlCharacters(decodedPath(c.req.path))) errors.push({ path: 'path', message: 'must not contain control characters' });
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (values.some(hasControlCharacters) || hasControlCharacters(name)) errors.push({ path: name, message: 'must not contain control characters' });
  }
  if (errors.length > 0) {
    throw new DvctError('VALIDATION_FAILED', `The request's ${errors.map((e) => e.path).join(', ')} must not contain control characters`, { errors });
  }
  return next();
};

/** Routing decodes path segments before they become parameters, so the check looks at them decoded. */
function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path; // not valid percent-encoding: nothing a route will decode into a control character
  }
}
