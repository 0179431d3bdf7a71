import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { incidentWorkflowId } from '../domain/workflow-ids';
import { INCIDENT_WORKFLOW, raiseIncidentSignal, type ExchangeIncidentsInput, type RaiseIncident } from './definitions';
import type { IncidentOutcome } from './incident';

export interface ExchangeIncidentsResult {
  exchangeId: string;
  handled: { incidentId: string; outcome: IncidentOutcome['status'] | 'failed' | 'cancelled' | 'already-handled' }[];
}

/**
 * The incidents of an exchange whose own run is over (disputes and reconciliation findings after
 * the release), one at a time: `incidents-<exchangeId>`, reached only by signal-with-start of the
 * Signal `raiseIncident`. Each incident is a child run (`incident-<incidentId>`) that assesses the
 * holdings the previous one left — including its correction, still held during its window — so two
 * incidents about the same difference cannot both pay it. While the exchange's run is open, that
 * run is the queue instead (IncidentQueue); it closes only after its last incident, so the two
 * never hold incidents of one exchange at the same time.
 *
 * The run ends when nothing is left to do; the next signal-with-start begins a new one. A signal
 * that arrives as the run completes is not lost: Temporal refuses the completion and the run goes on.
 */
export async function exchangeIncidentsWorkflow(input: ExchangeIncidentsInput): Promise<ExchangeIncidentsResult> {
  const { exchangeId } = input;
  const queue: RaiseIncident[] = [...(input.pending ?? [])];
  const seen = new Set<string>([...(input.seen ?? []), ...queue.map((i) => i.incidentId)]);
  const handled: ExchangeIncidentsResult['handled'] = [];

  // Registered before the first await: the signal that started the run is delivered with its first task.
  setHandler(raiseIncidentSignal, (raised) => {
    if (seen.has(raised.incidentId)) return;
    seen.add(raised.incidentId);
    queue.push(raised);
  });

  const show = (current: RaiseIncident | null) =>
    setCurrentDetails(
      [
        `**Incidents of exchange** \`${exchangeId}\` — its own run is over; incidents are handled one at a time.`,
        '',
        current ? `Handling \`${current.incidentId}\` (${current.source}) in run \`${incidentWorkflowId(current.incidentId)}\`.` : 'Nothing to handle.',
        queue.length > 0 ? `Waiting: ${queue.map((i) => `\`${i.incidentId}\``).join(', ')}.` : '',
        handled.length > 0 ? `Handled: ${handled.map((h) => `\`${h.incidentId}\` ${h.outcome}`).join(', ')}.` : '',
      ].join('\n'),
    );

  for (let next = queue.shift(); next; next = queue.shift()) {
    show(next);
    handled.push({ incidentId: next.incidentId, outcome: await handle(exchangeId, next) });
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof exchangeIncidentsWorkflow>({ exchangeId, pending: queue, seen: [...seen] });
    }
  }
  show(null);
  await condition(allHandlersFinished);
  return { exchangeId, handled };
}

/** Runs one incident to its end; its failure or cancellation is its own, the queue goes on unless it is itself cancelled. */
async function handle(exchangeId: string, raised: RaiseIncident): Promise<ExchangeIncidentsResult['handled'][number]['outcome']> {
  try {
    const outcome: IncidentOutcome = await executeChild(INCIDENT_WORKFLOW, {
      workflowId: incidentWorkflowId(raised.incidentId),
      args: [{ incidentId: raised.incidentId, exchangeId, source: raised.source, standalone: true }],
      // One run per incident, ever: a second raise of an incident already handled finds its run.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      // Should this queue be terminated, its incident still runs its compensation.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `Incident ${raised.incidentId} (${raised.source}) on exchange ${exchangeId}`,
    });
    return outcome.status;
  } catch (err) {
    if (CancellationScope.current().consideredCancelled) throw err;
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-handled';
    return isCancellation(err) ? 'cancelled' : 'failed';
  }
}
