import { defineQuery } from '@temporalio/workflow';
import type { ErrorCode } from '../domain/errors';
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

export interface ExchangeWorkflowInput {
  exchangeId: string;
  report: ExchangeReport;
  /** When the API accepted the report; the contract must be in force at this instant. */
  submittedAt: string;
  /** Bound on the prevRoot loop's depth (config PREVROOT_MAX_DEPTH). */
  prevRootMaxDepth: number;
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
}

export const progressQuery = defineQuery<ExchangeProgress>('progress');
