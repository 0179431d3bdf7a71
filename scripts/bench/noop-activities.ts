/** Where the no-op worker serves (DVCT's own worker is on another queue). */
export const NOOP_TASK_QUEUE = 'bench-noop';

/** The no-op benchmark's only activity: a round trip through Temporal and the worker, nothing else. */
export function createNoopActivities() {
  return {
    async noop(): Promise<void> {},
  };
}

export type NoopActivities = ReturnType<typeof createNoopActivities>;
