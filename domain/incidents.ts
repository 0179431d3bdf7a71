import type { AllocationLine, Units } from './types';

/**
 * Incidents: a wrong distribution found, and everything done about it — the design document's
 * error-handling steps (detection → rollback → review → correction → re-distribution →
 * notification → feedback). Pure types and names, shared by workflows, activities, the store and
 * the API.
 */

/** What opened the incident. */
export type IncidentSource = 'detection' | 'dispute' | 'reconciliation';

/**
 * open: being handled automatically; awaiting-review: waiting for a reviewer's decision;
 * escalated: the review deadline passed (the contract's default decision is being applied);
 * resolved: a correction was applied; dismissed: nothing had to change (e.g. an unfounded
 * dispute); cancelled: the run was cancelled — whatever its rollback took back stays revoked, and
 * a correction still held was revoked by the compensation (the timeline says which).
 */
export type IncidentStatus = 'open' | 'awaiting-review' | 'escalated' | 'resolved' | 'dismissed' | 'cancelled';
export const INCIDENT_STATUSES = ['open', 'awaiting-review', 'escalated', 'resolved', 'dismissed', 'cancelled'] as const satisfies readonly IncidentStatus[];

/** The check that failed: what the incident records so the same input can be refused next time. */
export type DetectionRule =
  /** The chain holds something else than the DVCT allocated (changed outside the DVCT). */
  | 'chain-matches-allocation'
  /** What was allocated (from the reported metrics) differs from what the contract makes due. */
  | 'allocation-matches-contract'
  /** A participant disputes what it received. */
  | 'participant-dispute';

/** Rules a contract can add so that a report is refused at verification (the feedback step). */
export type ValidationRuleId =
  /** The report's incentive terms must equal the contract's (no lower numPoints, no other factor). */
  'reported-terms-match-contract';
export const VALIDATION_RULES = ['reported-terms-match-contract'] as const satisfies readonly ValidationRuleId[];

/** The metrics the distribution is computed from: per award, points and factor. */
export interface AwardMetric {
  numPoints: number;
  factor: number;
}
export interface ExchangeMetrics {
  dataProvider: AwardMetric;
  /** Null when the exchange earns no AI-provider award. */
  aiProvider: AwardMetric | null;
}

/** A reviewer's correction of some metrics; what is left out keeps the contract's value. */
export interface MetricsCorrection {
  incentiveForDataProvider?: Partial<AwardMetric>;
  extraIncentiveForAIProvider?: Partial<AwardMetric>;
}

export type ReviewDecisionKind = 'approve-correction' | 'reject' | 'adjust';
export const REVIEW_DECISIONS = ['approve-correction', 'reject', 'adjust'] as const satisfies readonly ReviewDecisionKind[];

/**
 * approve-correction: pay what is due (the DVCT's proposal: the contract as amended by deliberate
 *   revocations and earlier decisions).
 * adjust: pay what the contract's metrics with `correctedMetrics` make due, overriding earlier
 *   decisions and revocations.
 * reject: no correction — the holdings as the incident found them stand (anything rolled back is restored).
 */
export interface ReviewDecision {
  decision: ReviewDecisionKind;
  correctedMetrics?: MetricsCorrection;
  comment: string;
}

/** A decision with who made it: 'automatic', 'deadline' (the contract's default), 'operator' or a reviewer's id. */
export interface Decided extends ReviewDecision {
  decidedBy: string;
  decidedAt: string;
}

/** How a contract wants its incidents reviewed. */
export interface ReviewPolicy {
  /** automatic: decide when the cause is clear, ask a reviewer otherwise; manual: always ask. */
  mode: 'automatic' | 'manual';
  /** How long a reviewer has before the incident escalates. */
  deadlineSeconds: number;
  /** What happens at the deadline, after escalating. */
  onDeadline: 'approve-correction' | 'reject';
  /** A participant's difference up to this many points is not an incident (0: exact). */
  tolerancePoints: number;
}

export const DEFAULT_REVIEW_POLICY: ReviewPolicy = {
  mode: 'automatic',
  deadlineSeconds: 7 * 86_400,
  onDeadline: 'approve-correction',
  tolerancePoints: 0,
};

/** One allocation of an exchange as it stands, in any round (the first, or an incident's correction). */
export interface HeldLine {
  /** 'initial' for the exchange's own allocation, else the incident id that allocated it. */
  round: string;
  payerId: string;
  recipientId: string;
  amount: Units;
  status: 'allocated' | 'released' | 'revoked';
}

/** Per (payer, recipient): what stands (allocated or released, all rounds) against what is due. */
export interface Finding {
  payerId: string;
  recipientId: string;
  held: Units;
  due: Units;
}

/** The plan to move the holdings to a target distribution. */
export interface CorrectionPlan {
  /** Held (still revocable) lines to revoke back to their payers. */
  revoke: HeldLine[];
  /** New lines to allocate in the incident's round. */
  allocate: AllocationLine[];
  /** Over-payments already released: they cannot be taken back, only reported. */
  unrecoverable: AllocationLine[];
}

export interface IncidentDispute {
  participantId: string;
  /** What the participant expected to receive in this exchange, in points; null when not stated. */
  expectedPoints: string | null;
  reason: string;
}

/** release: the correction paid out after its window; cancellation: the run was cancelled, and what its compensation did. */
export const INCIDENT_STEPS = ['detection', 'rollback', 'review', 'escalation', 'correction', 'redistribution', 'notification', 'resolution', 'release', 'cancellation', 'feedback'] as const;
export type IncidentStep = (typeof INCIDENT_STEPS)[number];

export const INCIDENT_ROUND_INITIAL = 'initial';
