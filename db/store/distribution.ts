import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import { sumUnits, toUnits } from '../../domain/amounts';
import type { RevokeCause } from '../../domain/due';
import { DvctError } from '../../domain/errors';
import { compareIds } from '../../domain/incentives';
import { INCIDENT_ROUND_INITIAL } from '../../domain/incidents';
import type { AllocationLine, AwardPart, Units } from '../../domain/types';
import { Allocation, type AllocationRow } from '../entities/allocation';
import { Award } from '../entities/award';
import { Exchange } from '../entities/exchange';
import type { Orm } from '../orm';
import type { AllocationKey, AllocationRecord, Balance, Period, ReceivedAward } from '../records';
import { asDriverException, createdWithin, sameJson, session, whereIdIn, type Em } from './support';

export interface DistributionStore {
  /**
   * Records what was allocated on chain for an exchange in one round: its award parts and its lines
   * (status 'allocated'). The round is 'initial' for the exchange's own allocation, the incident id
   * for a correction's difference. Idempotent per (exchange, round): a re-run writes nothing new; a
   * different distribution for a round that already has one → DvctError CONFLICT.
   */
  recordDistribution(args: {
    exchangeId: string;
    round?: string;
    parts: (AwardPart & { contractId: string | null })[];
    lines: AllocationLine[];
    allocationTxHash: string | null;
    releaseAt: Date;
  }): Promise<void>;
  /** Every round's lines: 'initial' first, then the other rounds by id; within a round by payer, then recipient. */
  getAllocations(exchangeId: string): Promise<AllocationRecord[]>;
  /** Allocated lines among `keys` become released; revoked or already released ones stay as they are. */
  markAllocationsReleased(exchangeId: string, keys: AllocationKey[], txHash: string | null): Promise<void>;
  /**
   * An allocated line (round default 'initial') becomes revoked; revoking it again is a no-op.
   * No such line → NOT_FOUND; a released one → CONFLICT (points already paid out cannot be taken
   * back). `txHash` is null for a revoke the DVCT did not send (seen on chain). `cause` names why:
   * a deliberate revocation changes what the exchange owes, a correction does not (domain/due.ts).
   */
  markAllocationRevoked(args: { exchangeId: string; round?: string; payerId: string; recipientId: string; txHash: string | null; reason: string; cause: RevokeCause }): Promise<void>;
  /** What a participant has received in every round, by allocation status, summed exactly. */
  balanceOf(participantId: string): Promise<Balance>;
  /**
   * The lines allocated to a participant within the period (by allocation time, oldest first) and
   * the award parts behind them: what its report is made of.
   */
  receivedBy(participantId: string, period: Period): Promise<{ lines: AllocationRecord[]; awards: ReceivedAward[] }>;
  /** Per exchange: its output node and the units allocated for it and not revoked ('0' before allocation). Unknown ids are left out. */
  exchangePoints(exchangeIds: string[]): Promise<Map<string, { outputNodeId: string | null; units: Units }>>;
}

export function distributionStore(orm: Orm): DistributionStore {
  return {
    async recordDistribution(args) {
      const em = session(orm);
      try {
        await em.transactional((tx) => writeDistribution(tx, args));
      } catch (error) {
        if (asDriverException(em, error) instanceof ForeignKeyConstraintViolationException) {
          throw new DvctError('NOT_FOUND', `No exchange ${args.exchangeId} to record a distribution for`, { exchangeId: args.exchangeId });
        }
        throw error;
      }
    },

    async getAllocations(exchangeId) {
      const rows = await session(orm).find(Allocation, { exchangeId });
      return rows.map(toAllocationRecord).sort(byRoundThenPair);
    },

    async markAllocationsReleased(exchangeId, keys, txHash) {
      if (keys.length === 0) return;
      await session(orm).nativeUpdate(
        Allocation,
        { exchangeId, status: 'allocated', $or: keys.map((k) => ({ round: k.round, payerId: k.payerId, recipientId: k.recipientId })) },
        { status: 'released', releaseTxHash: txHash, updatedAt: new Date() },
      );
    },

    async markAllocationRevoked({ exchangeId, round = INCIDENT_ROUND_INITIAL, payerId, recipientId, txHash, reason, cause }) {
      const em = session(orm);
      const key = { exchangeId, round, payerId, recipientId };
      const now = new Date();
      const revoked = await em.nativeUpdate(
        Allocation,
        { ...key, status: 'allocated' },
        { status: 'revoked', revokeTxHash: txHash, revokeReason: reason, revokeCause: cause, revokedAt: now, updatedAt: now },
      );
      if (revoked > 0) return;
      const line = await em.findOne(Allocation, key);
      if (!line) throw new DvctError('NOT_FOUND', `No allocation ${payerId} → ${recipientId} in round ${round} of exchange ${exchangeId}`, key);
      if (line.status === 'released') {
        throw new DvctError('CONFLICT', `The allocation ${payerId} → ${recipientId} in round ${round} of exchange ${exchangeId} is already released`, key);
      }
    },

    async balanceOf(participantId) {
      const rows = await session(orm).find(Allocation, { recipientId: participantId }, { fields: ['amount', 'status'] });
      const total = (status: AllocationRow['status']) => toUnits(sumUnits(rows.filter((r) => r.status === status).map((r) => r.amount)));
      return { allocated: total('allocated'), released: total('released'), revoked: total('revoked') };
    },

    async receivedBy(participantId, period) {
      const em = session(orm);
      const lines = await em.find(Allocation, { recipientId: participantId, ...createdWithin(period) }, { orderBy: { createdAt: 'asc', id: 'asc' } });
      const exchangeIds = [...new Set(lines.map((l) => l.exchangeId))];
      const awards = await whereIdIn(exchangeIds, (slice) =>
        em.find(Award, { recipientId: participantId, exchangeId: { $in: slice } }, { orderBy: { exchangeId: 'asc', index: 'asc' } }),
      );
      return {
        lines: lines.map(toAllocationRecord),
        awards: awards.map((a) => ({ exchangeId: a.exchangeId, payerId: a.payerId, amount: a.amount, reason: a.reason, nodeId: a.nodeId ?? null, depth: a.depth })),
      };
    },

    async exchangePoints(exchangeIds) {
      const em = session(orm);
      const ids = [...new Set(exchangeIds)];
      const [exchanges, lines] = await Promise.all([
        whereIdIn(ids, (slice) => em.find(Exchange, { id: { $in: slice } }, { fields: ['id', 'outputNodeId'] })),
        whereIdIn(ids, (slice) => em.find(Allocation, { exchangeId: { $in: slice }, status: { $ne: 'revoked' } }, { fields: ['exchangeId', 'amount'] })),
      ]);
      const allocated = new Map<string, bigint>();
      for (const l of lines) allocated.set(l.exchangeId, (allocated.get(l.exchangeId) ?? 0n) + BigInt(l.amount));
      return new Map(exchanges.map((e) => [e.id, { outputNodeId: e.outputNodeId ?? null, units: toUnits(allocated.get(e.id) ?? 0n) }]));
    },
  };
}

type DistributionArgs = Parameters<DistributionStore['recordDistribution']>[0];

async function writeDistribution(em: Em, { exchangeId, round = INCIDENT_ROUND_INITIAL, parts, lines, allocationTxHash, releaseAt }: DistributionArgs): Promise<void> {
  const now = new Date();
  // ON CONFLICT DO NOTHING, not catch-and-read: a failed statement would abort a PostgreSQL transaction.
  if (parts.length > 0) {
    await em
      .createQueryBuilder(Award)
      .insert(parts.map((p, index) => ({ exchangeId, round, index, ...awardFields(p) })))
      .onConflict(['exchangeId', 'round', 'index'])
      .ignore()
      .execute();
  }
  if (lines.length > 0) {
    const status = 'allocated' as const;
    await em
      .createQueryBuilder(Allocation)
      .insert(lines.map((l) => ({ exchangeId, round, ...lineFields(l), status, allocationTxHash, releaseAt, createdAt: now, updatedAt: now })))
      .onConflict(['exchangeId', 'round', 'payerId', 'recipientId'])
      .ignore()
      .execute();
  }

  // A re-run finds exactly what it would have written; anything else is a second, different distribution.
  const [storedParts, storedLines] = await Promise.all([
    em.find(Award, { exchangeId, round }, { orderBy: { index: 'asc' } }),
    em.find(Allocation, { exchangeId, round }),
  ]);
  const sameParts = sameJson(storedParts.map(awardFields), parts.map(awardFields));
  const sameLines = sameJson(sortLines(storedLines.map(lineFields)), sortLines(lines.map(lineFields)));
  if (!sameParts || !sameLines) {
    throw new DvctError('CONFLICT', `Exchange ${exchangeId} already has another distribution recorded in round ${round}`, { exchangeId, round });
  }
}

type AwardFields = Omit<AwardPart, 'nodeId'> & { nodeId?: string | null; contractId?: string | null };

function awardFields(p: AwardFields) {
  return {
    payerId: p.payerId,
    recipientId: p.recipientId,
    amount: p.amount,
    reason: p.reason,
    nodeId: p.nodeId ?? null,
    depth: p.depth,
    contractId: p.contractId ?? null,
  };
}

function lineFields(l: AllocationLine): AllocationLine {
  return { payerId: l.payerId, recipientId: l.recipientId, amount: l.amount };
}

function byPair(a: AllocationLine, b: AllocationLine): number {
  return compareIds(a.payerId, b.payerId) || compareIds(a.recipientId, b.recipientId);
}

function sortLines(lines: AllocationLine[]): AllocationLine[] {
  return [...lines].sort(byPair);
}

/** The exchange's own round before any correction, then corrections by round id. */
function byRoundThenPair(a: AllocationRecord, b: AllocationRecord): number {
  const first = (r: AllocationRecord) => (r.round === INCIDENT_ROUND_INITIAL ? 0 : 1);
  return first(a) - first(b) || compareIds(a.round, b.round) || byPair(a, b);
}

function toAllocationRecord(row: AllocationRow): AllocationRecord {
  return {
    exchangeId: row.exchangeId,
    round: row.round,
    payerId: row.payerId,
    recipientId: row.recipientId,
    amount: row.amount,
    status: row.status,
    allocationTxHash: row.allocationTxHash ?? null,
    releaseTxHash: row.releaseTxHash ?? null,
    revokeTxHash: row.revokeTxHash ?? null,
    revokeReason: row.revokeReason ?? null,
    revokeCause: row.revokeCause ?? null,
    revokedAt: row.revokedAt ?? null,
    releaseAt: row.releaseAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
