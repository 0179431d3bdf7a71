import { proxyActivities, sleep } from '@temporalio/workflow';
import type { NoopActivities } from './noop-activities';

/**
 * The engine's own limit, for `npm run bench:throughput`: a workflow that does nothing but run
 * as many activities, one after another, as an exchange run schedules, and wait the same
 * verification window. Benchmark-only; it never ships with the production workflows.
 */
export interface NoopExchangeInput {
  activities: number;
  holdSeconds: number;
}

const { noop } = proxyActivities<NoopActivities>({ startToCloseTimeout: '30 seconds' });

export async function noopExchangeWorkflow(input: NoopExchangeInput): Promise<void> {
  for (let i = 0; i < input.activities; i++) await noop();
  if (input.holdSeconds > 0) await sleep(input.holdSeconds * 1000);
}
