import { ConnectionException, DriverException, LockWaitTimeoutException } from '@mikro-orm/core';
import { DvctError } from '../domain/errors';
import type { Orm } from './orm';
import { accessStore, type AccessStore } from './store/access';
import { auditStore, type AuditStore } from './store/audit';
import { contractStore, type ContractStore } from './store/contracts';
import { distributionStore, type DistributionStore } from './store/distribution';
import { exchangeStore, type ExchangeStore } from './store/exchanges';
import { incidentStore, type IncidentStore } from './store/incidents';
import { lineageStore, type LineageStore } from './store/lineage';
import { nodeStore, type NodeStore } from './store/nodes';
import { notificationStore, type NotificationStore } from './store/notifications';
import { participantStore, type ParticipantStore } from './store/participants';
import { peerUpdateStore, type PeerUpdateStore } from './store/peer-updates';
import { reconciliationStore, type ReconciliationStore } from './store/reconciliation';

export type * from './records';
export type { IncidentFilter } from './store/incidents';
export type { PeerUpdateRecord } from './store/peer-updates';

/**
 * Every database operation of the app, on plain domain objects. Each method forks its own
 * EntityManager, so one Store serves concurrent requests and activities; idempotent writes rest on
 * unique constraints, so they stay single across processes too.
 */
export type Store = ParticipantStore &
  AccessStore &
  AuditStore &
  ContractStore &
  ExchangeStore &
  NodeStore &
  LineageStore &
  DistributionStore &
  NotificationStore &
  IncidentStore &
  ReconciliationStore &
  PeerUpdateStore;

export function createStore(orm: Orm): Store {
  return reportingUnavailability(orm, {
    ...participantStore(orm),
    ...accessStore(orm),
    ...auditStore(orm),
    ...contractStore(orm),
    ...exchangeStore(orm),
    ...nodeStore(orm),
    ...lineageStore(orm),
    ...distributionStore(orm),
    ...notificationStore(orm),
    ...incidentStore(orm),
    ...reconciliationStore(orm),
    ...peerUpdateStore(orm),
  });
}

/**
 * A database that is busy past its lock timeout, or unreachable, is a dependency down, not a bug:
 * every method reports it as DEPENDENCY_UNAVAILABLE (retryable), so the API answers 503 with
 * Retry-After and an activity retries, instead of a 500 INTERNAL.
 */
function reportingUnavailability(orm: Orm, store: Store): Store {
  const driver = orm.em.getDriver();
  const unavailable = (error: unknown): DvctError | undefined => {
    if (!(error instanceof Error) || error instanceof DvctError) return undefined;
    const converted = error instanceof DriverException ? error : driver.convertException(error);
    if (!(converted instanceof LockWaitTimeoutException || converted instanceof ConnectionException)) return undefined;
    return new DvctError('DEPENDENCY_UNAVAILABLE', 'The database is busy or unreachable; retry in a moment', { cause: converted.message });
  };
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(store)) {
    wrapped[name] =
      typeof method === 'function'
        ? (...args: unknown[]) =>
            (method as (...a: unknown[]) => Promise<unknown>).apply(store, args).catch((error: unknown) => {
              throw unavailable(error) ?? error;
            })
        : method;
  }
  return wrapped as unknown as Store;
}
