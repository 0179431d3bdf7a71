import { pointsToUnits, sumUnits, toUnits, unitsToPoints } from './amounts';
import { describeDeparture, type Departure } from './due';
import { compareIds } from './incentives';
import type {
  AwardMetric,
  CorrectionPlan,
  Decided,
  DetectionRule,
  ExchangeMetrics,
  Finding,
  HeldLine,
  MetricsCorrection,
  ReviewPolicy,
} from './incidents';
import type { AllocationLine, ExchangeReport, IncentiveTerm, UseCaseContract } from './types';

/**
 * The arithmetic of detection and correction. Pure: the workflow, the activities and any member
 * re-checking an incident get the same answer from the same holdings and distribution.
 */

const pairKey = (payerId: string, recipientId: string) => `${payerId}\n${recipientId}`;

/** What stands per (payer, recipient): allocated or released lines of every round; revoked ones count nothing. */
export function standingPerPair(held: readonly HeldLine[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const line of held) {
    const key = pairKey(line.payerId, line.recipientId);
    const amount = line.status === 'revoked' ? 0n : BigInt(line.amount);
    totals.set(key, (totals.get(key) ?? 0n) + amount);
  }
  return totals;
}

/** What stands per (payer, recipient) as distribution lines, zero pairs left out: the holdings a reject keeps. */
export function standingLines(held: readonly HeldLine[]): AllocationLine[] {
  return [...standingPerPair(held)]
    .filter(([, amount]) => amount > 0n)
    .map(([key, amount]) => {
      const [payerId, recipientId] = key.split('\n') as [string, string];
      return { payerId, recipientId, amount: toUnits(amount) };
    })
    .sort((a, b) => compareIds(a.payerId, b.payerId) || compareIds(a.recipientId, b.recipientId));
}

/**
 * Every (payer, recipient) whose standing differs from what is due by more than the tolerance,
 * sorted by payer then recipient. Empty: the holdings are right.
 */
export function findDiscrepancies(held: readonly HeldLine[], due: readonly AllocationLine[], tolerancePoints = 0): Finding[] {
  const standing = standingPerPair(held);
  const dueByPair = new Map(due.map((l) => [pairKey(l.payerId, l.recipientId), BigInt(l.amount)]));
  const tolerance = pointsToUnits(tolerancePoints, 'tolerancePoints');
  const findings: Finding[] = [];
  for (const key of new Set([...standing.keys(), ...dueByPair.keys()])) {
    const has = standing.get(key) ?? 0n;
    const owed = dueByPair.get(key) ?? 0n;
    const gap = has > owed ? has - owed : owed - has;
    if (gap === 0n || gap <= tolerance) continue;
    const [payerId, recipientId] = key.split('\n') as [string, string];
    findings.push({ payerId, recipientId, held: toUnits(has), due: toUnits(owed) });
  }
  return findings.sort((a, b) => compareIds(a.payerId, b.payerId) || compareIds(a.recipientId, b.recipientId));
}

/**
 * How to move the holdings to `target`, touching only the pairs that differ:
 * - a pair short of its due gets the difference, as one new line (the "10 additional points");
 * - a pair over its due has its revocable lines revoked, then gets what is due minus what was
 *   already released; an over-payment already released cannot be taken back and is reported.
 * Applying the plan and then planning again gives an empty plan.
 */
export function planCorrection(held: readonly HeldLine[], target: readonly AllocationLine[]): CorrectionPlan {
  const plan: CorrectionPlan = { revoke: [], allocate: [], unrecoverable: [] };
  const standing = standingPerPair(held);
  const dueByPair = new Map(target.map((l) => [pairKey(l.payerId, l.recipientId), BigInt(l.amount)]));
  const pairs = [...new Set([...standing.keys(), ...dueByPair.keys()])].sort(compareIds);

  for (const key of pairs) {
    const [payerId, recipientId] = key.split('\n') as [string, string];
    const has = standing.get(key) ?? 0n;
    const owed = dueByPair.get(key) ?? 0n;
    if (has === owed) continue;
    if (has < owed) {
      plan.allocate.push({ payerId, recipientId, amount: toUnits(owed - has) });
      continue;
    }
    const lines = held.filter((l) => l.payerId === payerId && l.recipientId === recipientId);
    const released = sumUnits(lines.filter((l) => l.status === 'released').map((l) => l.amount));
    plan.revoke.push(...lines.filter((l) => l.status === 'allocated'));
    if (released > owed) plan.unrecoverable.push({ payerId, recipientId, amount: toUnits(released - owed) });
    else if (owed > released) plan.allocate.push({ payerId, recipientId, amount: toUnits(owed - released) });
  }
  return plan;
}

/** The rollback: only the revocations of the plan towards what the contract makes due. */
export function planRollback(held: readonly HeldLine[], proposed: readonly AllocationLine[]): HeldLine[] {
  return planCorrection(held, proposed).revoke;
}

/** The metrics the contract makes due; `qualityFactors` replace the factors of terms with factorCheck. */
export function contractMetrics(
  contract: UseCaseContract,
  report: Pick<ExchangeReport, 'dataConsumerIsAIProvider'>,
  qualityFactors: { dataProvider?: number; aiProvider?: number } = {},
): ExchangeMetrics {
  const ai = contract.extraIncentiveForAIProvider;
  return {
    dataProvider: metricOf(contract.incentiveForDataProvider, qualityFactors.dataProvider),
    aiProvider: ai && report.dataConsumerIsAIProvider ? metricOf(ai, qualityFactors.aiProvider) : null,
  };
}

/**
 * The metrics the connector reported: its numPoints and factor per term where it gave them, the
 * contract's (or the quality check's) elsewhere. The first distribution is computed from these;
 * detection compares it with contractMetrics.
 */
export function reportedMetrics(
  contract: UseCaseContract,
  report: ExchangeReport,
  qualityFactors: { dataProvider?: number; aiProvider?: number } = {},
): ExchangeMetrics {
  const signed = contractMetrics(contract, report, qualityFactors);
  const fromReport = (term: IncentiveTerm | undefined, base: AwardMetric): AwardMetric =>
    term ? { numPoints: term.numPoints, factor: term.factorCheck ? base.factor : term.factor } : base;
  return {
    dataProvider: fromReport(report.incentiveForDataProvider, signed.dataProvider),
    aiProvider: signed.aiProvider ? fromReport(report.extraIncentiveForAIProvider, signed.aiProvider) : null,
  };
}

/** The contract's metrics with a reviewer's corrections applied on top. */
export function correctedMetrics(signed: ExchangeMetrics, correction: MetricsCorrection): ExchangeMetrics {
  const ai = correction.extraIncentiveForAIProvider;
  return {
    dataProvider: { ...signed.dataProvider, ...definedOnly(correction.incentiveForDataProvider) },
    aiProvider: signed.aiProvider ? { ...signed.aiProvider, ...definedOnly(ai) } : null,
  };
}

function metricOf(term: IncentiveTerm, qualityFactor: number | undefined): AwardMetric {
  return { numPoints: term.numPoints, factor: term.factorCheck && qualityFactor !== undefined ? qualityFactor : term.factor };
}

function definedOnly(metric: Partial<AwardMetric> | undefined): Partial<AwardMetric> {
  if (!metric) return {};
  return Object.fromEntries(Object.entries(metric).filter(([, v]) => v !== undefined)) as Partial<AwardMetric>;
}

/** Where reported and contract metrics differ, in words: the cause an incident records. */
export function metricDifferences(reported: ExchangeMetrics, signed: ExchangeMetrics): string[] {
  const differences: string[] = [];
  const compare = (label: string, a: AwardMetric | null, b: AwardMetric | null) => {
    if (!a || !b) return;
    if (a.numPoints !== b.numPoints) differences.push(`${label}.numPoints: reported ${a.numPoints}, contract ${b.numPoints}`);
    if (a.factor !== b.factor) differences.push(`${label}.factor: reported ${a.factor}, contract ${b.factor}`);
  };
  compare('incentiveForDataProvider', reported.dataProvider, signed.dataProvider);
  compare('extraIncentiveForAIProvider', reported.aiProvider, signed.aiProvider);
  return differences;
}

/** What an assessment found, for the automatic review to decide on. */
export interface Assessment {
  rule: DetectionRule | null;
  findings: Finding[];
  /** Why the holdings differ, when known (e.g. the reported metrics that differ from the contract). */
  cause: string;
  /**
   * The pairs whose due departs from the contract (a deliberate revocation, an earlier decision);
   * for a dispute only the disputing participant's. Absent in assessments recorded before it existed.
   */
  departures?: Departure[];
}

/**
 * The automatic review. It decides when the cause is clear:
 * - nothing differs → reject (no correction; an unfounded dispute is answered with the figures);
 * - the allocation followed reported metrics that differ from what is due → approve the correction.
 * It asks a reviewer when the contract wants manual review (a dispute too, even when nothing
 * differs: the participant asked for a person and the contract promises one), when the chain was
 * changed outside the DVCT (who did it, and whether it was right, is not something the DVCT can
 * know), and when a dispute is about a pair whose due a person set — a deliberate revocation or an
 * earlier decision: only a person overturns a person.
 */
export function automaticReview(assessment: Assessment, policy: ReviewPolicy, at: string): Decided | { needsReviewer: string } {
  const departures = assessment.departures ?? [];
  if (assessment.findings.length === 0) {
    const disputed = assessment.rule === 'participant-dispute';
    if (disputed && policy.mode === 'manual') return { needsReviewer: reviewQuestion('The contract requires a manual review of every incident, and a participant disputes', assessment) };
    if (disputed && departures.length > 0) {
      return { needsReviewer: reviewQuestion('The dispute is about what a person decided (a deliberate revocation or an earlier review); the automatic review does not overturn it', assessment) };
    }
    return { decision: 'reject', comment: `No correction needed: ${assessment.cause}`, decidedBy: 'automatic', decidedAt: at };
  }
  if (policy.mode === 'manual') return { needsReviewer: reviewQuestion('The contract requires a manual review of every incident', assessment) };
  if (assessment.rule === 'allocation-matches-contract') {
    return { decision: 'approve-correction', comment: `Automatic correction: ${assessment.cause}`, decidedBy: 'automatic', decidedAt: at };
  }
  return { needsReviewer: reviewQuestion('The automatic review cannot tell who is right', assessment) };
}

/**
 * What a reviewer must decide, in Markdown: why a person is asked, the rule and the cause, who holds
 * what against what is due, what departs from the contract and why, and what each decision does.
 */
export function reviewQuestion(why: string, assessment: Assessment): string {
  const findings = assessment.findings.map((f) => `- ${f.payerId} → ${f.recipientId}: holds ${unitsToPoints(f.held)} points, ${unitsToPoints(f.due)} due`);
  const departures = (assessment.departures ?? []).map((d) => `- ${describeDeparture(d)}`);
  return [
    `${why}.`,
    '',
    `Rule: ${assessment.rule ? `\`${assessment.rule}\`` : 'none failed'}. Cause: ${assessment.cause}`,
    '',
    ...(findings.length > 0 ? ['Held against due:', ...findings] : ['Held against due: every pair holds what is due.']),
    ...(departures.length > 0 ? ['', 'Due differs from the contract:', ...departures] : []),
    '',
    'approve-correction pays what is due (as above); adjust pays what the contract\'s metrics with your correctedMetrics make due, overriding earlier decisions and revocations; reject keeps what was held when the incident was found.',
  ].join('\n');
}
