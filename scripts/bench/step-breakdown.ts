import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

/**
 * Where a run's time goes, read from finished histories: per activity type, how long it waited
 * in the task queue (scheduled → started) and how long it ran (started → closed), and the same
 * for workflow tasks. Benchmarks print it so tuning starts from figures, not guesses.
 */
export interface StepTiming {
  step: string;
  count: number;
  queuedMs: number;
  runningMs: number;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const millis = (event: HistoryEvent): number => {
  const t = event.eventTime;
  return Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
};

export async function stepBreakdown(client: Client, workflowIds: readonly string[]): Promise<StepTiming[]> {
  const totals = new Map<string, StepTiming>();
  const add = (step: string, queuedMs: number, runningMs: number) => {
    const entry = totals.get(step) ?? { step, count: 0, queuedMs: 0, runningMs: 0 };
    entry.count += 1;
    entry.queuedMs += queuedMs;
    entry.runningMs += runningMs;
    totals.set(step, entry);
  };
  for (const workflowId of workflowIds) {
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    for (const event of events) {
      const activityClosed = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
      if (activityClosed) {
        const scheduled = byId.get(Number(activityClosed.scheduledEventId));
        const started = byId.get(Number(activityClosed.startedEventId));
        const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? 'activity';
        if (scheduled && started) add(`activity ${name}`, millis(started) - millis(scheduled), millis(event) - millis(started));
      }
      const taskClosed = event.workflowTaskCompletedEventAttributes;
      if (taskClosed) {
        const scheduled = byId.get(Number(taskClosed.scheduledEventId));
        const started = byId.get(Number(taskClosed.startedEventId));
        if (scheduled && started) add('workflow task', millis(started) - millis(scheduled), millis(event) - millis(started));
      }
    }
  }
  return [...totals.values()].sort((a, b) => b.queuedMs + b.runningMs - (a.queuedMs + a.runningMs));
}

/** One line per step: mean queue wait and mean run time per run sampled. */
export function formatBreakdown(timings: readonly StepTiming[], runs: number): string[] {
  return timings.map((t) => {
    const perRun = (ms: number) => `${Math.round(ms / runs)} ms`.padStart(8);
    return `${t.step.padEnd(36)} ×${(t.count / runs).toFixed(1).padStart(4)}/run  queued ${perRun(t.queuedMs)}  running ${perRun(t.runningMs)}`;
  });
}
