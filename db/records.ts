import type { Grant, GrantTerms } from '../domain/authority';
import type { RevokeCause } from '../domain/due';
import type { ErrorCode } from '../domain/errors';
import type { ChainedAuditEntry } from '../lib/audit-chain';
import type { LineageSlice } from '../domain/incentives';
import type {
  Decided,
  DetectionRule,
  ExchangeMetrics,
  Finding,
  IncidentDispute,
  IncidentSource,
  IncidentStatus,
  IncidentStep,
  ValidationRuleId,
} from '../domain/incidents';
import type {
  AllocationLine,
  AllocationReason,
  Distribution,
  ExchangeReport,
  ExchangeStage,
  ExchangeStatus,
  NodeKind,
  Units,
} from '../domain/types';

/**
 * What the Store takes and gives: plain objects, never ORM entities, so callers cannot reach the
 * EntityManager and a record can cross a Temporal or HTTP boundary as it is. Dates are `Date`,
 * amounts are `Units` strings.
 */

export interface ParticipantRecord {
  id: string;
  name: string;
  roles: string[];
  /** Lowercase. */
  walletAddress: string;
  webhookUrl: string | null;
  webhookSecret: string;
  createdAt: Date;
  /** Set while the operator has the organisation suspended. */
  suspendedAt: Date | null;
  suspensionReason: string | null;
}

export type NewParticipant = Omit<ParticipantRecord, 'createdAt' | 'suspendedAt' | 'suspensionReason'>;

/** What the operator may change of an organisation. */
export type ParticipantChanges = Partial<Pick<ParticipantRecord, 'name' | 'roles' | 'webhookUrl'>>;

/** Why an exchange stopped, named by the error catalogue. */
export interface ExchangeError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export type ExchangeKind = 'exchange' | 'settlement';

export interface ExchangeRecord {
  id: string;
  kind: ExchangeKind;
  workflowId: string;
  runId: string | null;
  usecaseContractId: string;
  /** Null for pool settlements. */
  consumerId: string | null;
  providerId: string | null;
  /** Null for pool settlements. */
  report: ExchangeReport | null;
  settlementRound: string | null;
  requestHash: string;
  idempotencyKey: string | null;
  status: ExchangeStatus;
  stage: ExchangeStage;
  error: ExchangeError | null;
  distribution: Distribution | null;
  /** What the first distribution was computed from, so a review can recompute it with other metrics. */
  basis: DistributionBasis | null;
  detection: unknown;
  consumedNodeId: string | null;
  outputNodeId: string | null;
  allocationTxHash: string | null;
  releaseTxHash: string | null;
  releaseAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What the API knows when it accepts a request; the run fills in the rest. */
export type NewExchange = Pick<
  ExchangeRecord,
  | 'id'
  | 'kind'
  | 'workflowId'
  | 'usecaseContractId'
  | 'consumerId'
  | 'providerId'
  | 'report'
  | 'settlementRound'
  | 'requestHash'
  | 'idempotencyKey'
> &
  Partial<Pick<ExchangeRecord, 'runId' | 'status' | 'stage'>>;

export type ExchangePatch = Partial<
  Pick<
    ExchangeRecord,
    | 'status'
    | 'stage'
    | 'runId'
    | 'error'
    | 'distribution'
    | 'basis'
    | 'detection'
    | 'consumedNodeId'
    | 'outputNodeId'
    | 'allocationTxHash'
    | 'releaseTxHash'
    | 'releaseAt'
  >
>;

export interface NodeRecord {
  nodeId: string;
  dataId: string;
  kind: NodeKind;
  /** Null while nobody has described the node (a placeholder from a bare prevDataId). */
  ownerId: string | null;
  placeholder: boolean;
  dvctId: string | null;
  usecaseContractId: string | null;
  dataProviderId: string | null;
  dataConsumerId: string | null;
  createdByExchangeId: string;
  /** The instance the node is homed on when that is not this one (a reference copy); null: here. */
  homeInstanceId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewNode = Omit<NodeRecord, 'createdAt' | 'updatedAt' | 'homeInstanceId'> & { homeInstanceId?: string | null };

export interface LinkRecord {
  parentNodeId: string;
  childNodeId: string;
  exchangeId: string;
  usecaseContractId: string;
  contractId: string;
  createdAt: Date;
}

export type NewLink = Omit<LinkRecord, 'createdAt'>;

export interface NewPropagation {
  ancestorNodeId: string;
  exchangeId: string;
  viaNodeId: string;
  depth: number;
}

export type LineageDirection = 'backward' | 'forward' | 'both';

export interface LineageOptions {
  direction: LineageDirection;
  /** Levels to walk; null walks to the roots/leaves. */
  depth: number | null;
  /** Upper bound on the nodes returned (the start node included); default 10 000. */
  maxNodes?: number;
}

export interface Lineage {
  nodes: NodeRecord[];
  edges: LinkRecord[];
  /** True when the depth or maxNodes bound left part of the graph out. */
  truncated: boolean;
}

/** Nodes reached walking down from some start nodes. */
export interface Downstream {
  /** Start nodes first (depth 0), then level by level. */
  nodes: { nodeId: string; depth: number; sourceNodeId: string }[];
  truncated: boolean;
}

/** A time range; either end may be open. `from` is inclusive, `to` exclusive. */
export interface Period {
  from?: Date;
  to?: Date;
}

/** A node of the incentive maths' view of the graph. */
export interface UpstreamEntry {
  ownerId: string | null;
  parentIds: string[];
}

export type AllocationStatus = 'allocated' | 'released' | 'revoked';

export interface AllocationRecord {
  exchangeId: string;
  /** 'initial' for the exchange's own allocation; an incident id for a correction's lines. */
  round: string;
  payerId: string;
  recipientId: string;
  amount: Units;
  status: AllocationStatus;
  allocationTxHash: string | null;
  releaseTxHash: string | null;
  revokeTxHash: string | null;
  revokeReason: string | null;
  /** Null while not revoked (and for lines revoked before causes were recorded, where the migration could not tell). */
  revokeCause: RevokeCause | null;
  revokedAt: Date | null;
  releaseAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** Names one line of an exchange: its round, payer and recipient. */
export type AllocationKey = Pick<AllocationRecord, 'round' | 'payerId' | 'recipientId'>;

/** One award part a participant received, with the exchange it belongs to. */
export interface ReceivedAward {
  exchangeId: string;
  payerId: string;
  amount: Units;
  reason: AllocationReason;
  nodeId: string | null;
  depth: number;
}

export interface Balance {
  /** Allocated and still revocable: neither released nor revoked. */
  allocated: Units;
  released: Units;
  revoked: Units;
}

/** The inputs of computeExchangeDistribution besides contract and report. */
export interface DistributionBasis {
  metrics: ExchangeMetrics;
  /** The contract's factors replaced by the data-quality check, where a term asks for one. */
  qualityFactors: { dataProvider?: number; aiProvider?: number };
  consumedNodeId: string;
  outputNodeId: string;
  lineage: LineageSlice;
}

export interface IncidentRecord {
  id: string;
  exchangeId: string;
  source: IncidentSource;
  status: IncidentStatus;
  /** The check that failed; null until assessed (and for a dispute found unfounded, 'participant-dispute'). */
  rule: DetectionRule | null;
  /** Why, in words: what differs and, when known, the cause. */
  cause: string;
  findings: Finding[];
  dispute: IncidentDispute | null;
  decision: Decided | null;
  /** What stood per (payer, recipient) when assessed; null until then, and for incidents assessed before it was kept. */
  heldAtDetection: AllocationLine[] | null;
  /** What the decision made due (the correction's target); null until decided. */
  decidedDue: AllocationLine[] | null;
  /** The validation rule that would have refused the input (the feedback step), if there is one. */
  suggestedValidationRule: ValidationRuleId | null;
  workflowId: string;
  reviewDeadline: Date | null;
  openedAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}

export type NewIncident = Pick<IncidentRecord, 'id' | 'exchangeId' | 'source' | 'workflowId' | 'dispute'>;

export type IncidentPatch = Partial<
  Pick<IncidentRecord, 'status' | 'rule' | 'cause' | 'findings' | 'decision' | 'heldAtDetection' | 'decidedDue' | 'suggestedValidationRule' | 'reviewDeadline' | 'closedAt'>
>;

/** One step of an incident's timeline, with the transactions it sent. */
export interface IncidentEventRecord {
  incidentId: string;
  seq: number;
  step: IncidentStep;
  summary: string;
  details: unknown;
  txHashes: string[];
  at: Date;
}

export type NewIncidentEvent = Pick<IncidentEventRecord, 'incidentId' | 'step' | 'summary' | 'details' | 'txHashes'> & {
  /** Unique per incident: recording the same key again is a no-op (an activity retried). */
  key: string;
};

export type DeliveryStatus = 'not-applicable' | 'pending' | 'delivered' | 'failed';

export interface NotificationRecord {
  id: string;
  /** The exchange (or settlement) the message is about. */
  subjectId: string;
  participantId: string;
  kind: string;
  payload: Record<string, unknown>;
  webhookUrl: string | null;
  deliveryStatus: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  lastStatusCode: number | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

/** A message to create: delivery starts 'pending' with a webhook URL, 'not-applicable' without. */
export type NewNotification = Pick<NotificationRecord, 'id' | 'subjectId' | 'participantId' | 'kind' | 'payload' | 'webhookUrl'>;

export interface DeliveryAttempt {
  ok: boolean;
  statusCode?: number;
  error?: string;
}

/** An API key as stored: never the key, only sha256 of its secret. */
export interface ApiKeyRecord {
  keyId: string;
  participantId: string;
  secretHash: string;
  label: string | null;
  /** True: only the key's own grants apply; false: its organisation's grants too. */
  restricted: boolean;
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
  replacedBy: string | null;
}

export type NewApiKey = Pick<ApiKeyRecord, 'keyId' | 'participantId' | 'secretHash' | 'label' | 'restricted' | 'createdBy'>;

export interface GrantRecord extends Grant {
  participantId: string;
  /** Null: the organisation's grant (every unrestricted key of it). */
  keyId: string | null;
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
}

export type NewGrant = GrantTerms & Pick<GrantRecord, 'participantId' | 'keyId' | 'createdBy'>;

export type AuditEntryRecord = ChainedAuditEntry;

/** What a caller records; the store adds seq, time and the chain hashes. */
export interface NewAuditEntry {
  actor: string;
  keyId?: string | null;
  action: string;
  object: string;
  before?: unknown;
  after?: unknown;
  workflowId?: string | null;
  txHash?: string | null;
  requestId?: string | null;
  /** Records the action once: a second append with the same key returns the first entry. */
  dedupKey?: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  object?: string;
  from?: Date;
  to?: Date;
  /** Only entries after this seq (the previous page's last). */
  afterSeq?: number;
}

export interface AuditAnchorRecord {
  seq: number;
  head: string;
  txHash: string;
  anchoredAt: Date;
}
