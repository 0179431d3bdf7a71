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
  return {
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
  };
}
