import type { Context, MiddlewareHandler } from 'hono';
import type { NewAuditEntry } from '../db/records';
import type { Store } from '../db/store';
import type { Logger } from '../lib/logger';
import { actorOf } from './auth';
import type { AppEnv, AuditedAction } from './context';

/**
 * Every state-changing request that succeeds leaves one entry in the audit trail: who (the
 * organisation and its key id, or the operator), what, on which object, before and after, the run
 * it started. The entry can never be missing for a change that was made:
 *
 * - a route makes its database change and the entry in one transaction with auditedChange():
 *   both are committed or neither, so an entry that cannot be written undoes the change and the
 *   client gets a 500 it may repeat;
 * - where the change happens in Temporal (a run started, signalled or updated), which no database
 *   transaction reaches, the route records the request with auditedChange() *before* the call
 *   (write-ahead). If the call then fails, the trail holds a request that had no effect — never an
 *   effect without its request. The run's own steps are recorded by the worker.
 *
 * A route that says nothing, or says it afterwards with recordAction(), is recorded after it
 * answered, by its method and path or by what it said; if that entry cannot be written the answer
 * becomes a 500 instead of the success, so the client repeats the (idempotent) request and the
 * repeat is recorded.
 */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function entryOf(c: Context<AppEnv>, action: AuditedAction): NewAuditEntry {
  const peer = c.get('peer');
  const actor = peer ? `instance:${peer}` : actorOf(c.get('principal'));
  return { actor, keyId: c.get('keyId'), requestId: c.get('requestId'), ...action };
}

/** Makes `change` and its audit entry one transaction; every store call inside `change` joins it. */
export async function auditedChange<T>(c: Context<AppEnv>, store: Store, change: () => Promise<T>, describe: (result: T) => AuditedAction): Promise<T> {
  const result = await store.recordWithAudit(change, (r) => entryOf(c, describe(r)));
  c.set('audited', true);
  return result;
}

/** Records a request before the Temporal call that carries it out (see above). */
export function auditedRequest(c: Context<AppEnv>, store: Store, action: AuditedAction): Promise<void> {
  return auditedChange(c, store, async () => undefined, () => action);
}

/** What a route did, recorded after it answered (for routes whose change no transaction of ours covers). */
export function recordAction(c: Context<AppEnv>, action: AuditedAction): void {
  c.set('audit', action);
}

export function auditTrail(store: Store, log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (!STATE_CHANGING.has(c.req.method) || c.res.status >= 300 || c.get('audited')) return;
    const action = c.get('audit') ?? { action: `${c.req.method} ${c.req.path}`, object: c.req.path };
    try {
      await store.appendAudit(entryOf(c, action));
    } catch (err) {
      log.error({ requestId: c.get('requestId'), action: action.action, object: action.object, err }, 'audit entry not recorded; answering 500 so the request is repeated');
      throw err;
    }
  };
}
