import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { DvctContractId, DvctParticipants, DvctStage } from '../domain/search-attributes';
import { exchangeWorkflowId, revocationWorkflowId, settlementWorkflowId } from '../lib/ids';
import {
  EXCHANGE_WORKFLOW,
  ONBOARDING_WORKFLOW,
  REVOCATION_WORKFLOW,
  SETTLEMENT_WORKFLOW,
  progressQuery,
  type ExchangeProgress,
  type ExchangeWorkflowInput,
  type OnboardingWorkflowInput,
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
  /**
   * Live progress of a run; null when there is no such run. The query carries a gRPC deadline, so
   * a run whose worker is down fails fast instead of leaving a call retrying in the background.
   */
  progress(workflowId: string, timeoutMs: number): Promise<ExchangeProgress | null>;
  runUrl(workflowId: string, runId?: string | null): string;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

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
      handle = await client.workflow.start(workflowType, {
        taskQueue: opts.taskQueue,
        workflowId,
        args,
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: searchAttributes,
        staticSummary,
        staticDetails,
      });
    } catch (err) {
      // The run already finished: the exchange exists, hand back the run that handled it.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await client.workflow.getHandle(workflowId).describe();
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
        await connection.workflowService.getSystemInfo({});
        return { ok: true, detail: `${opts.address} namespace ${opts.namespace}` };
      } catch (err) {
        return { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
    },

    close: () => connection.close(),
  };
}
