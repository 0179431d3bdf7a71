import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

/** A workflow the worker has Temporal start every `intervalSeconds` (0: the Schedule exists but is paused). */
export interface PeriodicRun {
  scheduleId: string;
  workflowType: string;
  taskQueue: string;
  args: unknown[];
  intervalSeconds: number;
  summary: string;
  /** Shown on a paused Schedule: why it is paused. */
  pausedNote: string;
}

/**
 * Creates the Schedule, or brings an existing one to the current settings — so every worker start
 * leaves exactly one, as configured. Overlapping runs are skipped: a slow pass is not piled on. A
 * paused Schedule can still be triggered from the Web UI or `temporal schedule trigger`.
 */
export async function ensurePeriodicSchedule(client: Client, run: PeriodicRun): Promise<string> {
  const settings = {
    spec: { intervals: [{ every: `${Math.max(run.intervalSeconds, 1)}s` }] },
    action: { type: 'startWorkflow' as const, workflowType: run.workflowType, taskQueue: run.taskQueue, args: run.args, staticSummary: run.summary },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    state: run.intervalSeconds > 0 ? { paused: false } : { paused: true, note: run.pausedNote },
  };
  try {
    await client.schedule.create({ scheduleId: run.scheduleId, ...settings });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(run.scheduleId).update(() => settings);
  }
  return run.scheduleId;
}
