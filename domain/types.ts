import type { ReviewPolicy, ValidationRuleId } from './incidents';

/**
 * The domain's shapes, shared by workflows, activities and the API. Pure types: no I/O.
 *
 * Amounts: points are an ERC-20 token with 18 decimals. Inside the domain an amount is a bigint of
 * base units; wherever it crosses a process or workflow boundary it is a decimal string of base
 * units (`Units`), because JSON and Temporal's payload converter cannot carry bigint.
 */

/** Base units of the points token (18 decimals) as a decimal integer string, e.g. "5000000000000000000". */
export type Units = string;

/** One incentive term of a contract, as the design document writes it. */
export interface IncentiveTerm {
  /** Points awarded in full (factor 1). At most 18 decimals. */
  numPoints: number;
  /** 0.0–1.0, at most 6 decimals. */
  factor: number;
  /** When true the factor comes from a data-quality check instead of `factor`. */
  factorCheck: boolean;
}

/** The roles a party can hold in a use-case contract. */
export type PartyRole = 'orchestrator' | 'data-provider' | 'data-consumer' | 'ai-provider';

export interface ContractParty {
  participantId: string;
  roles: PartyRole[];
}

/** A share of each award that flows to the providers of the parent nodes (indirect use). */
export interface UpstreamShare {
  /** Fraction 0–1 (at most 6 decimals) of an award passed on to the providers of the parent nodes. */
  share: number;
  /** How many levels up the share travels; at the last level the recipients keep all of it. */
  depth: number;
}

export interface RewardPool {
  numPoints: number;
  weights: { participantId: string; weight: number }[];
}

/** A use-case contract as the registry holds it. */
export interface UseCaseContract {
  id: string;
  title: string;
  orchestratorId: string;
  parties: ContractParty[];
  /** ISO-8601 instants; `validUntil` null means open-ended. */
  validFrom: string;
  validUntil: string | null;
  incentiveForDataProvider: IncentiveTerm;
  extraIncentiveForAIProvider: IncentiveTerm | null;
  upstream: UpstreamShare | null;
  rewardPool: RewardPool | null;
  /** How long allocations stay revocable before they are released. */
  verificationWindowSeconds: number;
  /** How incidents on this contract's exchanges are reviewed (DEFAULT_REVIEW_POLICY when not stated). */
  review: ReviewPolicy;
  /** Extra checks a report must pass, added by the orchestrator after an incident (the feedback step). */
  validationRules: ValidationRuleId[];
}

/** The kind of data a lineage node stands for (Latif et al.: raw, linked/chain, consumer/final). */
export type NodeKind = 'raw-data' | 'chain-data' | 'final-data';

/**
 * An exchange as a connector reports it: the design document's "Input data", normalised
 * (`prevDataId` always an array) and extended with the optional description of the output.
 */
export interface ExchangeReport {
  dvctId: string;
  usecaseContractId: string;
  usecaseContractTitle?: string;
  contractId: string;
  dataId: string;
  dataProviderId: string;
  dataConsumerId: string;
  dataConsumerIsAIProvider: boolean;
  prevDataIds: string[];
  incentiveForDataProvider?: IncentiveTerm;
  extraIncentiveForAIProvider?: IncentiveTerm;
  /** The dataId of what the consumer produced; defaults to one output per consumer and use case. */
  outputDataId?: string;
  outputDataType?: Exclude<NodeKind, 'raw-data'>;
}

/** Why a line of a distribution exists. */
export type AllocationReason = 'data-provider' | 'ai-provider' | 'upstream' | 'pool';

/** One transfer of points from a payer's deposit to a recipient, as allocated on chain. */
export interface AllocationLine {
  payerId: string;
  recipientId: string;
  amount: Units;
}

/** One award before merging, kept so a person can see where each unit came from. */
export interface AwardPart {
  payerId: string;
  recipientId: string;
  amount: Units;
  reason: AllocationReason;
  /** The node whose use earned it; for upstream parts, the ancestor node. */
  nodeId: string | null;
  /** 0 for a direct award, n for a share that travelled n levels up. */
  depth: number;
}

export interface Distribution {
  /** Merged per (payer, recipient), sorted by payer then recipient; zero lines are left out. */
  lines: AllocationLine[];
  /** Every award part, in the order it was computed. */
  parts: AwardPart[];
  /** Sum of `lines`: what the chain must hold for this exchange. */
  totalDue: Units;
}

/** A link as the seed's output format writes it. */
export interface NodeRef {
  nodeId: string;
  '@nodeUrl': string;
}

/** A lineage node exactly in the design document's "Output data" shape. */
export interface NodeView {
  nodeId: string;
  dataId: string;
  nodeMetadata: {
    dvctId: string;
    usecaseContractId: string;
    dataProviderId: string;
    dataConsumerId: string;
    incentiveReceivedFrom: { organizationId: string; numPoints: number; contractId: string }[];
  };
  prevNode: NodeRef[];
  childNode: NodeRef[];
}

/** Where an exchange run is. Also the value of the DvctStage search attribute. */
export type ExchangeStage =
  | 'received'
  | 'verifying-contract'
  | 'creating-nodes'
  | 'updating-prevroots'
  | 'allocating-points'
  | 'verifying-distribution'
  | 'notifying'
  | 'verification-window'
  | 'releasing'
  | 'completed'
  | 'rejected'
  | 'failed'
  | 'mismatch-detected'
  | 'handling-incident'
  | 'cancelled';

export type ExchangeStatus = 'running' | 'completed' | 'rejected' | 'failed' | 'cancelled';
