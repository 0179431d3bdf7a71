import { DvctError } from '../../domain/errors';
import { compareIds } from '../../domain/incentives';
import { Allocation } from '../entities/allocation';
import { Exchange, type ExchangeRow } from '../entities/exchange';
import { UseCaseContract } from '../entities/use-case-contract';
import type { Orm } from '../orm';
import type { ExchangePatch, ExchangeRecord, NewExchange, Period } from '../records';
import { createdWithin, insertOnce, session, subSession, whereIdIn, type Em } from './support';

export interface ExchangeStore {
  /**
   * Records an accepted exchange (or settlement) once. A repeat of the same exchange id returns the
   * stored one (created: false). An Idempotency-Key the consumer already used for another exchange
   * id or for a request with another hash → DvctError IDEMPOTENCY_KEY_REUSED.
   */
  insertExchangeIfAbsent(e: NewExchange): Promise<{ exchange: ExchangeRecord; created: boolean }>;
  getExchange(id: string): Promise<ExchangeRecord | null>;
  /** Sets the given fields (null clears one); an unknown id → DvctError NOT_FOUND. */
  updateExchange(id: string, patch: ExchangePatch): Promise<void>;
  /**
   * The exchanges (and settlements) a participant is a party to: as consumer or provider, as payer
   * or recipient of an allocation in any round, or as orchestrator of the use-case contract. Sorted.
   */
  exchangeIdsOfParty(participantId: string): Promise<string[]>;
  /** The use-case contract of each of the exchanges named (unknown ids left out). */
  usecaseContractsOf(exchangeIds: readonly string[]): Promise<Map<string, string>>;
  /** Exchanges (not settlements) that consumed one of the nodes, reported within the period, oldest first. */
  exchangesConsuming(nodeIds: string[], period: Period): Promise<ExchangeRecord[]>;
}

export function exchangeStore(orm: Orm): ExchangeStore {
  return {
    async insertExchangeIfAbsent(e) {
      const em = session(orm);
      const now = new Date();
      const record: ExchangeRecord = {
        ...e,
        runId: e.runId ?? null,
        status: e.status ?? 'running',
        stage: e.stage ?? 'received',
        error: null,
        distribution: null,
        basis: null,
        detection: null,
        consumedNodeId: null,
        outputNodeId: null,
        allocationTxHash: null,
        releaseTxHash: null,
        releaseAt: null,
        createdAt: now,
        updatedAt: now,
      };
      if (await insertOnce(em, Exchange, record)) return { exchange: record, created: true };

      await refuseReusedIdempotencyKey(em, e);
      const existing = await em.findOne(Exchange, { id: e.id });
      if (!existing) {
        // Only the workflow id is left to collide, and it is derived from the exchange id.
        throw new DvctError('CONFLICT', `Workflow id ${e.workflowId} belongs to another exchange`, { exchangeId: e.id });
      }
      return { exchange: toExchangeRecord(existing), created: false };
    },

    async getExchange(id) {
      const row = await session(orm).findOne(Exchange, { id });
      return row ? toExchangeRecord(row) : null;
    },

    async updateExchange(id, patch) {
      const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const updated = await session(orm).nativeUpdate(Exchange, { id }, { ...changes, updatedAt: new Date() });
      if (updated === 0) throw new DvctError('NOT_FOUND', `No exchange ${id}`, { exchangeId: id });
    },

    async exchangeIdsOfParty(participantId) {
      const em = session(orm);
      const [direct, allocated, orchestrated] = await Promise.all([
        subSession(em).find(Exchange, { $or: [{ consumerId: participantId }, { providerId: participantId }] }, { fields: ['id'] }),
        subSession(em).find(Allocation, { $or: [{ payerId: participantId }, { recipientId: participantId }] }, { fields: ['exchangeId'] }),
        subSession(em).find(UseCaseContract, { orchestratorId: participantId }, { fields: ['id'] }),
      ]);
      const contractIds = orchestrated.map((c) => c.id);
      const ofContracts = await whereIdIn(contractIds, (slice) => subSession(em).find(Exchange, { usecaseContractId: { $in: slice } }, { fields: ['id'] }));
      const ids = new Set([...direct.map((e) => e.id), ...allocated.map((a) => a.exchangeId), ...ofContracts.map((e) => e.id)]);
      return [...ids].sort(compareIds);
    },

    async usecaseContractsOf(exchangeIds) {
      const rows = await whereIdIn([...new Set(exchangeIds)], (slice) =>
        session(orm).find(Exchange, { id: { $in: slice } }, { fields: ['id', 'usecaseContractId'] }),
      );
      return new Map(rows.map((r) => [r.id, r.usecaseContractId]));
    },

    async exchangesConsuming(nodeIds, period) {
      const em = session(orm);
      const rows = await whereIdIn(nodeIds, (slice) =>
        em.find(Exchange, { kind: 'exchange', consumedNodeId: { $in: slice }, ...createdWithin(period) }),
      );
      return rows.map(toExchangeRecord).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compareIds(a.id, b.id));
    },
  };
}

async function refuseReusedIdempotencyKey(em: Em, e: NewExchange): Promise<void> {
  if (e.idempotencyKey === null || e.consumerId === null) return;
  const holder = await em.findOne(Exchange, { consumerId: e.consumerId, idempotencyKey: e.idempotencyKey });
  if (holder && (holder.id !== e.id || holder.requestHash !== e.requestHash)) {
    throw new DvctError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${e.idempotencyKey} was used for another request`, {
      idempotencyKey: e.idempotencyKey,
      exchangeId: holder.id,
    });
  }
}

function toExchangeRecord(row: ExchangeRow): ExchangeRecord {
  return {
    id: row.id,
    kind: row.kind,
    workflowId: row.workflowId,
    runId: row.runId ?? null,
    usecaseContractId: row.usecaseContractId,
    consumerId: row.consumerId ?? null,
    providerId: row.providerId ?? null,
    report: row.report ?? null,
    settlementRound: row.settlementRound ?? null,
    requestHash: row.requestHash,
    idempotencyKey: row.idempotencyKey ?? null,
    status: row.status,
    stage: row.stage,
    error: row.error ?? null,
    distribution: row.distribution ?? null,
    basis: row.basis ?? null,
    detection: row.detection ?? null,
    consumedNodeId: row.consumedNodeId ?? null,
    outputNodeId: row.outputNodeId ?? null,
    allocationTxHash: row.allocationTxHash ?? null,
    releaseTxHash: row.releaseTxHash ?? null,
    releaseAt: row.releaseAt ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
