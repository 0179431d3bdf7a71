import { executeChild, setHandler } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { IncidentSource } from '../domain/incidents';
import { incidentWorkflowId } from '../domain/workflow-ids';
import { INCIDENT_WORKFLOW, raiseIncidentSignal, type RaiseIncident } from './definitions';
import type { IncidentOutcome } from './incident';
import { act } from './activities';
import type { RunState } from './run-state';

/**
 * The incidents of one exchange while its run holds the allocations: its own detection's, and
 * those raised from outside (a dispute, the reconciliation) by Signal. They run one at a time as
 * child runs — each reads the holdings the previous one left — and the run releases only when
 * none is pending, so an incident never races the release it is about.
 */
export class IncidentQueue {
  private readonly queue: RaiseIncident[] = [];
  private readonly seen = new Set<string>();
  /** The latest release time of a correction made by a handled incident. */
  latestReleaseAt: string | null = null;

  constructor(
    private readonly run: RunState,
    private readonly exchangeId: string,
  ) {
    // Registered before the first await, so a signal that starts with the run is not lost.
    setHandler(raiseIncidentSignal, (raised) => this.enqueue(raised));
  }

  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** Opens an incident found by the run itself and queues it. */
  async raise(incidentId: string, source: IncidentSource): Promise<void> {
    await act.openIncident({ incidentId, exchangeId: this.exchangeId, source });
    this.enqueue({ incidentId, source });
  }

  /**
   * Runs every queued incident. `standalone`: the run has released already, so each incident
   * releases its own correction after the window.
   */
  async drain(standalone = false): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      const entry = this.run.progress.incidents.find((i) => i.incidentId === next!.incidentId)!;
      entry.status = 'open';
      this.run.enter('handling-incident', `Handling incident \`${next.incidentId}\` (${next.source}) in run \`${incidentWorkflowId(next.incidentId)}\`.`);
      try {
        const outcome: IncidentOutcome = await executeChild(INCIDENT_WORKFLOW, {
          workflowId: incidentWorkflowId(next.incidentId),
          args: [{ incidentId: next.incidentId, exchangeId: this.exchangeId, source: next.source, standalone }],
          staticSummary: `Incident ${next.incidentId} (${next.source}) on exchange ${this.exchangeId}`,
        });
        entry.status = outcome.status;
        if (outcome.releaseAt && (!this.latestReleaseAt || outcome.releaseAt > this.latestReleaseAt)) this.latestReleaseAt = outcome.releaseAt;
      } catch (err) {
        // Already handled by a run of its own (raised while this one was closing): that run owns it.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
  }

  /**
   * The run's last step: publishes its lineage, then handles every incident raised after the
   * release (nothing may await after this, so an incident raised meanwhile is never left queued).
   */
  async closeRun(publish: () => Promise<void>): Promise<void> {
    await publish();
    await this.drain(true);
  }

  private enqueue(raised: RaiseIncident): void {
    if (this.seen.has(raised.incidentId)) return;
    this.seen.add(raised.incidentId);
    this.queue.push(raised);
    this.run.progress.incidents.push({ incidentId: raised.incidentId, status: 'queued' });
  }
}
