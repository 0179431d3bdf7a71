import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { IncidentSource } from '../domain/incidents';
import { DvctContractId, DvctParticipants } from '../domain/search-attributes';
import { exchangeIncidentsWorkflowId } from '../domain/workflow-ids';
import { EXCHANGE_INCIDENTS_WORKFLOW, raiseIncidentSignal, type ExchangeIncidentsInput } from '../workflows/definitions';

export interface IncidentHandoff {
  exchangeWorkflowId: string;
  exchangeId: string;
  incidentId: string;
  source: IncidentSource;
  /** For the queue run's search attributes, when it has to be started. */
  meta: { contractId: string; participants: string[] };
}

/** Who took the incident: the exchange's own run, or the exchange's incident queue. */
export type IncidentTaker = 'exchange-run' | 'incident-queue';

/**
 * Hands an incident raised from outside a run (a dispute, a reconciliation finding; its record
 * exists already) to the one place that handles the exchange's incidents at that moment: the
 * exchange's run while it is open — by Signal; it handles incidents one at a time before it
 * releases — else the exchange's incident queue `incidents-<exchangeId>`, by signal-with-start, so
 * a running queue takes it after the ones before it and a closed one starts again. Either way one
 * incident of an exchange is handled at a time, and the same incident id is handled once.
 * `within` wraps each call to Temporal (the API gives it a deadline).
 */
export async function handOverIncident(
  client: Client,
  taskQueue: string,
  handoff: IncidentHandoff,
  within: <T>(call: () => Promise<T>) => Promise<T> = (call) => call(),
): Promise<IncidentTaker> {
  const { incidentId, source, exchangeId, meta } = handoff;
  try {
    await within(() => client.workflow.getHandle(handoff.exchangeWorkflowId).signal(raiseIncidentSignal, { incidentId, source }));
    return 'exchange-run';
  } catch (err) {
    // The exchange's run is over (or never ran): its incidents now go to the queue.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  const input: ExchangeIncidentsInput = { exchangeId };
  await within(() =>
    client.workflow.signalWithStart(EXCHANGE_INCIDENTS_WORKFLOW, {
      taskQueue,
      workflowId: exchangeIncidentsWorkflowId(exchangeId),
      args: [input],
      signal: raiseIncidentSignal,
      signalArgs: [{ incidentId, source }],
      // A queue that finished earlier is started again; a running one is signalled.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: DvctContractId, value: meta.contractId },
        { key: DvctParticipants, value: meta.participants },
      ],
      staticSummary: `Incidents of exchange ${exchangeId}, one at a time`,
      staticDetails: [
        `**Incident queue** of exchange \`${exchangeId}\` (contract \`${meta.contractId}\`), whose own run is over.`,
        '',
        'Each incident (a dispute, a reconciliation finding) runs as a child `incident-<incidentId>`, after the one before it, so none pays a difference another already corrected.',
      ].join('\n'),
    }),
  );
  return 'incident-queue';
}
