import type { Address } from 'viem';
import type { AllocationRecord, ExchangeRecord, IncidentRecord } from '../db/records';
import { contractMetrics, correctedMetrics } from '../domain/correction';
import { DELIBERATE_REVOKE_CAUSES, dueNow, type DueAmendment, type DueNow } from '../domain/due';
import { DvctError } from '../domain/errors';
import { computeExchangeDistribution } from '../domain/incentives';
import type { HeldLine, MetricsCorrection } from '../domain/incidents';
import type { Distribution, UseCaseContract } from '../domain/types';
import { chainSubjectOf } from '../domain/workflow-ids';
import type { ActivityDeps } from './deps';

/** An allocation row and what the chain says of it right now. */
export interface ObservedLine {
  record: AllocationRecord;
  onChain: { status: 'none' | 'allocated' | 'released' | 'revoked'; amount: bigint };
}

/** Where an exchange stands: its record, its contract, and every allocation of every round as the chain has it. */
export interface Position {
  exchange: ExchangeRecord;
  contract: UseCaseContract;
  observed: ObservedLine[];
  /** The holdings as the chain has them — the truth detection and correction work from. */
  held: HeldLine[];
  wallets: Map<string, Address>;
  /** What people did that changes what is due: deliberate revocations and decided incidents. */
  amendments: DueAmendment[];
}

/**
 * Reads an exchange's position: database rows (with the decided incidents), then each round's
 * lines from the chain at one block per round.
 */
export async function readPosition({ store, ledger }: Pick<ActivityDeps, 'store' | 'ledger'>, exchangeId: string): Promise<Position> {
  const exchange = await store.getExchange(exchangeId);
  if (!exchange) throw new DvctError('NOT_FOUND', `No exchange ${exchangeId}`, { exchangeId });
  const contract = await store.getContract(exchange.usecaseContractId);
  if (!contract) throw new DvctError('CONTRACT_NOT_FOUND', `No use-case contract ${exchange.usecaseContractId}`);
  const allocations = await store.getAllocations(exchangeId);
  const ids = [...new Set(allocations.flatMap((a) => [a.payerId, a.recipientId]))];
  const wallets = new Map((await store.getParticipants(ids)).map((p) => [p.id, p.walletAddress as Address]));

  const observed: ObservedLine[] = [];
  for (const round of [...new Set(allocations.map((a) => a.round))]) {
    const rows = allocations.filter((a) => a.round === round);
    const states = await ledger.readAllocations(
      chainSubjectOf(exchangeId, round),
      rows.map((r) => ({ payer: walletOf(wallets, r.payerId), recipient: walletOf(wallets, r.recipientId) })),
    );
    rows.forEach((record, i) => observed.push({ record, onChain: { status: states[i]!.status, amount: states[i]!.amount } }));
  }
  const held: HeldLine[] = observed.map(({ record, onChain }) => ({
    round: record.round,
    payerId: record.payerId,
    recipientId: record.recipientId,
    // A line the chain never saw stands for nothing; otherwise the chain's amount and status rule.
    amount: (onChain.status === 'none' ? 0n : onChain.amount).toString(),
    status: onChain.status === 'none' ? 'revoked' : onChain.status,
  }));
  const decided = await store.decidedIncidentsOf(exchangeId);
  return { exchange, contract, observed, held, wallets, amendments: amendmentsOf(allocations, decided) };
}

/**
 * The amendments the records show: each line revoked on purpose (when it was revoked), and each
 * incident whose decision stands (when it closed — its correction was made by then).
 */
function amendmentsOf(allocations: readonly AllocationRecord[], decided: readonly IncidentRecord[]): DueAmendment[] {
  const withdrawals: DueAmendment[] = allocations
    .filter((a) => a.status === 'revoked' && a.revokeCause !== null && DELIBERATE_REVOKE_CAUSES.includes(a.revokeCause))
    .map((a) => ({
      kind: 'withdrawal',
      at: (a.revokedAt ?? a.updatedAt).toISOString(),
      payerId: a.payerId,
      recipientId: a.recipientId,
      cause: a.revokeCause!,
      reason: a.revokeReason ?? '',
    }));
  const decisions: DueAmendment[] = decided
    .filter((i) => i.decidedDue !== null && i.decision !== null)
    .map((i) => ({ kind: 'decision', at: (i.closedAt ?? i.updatedAt).toISOString(), incidentId: i.id, decision: i.decision!.decision, lines: i.decidedDue! }));
  return [...withdrawals, ...decisions];
}

export function walletOf(wallets: Map<string, Address>, participantId: string): Address {
  const wallet = wallets.get(participantId);
  if (!wallet) throw new DvctError('UNKNOWN_PARTICIPANT', `No wallet for ${participantId}`, { participantId });
  return wallet;
}

/** Rows whose chain state is not what the DVCT recorded: changed outside the DVCT. */
export function chainDrift(observed: readonly ObservedLine[]): ObservedLine[] {
  return observed.filter(({ record, onChain }) => onChain.status !== record.status || onChain.amount !== BigInt(record.amount));
}

/**
 * What is due now: the contract's distribution as amended by deliberate revocations and decided
 * incidents (domain/due.ts). Detection, rollback and approve-correction measure against it.
 */
export function dueOf(position: Position): DueNow {
  return dueNow(contractDue(position.exchange, position.contract).lines, position.held, position.amendments);
}

/**
 * What the exchange should distribute by the contract's own metrics (or by a reviewer's
 * correction of them), recomputed with the same pure function and the same lineage as the first
 * time. A pool settlement has no reported metrics: its due is its distribution.
 */
export function contractDue(exchange: ExchangeRecord, contract: UseCaseContract, correction?: MetricsCorrection): Distribution {
  if (!exchange.report || !exchange.basis) {
    if (!exchange.distribution) throw new DvctError('NOT_FOUND', `Nothing was distributed for ${exchange.id}`);
    if (correction) throw new DvctError('VALIDATION_FAILED', `${exchange.id} is a pool settlement: it has no metrics to correct`);
    return exchange.distribution;
  }
  const { basis, report } = exchange;
  const signed = contractMetrics(contract, report, basis.qualityFactors);
  return computeExchangeDistribution({
    contract,
    report,
    consumedNodeId: basis.consumedNodeId,
    outputNodeId: basis.outputNodeId,
    lineage: basis.lineage,
    metrics: correction ? correctedMetrics(signed, correction) : signed,
  });
}
