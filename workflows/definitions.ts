import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ErrorCode } from '../domain/errors';
import type { Decided, Finding, IncidentSource, IncidentStatus, ReviewDecision } from '../domain/incidents';
import type { PeerPrevRootUpdate } from '../domain/peer-update';
import type { Distribution, ExchangeReport, ExchangeStage, Units } from '../domain/types';

/**
 * What crosses the boundary between the API (client side) and the workflows: names, inputs,
 * queries. Importing this file pulls in no worker code, so the API can use it.
 */

export const EXCHANGE_WORKFLOW = 'exchangeWorkflow';
export const PREVROOT_WORKFLOW = 'prevRootUpdateWorkflow';
export const SETTLEMENT_WORKFLOW = 'poolSettlementWorkflow';
export const ONBOARDING_WORKFLOW = 'participantOnboardingWorkflow';
export const REVOCATION_WORKFLOW = 'revocationWorkflow';
export const INCIDENT_WORKFLOW = 'incidentWorkflow';
export const EXCHANGE_INCIDENTS_WORKFLOW = 'exchangeIncidentsWorkflow';
export const RECONCILIATION_WORKFLOW = 'reconciliationWorkflow';
export const AUDIT_ANCHOR_WORKFLOW = 'auditAnchorWorkflow';

export interface ExchangeWorkflowInput {
  exchangeId: string;
  report: ExchangeReport;
  /** When the API accepted the report; the contract must be in force at this instant. */
  submittedAt: string;
  /** Bound on the prevRoot loop's depth (config PREVROOT_MAX_DEPTH). */
  prevRootMaxDepth: number;
  /**
   * Several instances (a directory with peers): the consumed data's home learns of the output
   * even when the report names no parents. Absent in runs started before federation.
   */
  federation?: { peerRetryMaxIntervalSeconds: number };
}

/** The prevRoot run's input: an exchange's own loop, or (with `peer`) a peer's update arriving here. */
export interface PrevRootInput {
  exchangeId: string;
  childNodeId: string;
  prevDataIds: string[];
  maxDepth: number;
  /** Several instances: the exchange's output, so the consumed node's home (when a peer) learns of it first. */
  outputNodeId?: string;
  /** Set when a peer's request started this run: the update to apply before climbing. */
  peer?: PeerPrevRootUpdate;
  /** Longest back-off between attempts to reach a peer (PEER_RETRY_MAX_INTERVAL_SECONDS). */
  peerRetryMaxIntervalSeconds?: number;
  /** Set only by continue-as-new. */
  carry?: { frontier: PendingHop[]; visited: string[]; hops: number; truncated: boolean };
}

/** One step of the prevRoot loop still to take. */
export interface PendingHop {
  childNodeId: string;
  /** Level 1 names parents by the reported prevDataId; above that they are known nodes. */
  parentDataId?: string;
  parentNodeId?: string;
  depth: number;
  /** Hand this hop to the parent's home instance instead of applying it here. */
  remote?: { prevDataIds: string[] };
}

export interface SettlementWorkflowInput {
  settlementId: string;
  contractId: string;
  round: string;
  requestedBy: string;
  submittedAt: string;
}

export interface OnboardingWorkflowInput {
  participantId: string;
  /** Initial points to mint to the participant's wallet, in base units. */
  initialUnits: Units;
}

export interface RevocationWorkflowInput {
  revocationId: string;
  exchangeId: string;
  recipientId: string;
  /** The payers whose lines to the recipient are taken back (one line each). */
  payerIds: string[];
  reason: string;
  /** 'operator' or the orchestrator's participant id. */
  requestedBy: string;
  requestedAt: string;
}

export interface DetectionResult {
  ok: boolean;
  checkedAt: string;
  totalDue: Units;
  totalOnChain: Units;
  recipients: { recipientId: string; expected: Units; onChain: Units; ok: boolean }[];
  /** For an exchange: what was allocated against what the contract's own metrics make due. */
  againstContract: Finding[];
}

export interface PrevRootHop {
  depth: number;
  parentNodeId: string;
  childNodeId: string;
  action: 'created' | 'linked' | 'propagated';
}

/** What a running exchange (or settlement) reports about itself; the API shows it live. */
export interface ExchangeProgress {
  id: string;
  stage: ExchangeStage;
  stages: { stage: ExchangeStage; at: string }[];
  nodes: { consumedNodeId: string; outputNodeId: string } | null;
  prevRootHops: number;
  distribution: Distribution | null;
  allocation: { txHash: string | null; releaseAt: string } | null;
  detection: DetectionResult | null;
  error: { code: ErrorCode | string; message: string } | null;
  /** Incidents this run has handled or is handling, in the order they were raised. */
  incidents: { incidentId: string; status: IncidentStatus | 'queued' }[];
}

export const progressQuery = defineQuery<ExchangeProgress>('progress');

/**
 * An incident to handle, sent to the exchange's run while it still holds the allocations (the
 * run handles it before it releases). The incident record exists before the signal is sent.
 */
export interface RaiseIncident {
  incidentId: string;
  source: IncidentSource;
}
export const raiseIncidentSignal = defineSignal<[RaiseIncident]>('raiseIncident');

export interface IncidentWorkflowInput {
  incidentId: string;
  exchangeId: string;
  source: IncidentSource;
  /**
   * True when the exchange's run is over (its allocations released): the incident then waits out
   * its correction's window and releases it itself. False when the exchange's run handles it.
   */
  standalone: boolean;
}

/**
 * The input of `incidents-<exchangeId>`, the queue of an exchange whose run is over. Incidents
 * arrive as the Signal `raiseIncident` (sent with signal-with-start); `pending` (still to handle)
 * and `seen` (every incident id taken so far) carry the queue over a continue-as-new.
 */
export interface ExchangeIncidentsInput {
  exchangeId: string;
  pending?: RaiseIncident[];
  seen?: string[];
}

/** A reviewer's decision as the API, a client or the Web UI sends it. */
export interface ReviewInput extends ReviewDecision {
  /** 'operator' or the reviewing participant's id; the Web UI's signal may leave it out. */
  reviewerId?: string;
}

/**
 * The reviewer's decision, as an Update (the API's way: a synchronous validator refuses a
 * decision the run is not waiting for, or one that does not hold, and the caller sees why) or as
 * a Signal of the same name (the Web UI's "Send a Signal"; an invalid one is recorded and ignored).
 */
export const reviewUpdate = defineUpdate<Decided, [ReviewInput]>('review');
export const reviewSignal = defineSignal<[ReviewInput]>('review');

/** What an incident run reports about itself. */
export interface IncidentProgress {
  incidentId: string;
  status: IncidentStatus;
  step: string;
  /** What the reviewer must decide, while the run waits for one. */
  awaitingReview: { question: string; deadline: string } | null;
  decision: Decided | null;
}
export const incidentProgressQuery = defineQuery<IncidentProgress>('incidentProgress');
