import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { ApplicationFailure, type SearchAttributePair } from '@temporalio/common';
import { DvctError } from '../domain/errors';
import { peerPrevRootWorkflowId, type PeerPrevRootUpdate } from '../domain/peer-update';
import type { Decided, IncidentSource } from '../domain/incidents';
import { DvctContractId, DvctParticipants, DvctStage } from '../domain/search-attributes';
import { handOverIncident } from '../lib/incident-handoff';
import { canonicalJson } from '../lib/record-hash';
import { exchangeWorkflowId, incidentWorkflowId, revocationWorkflowId, settlementWorkflowId, sha256Hex } from '../lib/ids';
import {
  EXCHANGE_WORKFLOW,
  ONBOARDING_WORKFLOW,
  PREVROOT_WORKFLOW,
  REVOCATION_WORKFLOW,
  SETTLEMENT_WORKFLOW,
  progressQuery,
  reviewUpdate,
  type ExchangeProgress,
  type ExchangeWorkflowInput,
  type OnboardingWorkflowInput,
  type PrevRootInput,
  type ReviewInput,
  type RevocationWorkflowInput,
  type SettlementWorkflowInput,
} from '../workflows/definitions';


/**
 * The API's only door to Temporal: start runs under business-key workflow ids, ask running ones
 * where they are, and build links into the Web UI. A repeated start never creates a second run:
 * a running one is reused (USE_EXISTING) and a closed one is not started again (REJECT_DUPLICATE).
 */
export interface StartedRun {
  workflowId: string;
  runId: string | null;
  uiUrl: string;
}

export interface WorkflowGateway {
  startExchange(input: ExchangeWorkflowInput, meta: { contractId: string; participants: string[] }): Promise<StartedRun>;
  startSettlement(input: SettlementWorkflowInput, meta: { participants: string[] }): Promise<StartedRun>;
  startOnboarding(input: OnboardingWorkflowInput): Promise<StartedRun>;
  startRevocation(input: RevocationWorkflowInput, meta: { contractId: string }): Promise<StartedRun>;
  /** The run a peer's prevRoot update starts here, `peer-prevroot-<requestId>`: the same request again is the same run. */
  startPeerPrevRoot(input: PrevRootInput & { peer: PeerPrevRootUpdate }): Promise<StartedRun>;
  /**
   * Hands an incident (already recorded) to the run that handles the exchange's incidents one at a
   * time: by Signal to the exchange's run while it is open — it handles the incident as its child
   * `incident-<incidentId>` before it releases — else by signal-with-start to the exchange's queue
   * `incidents-<exchangeId>`, whose child it then is (lib/incident-handoff.ts). Answers the incident
   * run's id and Web UI link (runId null: the child starts when its turn comes).
   */
  raiseIncident(args: RaiseIncidentArgs): Promise<StartedRun>;
  /**
   * Sends a reviewer's decision to the incident's run as the Update `review` and answers what the
   * run decided. The run's validator refusing it → DvctError REVIEW_NOT_AWAITED, VALIDATION_FAILED
   * or CONFLICT (as it names it); no such run → NOT_FOUND; Temporal or the worker not answering in
   * time → DEPENDENCY_UNAVAILABLE. The same decision sent again is the same Update (its id is
   * derived from it), so a client retrying after a timeout gets the first answer.
   */
  submitReview(incidentId: string, input: ReviewInput): Promise<Decided>;
  /**
   * Live progress of a run; null when there is no such run. The query carries a gRPC deadline, so
   * a run whose worker is down fails fast instead of leaving a call retrying in the background.
   */
  progress(workflowId: string, timeoutMs: number): Promise<ExchangeProgress | null>;
  runUrl(workflowId: string, runId?: string | null): string;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

export interface RaiseIncidentArgs {
  exchangeWorkflowId: string;
  incidentId: string;
  exchangeId: string;
  source: IncidentSource;
  /** For the standalone run's search attributes. */
  meta: { contractId: string; participants: string[] };
}

/** A review waits for the run to take it (its validator and handler): long enough for a busy worker, short for a person. */
const REVIEW_TIMEOUT_MS = 15_000;
/** Every other call to Temporal (start, describe, signal, health) carries this gRPC deadline. */
const CALL_TIMEOUT_MS = 10_000;

export interface GatewayOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
}

export async function connectWorkflowGateway(opts: GatewayOptions): Promise<WorkflowGateway> {
  const connection = await Connection.connect({ address: opts.address, connectTimeout: '5s' });
  const client = new Client({ connection, namespace: opts.namespace });

  const runUrl = (workflowId: string, runId?: string | null): string => {
    const base = `${opts.uiUrl}/namespaces/${encodeURIComponent(opts.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
    return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
  };

  const withinDeadline = <T>(call: () => Promise<T>): Promise<T> => connection.withDeadline(Date.now() + CALL_TIMEOUT_MS, call);

  async function start(
    workflowType: string,
    workflowId: string,
    args: unknown[],
    searchAttributes: SearchAttributePair[],
    staticSummary: string,
    staticDetails: string,
  ): Promise<StartedRun> {
    let handle: WorkflowHandleWithFirstExecutionRunId;
    try {
      handle = await withinDeadline(() =>
        client.workflow.start(workflowType, {
          taskQueue: opts.taskQueue,
          workflowId,
          args,
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: searchAttributes,
          staticSummary,
          staticDetails,
        }),
      );
    } catch (err) {
      // The run already finished: the exchange exists, hand back the run that handled it.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await withinDeadline(() => client.workflow.getHandle(workflowId).describe());
      return { workflowId, runId: existing.runId, uiUrl: runUrl(workflowId, existing.runId) };
    }
    const runId = handle.firstExecutionRunId;
    return { workflowId, runId, uiUrl: runUrl(workflowId, runId) };
  }

  return {
    startExchange(input, meta) {
      const r = input.report;
      return start(
        EXCHANGE_WORKFLOW,
        exchangeWorkflowId(input.exchangeId),
        [input],
        [
          { key: DvctStage, value: 'received' },
          { key: DvctContractId, value: r.usecaseContractId },
          { key: DvctParticipants, value: meta.participants },
        ],
        `Exchange: ${r.dataConsumerId} used ${r.dataId} from ${r.dataProviderId} under ${r.usecaseContractId}`,
        [
          `**Exchange** \`${input.exchangeId}\``,
          '',
          `- use-case contract: \`${r.usecaseContractId}\`${r.usecaseContractTitle ? ` (${r.usecaseContractTitle})` : ''}`,
          `- data contract: \`${r.contractId}\``,
          `- provider: \`${r.dataProviderId}\` → consumer: \`${r.dataConsumerId}\`${r.dataConsumerIsAIProvider ? ' (AI provider)' : ''}`,
          `- data: \`${r.dataId}\`${r.prevDataIds.length ? `, derived from ${r.prevDataIds.map((d) => `\`${d}\``).join(', ')}` : ''}`,
          `- reported by connector \`${r.dvctId}\` at ${input.submittedAt}`,
        ].join('\n'),
      );
    },

    startSettlement(input, meta) {
      return start(
        SETTLEMENT_WORKFLOW,
        settlementWorkflowId(input.settlementId),
        [input],
        [
          { key: DvctStage, value: 'received' },
          { key: DvctContractId, value: input.contractId },
          { key: DvctParticipants, value: meta.participants },
        ],
        `Pool settlement of ${input.contractId}, round ${input.round}`,
        `**Pool settlement** \`${input.settlementId}\`\n\n- contract: \`${input.contractId}\`\n- round: \`${input.round}\`\n- requested by \`${input.requestedBy}\` at ${input.submittedAt}`,
      );
    },

    startOnboarding(input) {
      return start(
        ONBOARDING_WORKFLOW,
        `participant-${input.participantId}`,
        [input],
        [{ key: DvctParticipants, value: [input.participantId] }],
        `Onboarding of ${input.participantId}: initial points`,
        `**Onboarding** of \`${input.participantId}\`: mint the initial points to its wallet.`,
      );
    },

    startPeerPrevRoot(input) {
      const u = input.peer;
      return start(
        PREVROOT_WORKFLOW,
        peerPrevRootWorkflowId(u.requestId),
        [input],
        [{ key: DvctStage, value: 'updating-prevroots' }, { key: DvctContractId, value: u.usecaseContractId }],
        `prevRoot update from ${u.origin}: ${u.parent.dataId} has a new child ${u.child.dataId}`,
        `**prevRoot update** sent by instance \`${u.origin}\` for its exchange \`${u.exchangeId}\`: node \`${u.parent.nodeId}\` (\`${u.parent.dataId}\`) ← \`${u.child.nodeId}\` (${u.child['@nodeUrl']}); request \`${u.requestId}\`.`,
      );
    },

    startRevocation(input, meta) {
      return start(
        REVOCATION_WORKFLOW,
        revocationWorkflowId(input.revocationId),
        [input],
        [
          { key: DvctContractId, value: meta.contractId },
          { key: DvctParticipants, value: [...new Set([input.recipientId, ...input.payerIds])] },
        ],
        `Revocation: ${input.recipientId}'s points from ${input.payerIds.join(', ')} in exchange ${input.exchangeId}`,
        [
          `**Revocation** \`${input.revocationId}\``,
          '',
          `- exchange: \`${input.exchangeId}\` (contract \`${meta.contractId}\`)`,
          `- recipient: \`${input.recipientId}\`; payer(s): ${input.payerIds.map((p) => `\`${p}\``).join(', ')}`,
          `- reason: ${input.reason}`,
          `- requested by \`${input.requestedBy}\` at ${input.requestedAt}`,
        ].join('\n'),
      );
    },

    async raiseIncident({ exchangeWorkflowId, incidentId, exchangeId, source, meta }) {
      await handOverIncident(client, opts.taskQueue, { exchangeWorkflowId, incidentId, exchangeId, source, meta }, withinDeadline);
      const workflowId = incidentWorkflowId(incidentId);
      return { workflowId, runId: null, uiUrl: runUrl(workflowId) };
    },

    async submitReview(incidentId, input) {
      const workflowId = incidentWorkflowId(incidentId);
      const updateId = `review-${sha256Hex(canonicalJson(input)).slice(0, 32)}`;
      try {
        return await connection.withDeadline(Date.now() + REVIEW_TIMEOUT_MS, () =>
          client.workflow.getHandle(workflowId).executeUpdate(reviewUpdate, { args: [input], updateId }),
        );
      } catch (err) {
        throw reviewFailure(err, incidentId);
      }
    },

    async progress(workflowId, timeoutMs) {
      try {
        return await connection.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(workflowId).query(progressQuery));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    },

    runUrl,

    async health() {
      try {
        await withinDeadline(() => connection.workflowService.getSystemInfo({}));
        return { ok: true, detail: `${opts.address} namespace ${opts.namespace}` };
      } catch (err) {
        return { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
    },

    close: () => connection.close(),
  };
}

/** What a failed review Update means for the API: the validator's own code when it names one. */
function reviewFailure(err: unknown, incidentId: string): DvctError {
  if (err instanceof WorkflowNotFoundError) return new DvctError('NOT_FOUND', `There is no run for incident ${incidentId}.`, { incidentId });
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    const message = cause?.message ?? err.message;
    const type = cause instanceof ApplicationFailure ? cause.type : null;
    if (type === 'REVIEW_NOT_AWAITED' || type === 'VALIDATION_FAILED') return new DvctError(type, message, { incidentId });
    return new DvctError('CONFLICT', message, { incidentId });
  }
  return new DvctError('DEPENDENCY_UNAVAILABLE', `The run of incident ${incidentId} did not take the review in time; send the same decision again.`, {
    incidentId,
    cause: err instanceof Error ? err.message : String(err),
  });
}
