import type { MiddlewareHandler } from 'hono';
import { DvctError } from '../domain/errors';
import type { AppEnv } from './context';

/**
 * A known path asked with a method it does not have answers 405 with `Allow` — before
 * authentication and body checks, which would otherwise answer 401 or 415 for a request that
 * could never succeed. Unknown paths go on to the usual 404.
 */
export type AllowedMethods = (path: string) => string[] | null;

/** The methods of every route, by path pattern (`/v1/contracts/:id`); HEAD goes with GET. */
export function allowedMethodsOf(routes: readonly { method: string; path: string }[]): AllowedMethods {
  const byPattern = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const { method, path } of routes) {
    if (method === 'ALL' || path.includes('*')) continue;
    let entry = byPattern.get(path);
    if (!entry) {
      const source = path.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      entry = { pattern: new RegExp(`^${source.join('/')}/?$`), methods: new Set() };
      byPattern.set(path, entry);
    }
    entry.methods.add(method);
    if (method === 'GET') entry.methods.add('HEAD');
  }
  const entries = [...byPattern.values()];
  return (path) => {
    const methods = entries.filter((e) => e.pattern.test(path)).flatMap((e) => [...e.methods]);
    return methods.length > 0 ? [...new Set(methods)].sort() : null;
  };
}

export function methodNotAllowed(allowed: () => AllowedMethods): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const methods = allowed()(c.req.path);
    if (methods && !methods.includes(c.req.method)) {
      c.header('allow', methods.join(', '));
      throw new DvctError('METHOD_NOT_ALLOWED', `${c.req.path} does not take ${c.req.method}; it takes ${methods.join(', ')}.`);
    }
    return next();
  };
}
