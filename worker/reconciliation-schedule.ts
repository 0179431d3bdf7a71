import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RECONCILIATION_WORKFLOW } from '../workflows/definitions';
import type { ReconciliationInput } from '../workflows/reconciliation';

export interface ReconciliationScheduleOptions {
  taskQueue: string;
  /** 0 keeps the Schedule paused (it can still be triggered from the Web UI or `temporal schedule trigger`). */
  intervalSeconds: number;
  lookbackSeconds: number;
  settleSeconds?: number;
}

/** One Schedule per task queue: instances sharing a namespace keep theirs apart. */
export function reconciliationScheduleId(taskQueue: string): string {
  return `dvct-reconciliation-${taskQueue}`;
}

/**
 * Creates the reconciliation Schedule, or brings an existing one to the current settings — so
 * every worker start leaves exactly one, as configured. Overlapping runs are skipped: a slow pass
 * is not piled on.
 */
export async function ensureReconciliationSchedule(client: Client, opts: ReconciliationScheduleOptions): Promise<string> {
  const scheduleId = reconciliationScheduleId(opts.taskQueue);
  const args: [ReconciliationInput] = [{ lookbackSeconds: opts.lookbackSeconds, ...(opts.settleSeconds !== undefined ? { settleSeconds: opts.settleSeconds } : {}) }];
  const settings = {
    spec: { intervals: [{ every: `${Math.max(opts.intervalSeconds, 1)}s` }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: RECONCILIATION_WORKFLOW,
      taskQueue: opts.taskQueue,
      args,
      staticSummary: 'Reconciliation: database against chain for recent exchanges',
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    state: opts.intervalSeconds > 0 ? { paused: false } : { paused: true, note: 'RECONCILIATION_INTERVAL_SECONDS=0' },
  };
  try {
    await client.schedule.create({ scheduleId, ...settings });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update(() => settings);
  }
  return scheduleId;
}
