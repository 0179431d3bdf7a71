import type { Client } from '@temporalio/client';
import { RECONCILIATION_WORKFLOW } from '../workflows/definitions';
import type { ReconciliationInput } from '../workflows/reconciliation';
import { ensurePeriodicSchedule } from './periodic-schedule';

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

/** The reconciliation Schedule, created or brought to the current settings. */
export function ensureReconciliationSchedule(client: Client, opts: ReconciliationScheduleOptions): Promise<string> {
  const input: ReconciliationInput = { lookbackSeconds: opts.lookbackSeconds, ...(opts.settleSeconds !== undefined ? { settleSeconds: opts.settleSeconds } : {}) };
  return ensurePeriodicSchedule(client, {
    scheduleId: reconciliationScheduleId(opts.taskQueue),
    workflowType: RECONCILIATION_WORKFLOW,
    taskQueue: opts.taskQueue,
    args: [input],
    intervalSeconds: opts.intervalSeconds,
    summary: 'Reconciliation: database against chain for recent exchanges',
    pausedNote: 'RECONCILIATION_INTERVAL_SECONDS=0',
  });
}
