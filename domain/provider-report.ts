import { toUnits, unitsToPoints } from './amounts';
import { compareIds } from './incentives';
import type { AllocationReason, ExchangeStatus, Units } from './types';

/**
 * A provider's report: where its data was used (directly, or through data made from it, by use
 * case and depth), what it earned and where those points stand, and how they grew over time.
 * Pure: the API reads the records and this module only counts, exactly, in token base units.
 *
 * - A *use* is an exchange that consumed the participant's own data (depth 0) or data derived
 *   from it n links down the lineage (depth n). Uses by the participant itself are left out.
 * - *Earned* is what was allocated to the participant and not revoked: pending (allocated, still
 *   revocable) plus released. Revoked points are shown apart.
 * - The period selects exchanges by the time they were reported and allocations by the time they
 *   were made; statuses are as they are now.
 */

export interface Amount {
  points: string;
  units: Units;
}

export interface ReportUse {
  exchangeId: string;
  /** When the exchange was reported. */
  at: Date;
  usecaseContractId: string;
  contractId: string;
  consumerId: string | null;
  status: ExchangeStatus;
  /** The data the exchange consumed, and its node. */
  dataId: string;
  nodeId: string;
  depth: number;
  /** The participant's own data the consumed data comes from. */
  sourceDataId: string;
}

export interface ReportLine {
  exchangeId: string;
  amount: Units;
  status: 'allocated' | 'released' | 'revoked';
  createdAt: Date;
  /** When the status last changed: the release or revocation time for those. */
  updatedAt: Date;
}

export interface ReportAward {
  exchangeId: string;
  amount: Units;
  reason: AllocationReason;
}

export interface ProviderReportInput {
  participantId: string;
  period: { from: Date | null; to: Date | null };
  uses: ReportUse[];
  lines: ReportLine[];
  awards: ReportAward[];
  /** The lineage walk behind `uses` stopped at a bound. */
  truncated: boolean;
}

export interface DepthUsage {
  depth: number;
  uses: number;
  earned: Amount;
}

export interface ProviderReport {
  participantId: string;
  period: { from: string | null; to: string | null };
  totals: { earned: Amount; pending: Amount; released: Amount; revoked: Amount };
  /** What was awarded, before any revocation, by why it was awarded. */
  awardedByReason: (Amount & { reason: AllocationReason })[];
  usage: {
    uses: number;
    direct: number;
    indirect: number;
    byUseCase: { usecaseContractId: string; uses: number; earned: Amount; byDepth: DepthUsage[] }[];
  };
  /** Newest first. */
  uses: (Omit<ReportUse, 'at'> & { at: string; earned: Amount; revoked: Amount })[];
  /** Running totals after each change, oldest first: what a chart of points over time draws. */
  timeline: { at: string; earned: Amount; released: Amount; revoked: Amount }[];
  truncated: boolean;
}

const REASONS: readonly AllocationReason[] = ['data-provider', 'upstream', 'ai-provider', 'pool'];

export function amount(units: bigint): Amount {
  return { points: unitsToPoints(units), units: toUnits(units) };
}

function sum(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

/** Earned (not revoked) and revoked units per exchange. */
function linesByExchange(lines: readonly ReportLine[]): Map<string, { earned: bigint; revoked: bigint }> {
  const out = new Map<string, { earned: bigint; revoked: bigint }>();
  for (const line of lines) {
    const entry = out.get(line.exchangeId) ?? { earned: 0n, revoked: 0n };
    if (line.status === 'revoked') entry.revoked += BigInt(line.amount);
    else entry.earned += BigInt(line.amount);
    out.set(line.exchangeId, entry);
  }
  return out;
}

function usageByUseCase(uses: readonly ReportUse[], earnedOf: (exchangeId: string) => bigint): ProviderReport['usage']['byUseCase'] {
  const byCase = new Map<string, Map<number, { uses: number; earned: bigint }>>();
  for (const use of uses) {
    const byDepth = byCase.get(use.usecaseContractId) ?? new Map<number, { uses: number; earned: bigint }>();
    const entry = byDepth.get(use.depth) ?? { uses: 0, earned: 0n };
    entry.uses += 1;
    entry.earned += earnedOf(use.exchangeId);
    byDepth.set(use.depth, entry);
    byCase.set(use.usecaseContractId, byDepth);
  }
  return [...byCase]
    .sort(([a], [b]) => compareIds(a, b))
    .map(([usecaseContractId, byDepth]) => {
      const depths = [...byDepth].sort(([a], [b]) => a - b);
      return {
        usecaseContractId,
        uses: depths.reduce((n, [, d]) => n + d.uses, 0),
        earned: amount(sum(depths.map(([, d]) => d.earned))),
        byDepth: depths.map(([depth, d]) => ({ depth, uses: d.uses, earned: amount(d.earned) })),
      };
    });
}

/** Each line is allocated once, and released or revoked at most once, later: three kinds of step. */
function timelineOf(lines: readonly ReportLine[]): ProviderReport['timeline'] {
  const steps: { at: number; earned: bigint; released: bigint; revoked: bigint }[] = [];
  for (const line of lines) {
    const units = BigInt(line.amount);
    steps.push({ at: line.createdAt.getTime(), earned: units, released: 0n, revoked: 0n });
    if (line.status === 'released') steps.push({ at: line.updatedAt.getTime(), earned: 0n, released: units, revoked: 0n });
    if (line.status === 'revoked') steps.push({ at: line.updatedAt.getTime(), earned: -units, released: 0n, revoked: units });
  }
  steps.sort((a, b) => a.at - b.at);

  const timeline: ProviderReport['timeline'] = [];
  const running = { earned: 0n, released: 0n, revoked: 0n };
  steps.forEach((step, i) => {
    running.earned += step.earned;
    running.released += step.released;
    running.revoked += step.revoked;
    // Steps at the same instant make one point.
    if (steps[i + 1]?.at === step.at) return;
    timeline.push({ at: new Date(step.at).toISOString(), earned: amount(running.earned), released: amount(running.released), revoked: amount(running.revoked) });
  });
  return timeline;
}

export function buildProviderReport(input: ProviderReportInput): ProviderReport {
  const { participantId, lines } = input;
  const uses = input.uses.filter((u) => u.consumerId !== participantId);
  const perExchange = linesByExchange(lines);
  const earnedOf = (exchangeId: string) => perExchange.get(exchangeId)?.earned ?? 0n;
  const byStatus = (status: ReportLine['status']) => sum(lines.filter((l) => l.status === status).map((l) => BigInt(l.amount)));
  const pending = byStatus('allocated');
  const released = byStatus('released');

  return {
    participantId,
    period: { from: input.period.from?.toISOString() ?? null, to: input.period.to?.toISOString() ?? null },
    totals: { earned: amount(pending + released), pending: amount(pending), released: amount(released), revoked: amount(byStatus('revoked')) },
    awardedByReason: REASONS.map((reason) => ({
      reason,
      ...amount(sum(input.awards.filter((a) => a.reason === reason).map((a) => BigInt(a.amount)))),
    })).filter((r) => r.units !== '0'),
    usage: {
      uses: uses.length,
      direct: uses.filter((u) => u.depth === 0).length,
      indirect: uses.filter((u) => u.depth > 0).length,
      byUseCase: usageByUseCase(uses, earnedOf),
    },
    uses: [...uses]
      .sort((a, b) => b.at.getTime() - a.at.getTime() || compareIds(a.exchangeId, b.exchangeId))
      .map((u) => ({
        ...u,
        at: u.at.toISOString(),
        earned: amount(earnedOf(u.exchangeId)),
        revoked: amount(perExchange.get(u.exchangeId)?.revoked ?? 0n),
      })),
    timeline: timelineOf(lines),
    truncated: input.truncated,
  };
}
