import type { Client } from '@temporalio/client';
import { AUDIT_ANCHOR_WORKFLOW } from '../workflows/definitions';
import { ensurePeriodicSchedule } from './periodic-schedule';

/** One Schedule per task queue: instances sharing a namespace keep theirs apart. */
export function auditAnchorScheduleId(taskQueue: string): string {
  return `dvct-audit-anchor-${taskQueue}`;
}

/** The Schedule that writes the audit trail's head on chain every `intervalSeconds` (0: paused). */
export function ensureAuditAnchorSchedule(client: Client, opts: { taskQueue: string; intervalSeconds: number }): Promise<string> {
  return ensurePeriodicSchedule(client, {
    scheduleId: auditAnchorScheduleId(opts.taskQueue),
    workflowType: AUDIT_ANCHOR_WORKFLOW,
    taskQueue: opts.taskQueue,
    args: [],
    intervalSeconds: opts.intervalSeconds,
    summary: 'Audit trail: write its head on chain',
    pausedNote: 'AUDIT_ANCHOR_INTERVAL_SECONDS=0',
  });
}
