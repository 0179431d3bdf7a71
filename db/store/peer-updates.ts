import { PeerUpdate, type PeerUpdateRow } from '../entities/peer-update';
import type { Orm } from '../orm';
import { insertOnce, session } from './support';

export interface PeerUpdateRecord {
  requestId: string;
  exchangeId: string;
  peerInstanceId: string;
  parentNodeId: string;
  childNodeId: string;
  depth: number;
  status: 'pending' | 'delivered';
  attempts: number;
  lastError: string | null;
  peerWorkflowId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewPeerUpdate = Pick<PeerUpdateRecord, 'requestId' | 'exchangeId' | 'peerInstanceId' | 'parentNodeId' | 'childNodeId' | 'depth'>;

export interface PeerUpdateStore {
  /** Records one attempt to hand the update to its peer (the row is created by the first). */
  recordPeerAttempt(u: NewPeerUpdate, outcome: { delivered: true; peerWorkflowId: string } | { delivered: false; error: string }): Promise<void>;
  /** Every outgoing update of an exchange, oldest first. */
  peerUpdatesOf(exchangeId: string): Promise<PeerUpdateRecord[]>;
}

export function peerUpdateStore(orm: Orm): PeerUpdateStore {
  return {
    async recordPeerAttempt(u, outcome) {
      const em = session(orm);
      const now = new Date();
      await insertOnce(em, PeerUpdate, { ...u, status: 'pending', attempts: 0, lastError: null, peerWorkflowId: null, createdAt: now, updatedAt: now });
      const row = await em.findOneOrFail(PeerUpdate, { requestId: u.requestId });
      row.attempts += 1;
      row.updatedAt = now;
      if (outcome.delivered) {
        row.status = 'delivered';
        row.peerWorkflowId = outcome.peerWorkflowId;
        row.lastError = null;
      } else if (row.status === 'pending') {
        row.lastError = outcome.error.slice(0, 500);
      }
      await em.flush();
    },

    async peerUpdatesOf(exchangeId) {
      const rows = await session(orm).find(PeerUpdate, { exchangeId }, { orderBy: { createdAt: 'asc', requestId: 'asc' } });
      return rows.map(toPeerUpdateRecord);
    },
  };
}

function toPeerUpdateRecord(row: PeerUpdateRow): PeerUpdateRecord {
  return {
    requestId: row.requestId,
    exchangeId: row.exchangeId,
    peerInstanceId: row.peerInstanceId,
    parentNodeId: row.parentNodeId,
    childNodeId: row.childNodeId,
    depth: row.depth,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError ?? null,
    peerWorkflowId: row.peerWorkflowId ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
