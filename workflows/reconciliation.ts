import { getExternalWorkflowHandle, ParentClosePolicy, patched, setCurrentDetails, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { incidentWorkflowId } from '../domain/workflow-ids';
import { INCIDENT_WORKFLOW, raiseIncidentSignal } from './definitions';
import { act } from './activities';

export interface ReconciliationInput {
  lookbackSeconds: number;
  /** A row changed more recently than this may be mid-step (chain written, record not yet); default 30. */
  settleSeconds?: number;
}

export interface ReconciliationResult {
  checked: number;
  incidents: string[];
}

const CLOSED = new Set(['resolved', 'dismissed', 'cancelled']);

/**
 * Since incidents after the release go through the exchange's incident queue (one at a time), this
 * run hands them over by an activity; runs started before keep the commands they recorded.
 */
const THROUGH_EXCHANGE_INCIDENT_QUEUE = 'incidents-through-exchange-queue';

/**
 * Started by the reconciliation Schedule: compares database and chain for recent exchanges and
 * opens one incident per mismatch. The incident goes to the exchange's run while it still holds
 * its allocations, else to the exchange's incident queue (and outlives this run).
 */
export async function reconciliationWorkflow(input: ReconciliationInput): Promise<ReconciliationResult> {
  const { checked, mismatches } = await act.findReconciliationMismatches.executeWithOptions(
    { summary: `compare database and chain, last ${input.lookbackSeconds}s` },
    [{ lookbackSeconds: input.lookbackSeconds, ...(input.settleSeconds !== undefined ? { settleSeconds: input.settleSeconds } : {}) }],
  );
  const incidents: string[] = [];
  for (const m of mismatches) {
    const { status } = await act.openIncident({ incidentId: m.incidentId, exchangeId: m.exchangeId, source: 'reconciliation' });
    if (CLOSED.has(status)) continue;
    incidents.push(m.incidentId);
    if (patched(THROUGH_EXCHANGE_INCIDENT_QUEUE)) {
      await act.handOverIncident.executeWithOptions(
        { summary: `hand incident ${m.incidentId} to the run handling exchange ${m.exchangeId}'s incidents` },
        [{ exchangeWorkflowId: m.workflowId, exchangeId: m.exchangeId, incidentId: m.incidentId, source: 'reconciliation', meta: m.meta }],
      );
      continue;
    }
    try {
      await getExternalWorkflowHandle(m.workflowId).signal(raiseIncidentSignal, { incidentId: m.incidentId, source: 'reconciliation' });
    } catch {
      // The exchange's run is over: the incident runs on its own, and is not cancelled with this run.
      try {
        await startChild(INCIDENT_WORKFLOW, {
          workflowId: incidentWorkflowId(m.incidentId),
          args: [{ incidentId: m.incidentId, exchangeId: m.exchangeId, source: 'reconciliation', standalone: true }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          staticSummary: `Incident ${m.incidentId} (reconciliation) on exchange ${m.exchangeId}`,
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
  }
  setCurrentDetails(`Checked ${checked} exchange(s); ${incidents.length} incident(s) raised${incidents.length ? `: ${incidents.join(', ')}` : ''}.`);
  return { checked, incidents };
}
