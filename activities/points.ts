import type { Address } from 'viem';
import type { DistributionBasis } from '../db/records';
import { unitsToPoints } from '../domain/amounts';
import { findDiscrepancies } from '../domain/correction';
import { DvctError } from '../domain/errors';
import { INCIDENT_ROUND_INITIAL } from '../domain/incidents';
import { nodeContent } from '../domain/node-content';
import type { AllocationLine, Distribution, Units } from '../domain/types';
import { chainSubjectOf } from '../domain/workflow-ids';
import { hashRecord } from '../lib/record-hash';
import type { DetectionResult } from '../workflows/definitions';
import type { ActivityDeps } from './deps';
import { whileHeartbeating } from './failures';

/** Steps 4, 5 and 7 on the chain: allocate, read back and compare, release; and revocation. */
export function pointActivities({ store, ledger }: ActivityDeps) {
  async function walletsOf(ids: string[]): Promise<Map<string, Address>> {
    const unique = [...new Set(ids)];
    const found = await store.getParticipants(unique);
    const wallets = new Map(found.map((p) => [p.id, p.walletAddress as Address]));
    const missing = unique.filter((id) => !wallets.has(id));
    if (missing.length > 0) throw new DvctError('UNKNOWN_PARTICIPANT', `No wallet for: ${missing.join(', ')}`, { missing });
    return wallets;
  }

  function keysOf(distribution: Distribution, wallets: Map<string, Address>) {
    return distribution.lines.map((l) => ({ payer: wallets.get(l.payerId)!, recipient: wallets.get(l.recipientId)! }));
  }

  return {
    async allocatePoints(args: {
      subjectId: string;
      distribution: Distribution;
      holdSeconds: number;
      contractId: string | null;
      nodeIds: string[];
      /** What an exchange's distribution was computed from (none for a pool settlement). */
      basis?: DistributionBasis;
    }): Promise<{ txHash: string | null; releaseAt: string; alreadyAllocated: boolean }> {
      const { subjectId, distribution } = args;
      const wallets = await walletsOf(distribution.lines.flatMap((l) => [l.payerId, l.recipientId]));
      const nodes = await Promise.all(
        args.nodeIds.map(async (nodeId) => {
          const node = await store.getNode(nodeId);
          if (!node) throw new DvctError('NOT_FOUND', `Node ${nodeId} does not exist`);
          return { nodeId, contentHash: hashRecord(nodeContent(node)) };
        }),
      );
      const exchange = await store.getExchange(subjectId);
      // What another member re-computes to check this record: the report, the nodes and the lines.
      const recordHash = hashRecord({ subjectId, report: exchange?.report ?? null, nodeIds: args.nodeIds, lines: distribution.lines });

      const result = await whileHeartbeating(() =>
        ledger.allocate({
          exchangeId: subjectId,
          recordHash,
          holdSeconds: args.holdSeconds,
          lines: distribution.lines.map((l) => ({ payer: wallets.get(l.payerId)!, recipient: wallets.get(l.recipientId)!, amount: BigInt(l.amount) })),
          nodes,
        }),
      );
      const releaseAt = new Date(result.releaseAt * 1000);
      await store.recordDistribution({
        exchangeId: subjectId,
        parts: distribution.parts.map((p) => ({ ...p, contractId: args.contractId })),
        lines: distribution.lines,
        allocationTxHash: result.txHash,
        releaseAt,
      });
      await store.updateExchange(subjectId, {
        distribution,
        ...(args.basis ? { basis: args.basis } : {}),
        releaseAt,
        ...(result.txHash ? { allocationTxHash: result.txHash } : {}),
      });
      return { txHash: result.txHash, releaseAt: releaseAt.toISOString(), alreadyAllocated: result.alreadyAllocated };
    },

    /** Detection: what the chain holds against what the distribution says is due. */
    async verifyDistribution(args: {
      subjectId: string;
      distribution: Distribution;
      /** For an exchange: what the contract's own metrics make due, computed by the run (pure). */
      dueByContract?: { lines: AllocationLine[]; tolerancePoints: number };
    }): Promise<DetectionResult> {
      const { subjectId, distribution } = args;
      const wallets = await walletsOf(distribution.lines.flatMap((l) => [l.payerId, l.recipientId]));
      const onChain = await ledger.readAllocations(subjectId, keysOf(distribution, wallets));

      const perRecipient = new Map<string, { expected: bigint; onChain: bigint; linesOk: boolean }>();
      distribution.lines.forEach((line, i) => {
        const read = onChain[i]!;
        // A revoked allocation no longer counts; a released one was paid out and still counts.
        const held = read.status === 'allocated' || read.status === 'released' ? read.amount : 0n;
        const entry = perRecipient.get(line.recipientId) ?? { expected: 0n, onChain: 0n, linesOk: true };
        entry.expected += BigInt(line.amount);
        entry.onChain += held;
        entry.linesOk &&= held === BigInt(line.amount);
        perRecipient.set(line.recipientId, entry);
      });
      const recipients = [...perRecipient].map(([recipientId, e]) => ({
        recipientId,
        expected: e.expected.toString() as Units,
        onChain: e.onChain.toString() as Units,
        ok: e.linesOk && e.expected === e.onChain,
      }));
      const totalOnChain = recipients.reduce((sum, r) => sum + BigInt(r.onChain), 0n).toString();
      // The allocation followed the reported metrics; the contract's own metrics may make something else due.
      const againstContract = args.dueByContract
        ? findDiscrepancies(
            distribution.lines.map((l) => ({ ...l, round: INCIDENT_ROUND_INITIAL, status: 'allocated' as const })),
            args.dueByContract.lines,
            args.dueByContract.tolerancePoints,
          )
        : [];
      const detection: DetectionResult = {
        ok: recipients.every((r) => r.ok) && totalOnChain === distribution.totalDue && againstContract.length === 0,
        checkedAt: new Date().toISOString(),
        totalDue: distribution.totalDue,
        totalOnChain,
        recipients,
        againstContract,
      };
      await store.updateExchange(subjectId, { detection });
      return detection;
    },

    /**
     * Pays out every held line of the subject — all rounds, or only `round` (a standalone
     * incident's correction) — once its window has ended; the exchange is completed unless only a
     * round was asked for. A correction's release goes into its incident's timeline, with the tx.
     */
    async releaseAllocations(args: { subjectId: string; round?: string }): Promise<{ txHash: string | null }> {
      const held = (await store.getAllocations(args.subjectId)).filter((a) => a.status === 'allocated' && (args.round === undefined || a.round === args.round));
      let txHash: string | null = null;
      const wallets = await walletsOf(held.flatMap((a) => [a.payerId, a.recipientId]));
      for (const round of [...new Set(held.map((a) => a.round))]) {
        const lines = held.filter((a) => a.round === round);
        const keys = lines.map((a) => ({ payer: wallets.get(a.payerId)!, recipient: wallets.get(a.recipientId)! }));
        const result = await whileHeartbeating(() => ledger.release(chainSubjectOf(args.subjectId, round), keys));
        txHash = result.txHash ?? txHash;
        // Only what the chain paid out: a line revoked since the read stays for its revocation to record.
        const paid = new Set([...result.released, ...result.alreadyReleased].map(keyText));
        const releasedLines = lines.filter((_, i) => paid.has(keyText(keys[i]!)));
        await store.markAllocationsReleased(args.subjectId, releasedLines.map((a) => ({ round, payerId: a.payerId, recipientId: a.recipientId })), result.txHash);
        if (round !== INCIDENT_ROUND_INITIAL && releasedLines.length > 0) {
          // A retry finds the lines released by its first attempt (no new tx): the rows keep that attempt's hash.
          const recorded = (await store.getAllocations(args.subjectId)).filter((a) => a.round === round && a.releaseTxHash !== null);
          await store.appendIncidentEvent({
            incidentId: round,
            key: 'release',
            step: 'release',
            summary: `Released the correction to the recipients' wallets: ${releasedLines.map((a) => `${a.payerId} → ${a.recipientId} ${unitsToPoints(a.amount)} points`).join('; ')}`,
            details: { lines: releasedLines.map((a) => ({ payerId: a.payerId, recipientId: a.recipientId, amount: a.amount })) },
            txHashes: [...new Set(recorded.map((a) => a.releaseTxHash!))],
          });
        }
      }
      if (args.round === undefined) {
        await store.updateExchange(args.subjectId, { status: 'completed', stage: 'completed', ...(txHash ? { releaseTxHash: txHash } : {}) });
      }
      return { txHash };
    },

    /**
     * Rolls a payer's held lines to a recipient back into the payer's deposit — the exchange's own
     * and any incident's correction. Nothing held and something released → ALLOCATION_RELEASED.
     */
    async revokeAllocation(args: { exchangeId: string; payerId: string; recipientId: string; reason: string }): Promise<{ txHash: string | null; amount: Units; rounds: string[] }> {
      const wallets = await walletsOf([args.payerId, args.recipientId]);
      const lines = (await store.getAllocations(args.exchangeId)).filter((a) => a.payerId === args.payerId && a.recipientId === args.recipientId);
      // The exchange's own line first: the one a revocation names when nothing else was allocated.
      const rounds = lines.length > 0 ? lines.filter((a) => a.status !== 'revoked').map((a) => a.round) : [INCIDENT_ROUND_INITIAL];
      let txHash: string | null = null;
      let amount = 0n;
      const revoked: string[] = [];
      let released: unknown;
      for (const round of rounds) {
        try {
          const result = await whileHeartbeating(() =>
            ledger.revoke(chainSubjectOf(args.exchangeId, round), wallets.get(args.payerId)!, wallets.get(args.recipientId)!, args.reason),
          );
          txHash = result.txHash ?? txHash;
          amount += result.amount;
          revoked.push(round);
        } catch (err) {
          if (!(err instanceof DvctError && err.code === 'ALLOCATION_RELEASED')) throw err;
          released ??= err;
        }
      }
      if (revoked.length === 0 && released) throw released;
      return { txHash, amount: amount.toString() as Units, rounds: revoked };
    },

    async recordRevocation(args: { exchangeId: string; payerId: string; recipientId: string; txHash: string | null; reason: string; rounds?: string[] }): Promise<void> {
      for (const round of args.rounds ?? [INCIDENT_ROUND_INITIAL]) {
        await store.markAllocationRevoked({ exchangeId: args.exchangeId, round, payerId: args.payerId, recipientId: args.recipientId, txHash: args.txHash, reason: args.reason, cause: 'revocation' });
      }
    },

    async mintInitialPoints(args: { participantId: string; units: Units }): Promise<{ txHash: string | null }> {
      const wallets = await walletsOf([args.participantId]);
      return whileHeartbeating(() => ledger.mintOnce(`onboarding:${args.participantId}`, wallets.get(args.participantId)!, BigInt(args.units)));
    },
  };
}

function keyText(key: { payer: Address; recipient: Address }): string {
  return `${key.payer.toLowerCase()}>${key.recipient.toLowerCase()}`;
}
