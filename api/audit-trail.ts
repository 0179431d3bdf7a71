import type { Context, MiddlewareHandler } from 'hono';
import type { Store } from '../db/store';
import type { Logger } from '../lib/logger';
import { actorOf } from './auth';
import type { AppEnv, AuditedAction } from './context';

/**
 * Every state-changing request that succeeds leaves one entry in the audit trail: who (the
 * organisation and its key id, or the operator), what, on which object, before and after, the run
 * it started. Routes say what they did with recordAction(); a route that says nothing is still
 * recorded, by its method and path.
 */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function recordAction(c: Context<AppEnv>, action: AuditedAction): void {
  c.set('audit', action);
}

export function auditTrail(store: Store, log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (!STATE_CHANGING.has(c.req.method) || c.res.status >= 300) return;
    const peer = c.get('peer');
    const actor = peer ? `instance:${peer}` : actorOf(c.get('principal'));
    const action = c.get('audit') ?? { action: `${c.req.method} ${c.req.path}`, object: c.req.path };
    try {
      await store.appendAudit({ actor, keyId: c.get('keyId'), requestId: c.get('requestId'), ...action });
    } catch (err) {
      // The change is made and answered; the trail missing it is an operator's alarm, not the client's error.
      log.error({ requestId: c.get('requestId'), action: action.action, object: action.object, err }, 'audit entry not recorded');
    }
  };
}
