import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { startAppProcess, type AppProcess } from '../services/app-process';
import { startEmbeddedDvct } from './embedded-dvct';
import { CpuMeter, peakRssMiB, quantile, runBounded } from './measure';
import { postExchange, setUpMembers } from './members';
import { NOOP_TASK_QUEUE } from './noop-activities';
import { formatBreakdown, stepBreakdown } from './step-breakdown';
import type { noopExchangeWorkflow } from './noop-workflow';

/**
 * `npm run bench:throughput [-- --exchanges 1000 --concurrency 64 --window 0]` — exchanges per
 * second and POST→completed latency through the real API on an embedded DVCT (worker and API as
 * their own processes), their peak memory, and then, on the same Temporal server with the same
 * worker settings, a no-op workflow with as many activities as an exchange run has: the engine's
 * own limit on this machine. The ratio ours/no-op is the figure that matters.
 */
const { values } = parseArgs({
  options: {
    exchanges: { type: 'string', default: '1000' },
    // Enough runs in flight to keep both cores busy: at 32, exchange runs spend most of their time
    // waiting out the embedded chain's 2 s finality per write, and the figure would be latency, not throughput.
    concurrency: { type: 'string', default: '64' },
    window: { type: 'string', default: '0' },
  },
});
const EXCHANGES = Number(values.exchanges);
const CONCURRENCY = Number(values.concurrency);
const WINDOW_SECONDS = Number(values.window);
/** Not measured: the first runs bundle nothing but warm the JIT, connections and SQLite's cache. */
const WARM_UP = Math.min(CONCURRENCY, 20);

const say = (message: string) => console.log(`[bench] ${message}`);
const ms = (value: number) => `${Math.round(value)} ms`;

interface RunShape {
  activities: number;
  childWorkflows: number;
  timers: number;
}

/** What one run scheduled, read from its history: the no-op gets as many activities. */
async function shapeOf(client: Client, workflowId: string): Promise<RunShape> {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  const shape = { activities: 0, childWorkflows: 0, timers: 0 };
  for (const event of events ?? []) {
    if (event.activityTaskScheduledEventAttributes) shape.activities += 1;
    if (event.startChildWorkflowExecutionInitiatedEventAttributes) shape.childWorkflows += 1;
    if (event.timerStartedEventAttributes) shape.timers += 1;
  }
  return shape;
}

function describe(label: string, result: { latenciesMs: number[]; wallMs: number }): number {
  const perSecond = result.latenciesMs.length / (result.wallMs / 1000);
  const l = result.latenciesMs;
  say(`${label}: ${perSecond.toFixed(1)}/s; latency p50 ${ms(quantile(l, 0.5))}, p95 ${ms(quantile(l, 0.95))}, p99 ${ms(quantile(l, 0.99))}`);
  return perSecond;
}

/**
 * CPU time per run, by process: on a machine the runs saturate, the ratio of two workloads'
 * throughput is the inverse ratio of these totals, so they say what an improvement must cut.
 */
function describeCpu(used: Record<string, number>, wallMs: number): void {
  const total = Object.values(used).reduce((a, b) => a + b, 0);
  const perRun = (seconds: number) => `${Math.round((seconds * 1000) / EXCHANGES)} ms`;
  const parts = Object.entries(used).map(([name, seconds]) => `${name} ${perRun(seconds)}`);
  say(`  CPU per run: ${parts.join(', ')}; total ${perRun(total)} (machine busy ${((100 * total) / (cpus().length * (wallMs / 1000))).toFixed(0)}%)`);
}

/** Runs sampled from the middle of the measured batch, past its ramp-up and before its tail. */
const BREAKDOWN_SAMPLE = 50;

async function printBreakdown(client: Client, runs: readonly string[]): Promise<void> {
  const from = Math.max(0, Math.floor(runs.length / 2 - BREAKDOWN_SAMPLE / 2));
  const sample = runs.slice(from, from + BREAKDOWN_SAMPLE);
  say(`  where the time goes, mean per run over ${sample.length} runs:`);
  for (const line of formatBreakdown(await stepBreakdown(client, sample), sample.length)) say(`    ${line}`);
}

async function main(): Promise<void> {
  say(`${EXCHANGES} exchanges, concurrency ${CONCURRENCY}, verification window ${WINDOW_SECONDS} s`);
  const dvct = await startEmbeddedDvct({ label: 'bench', say });
  let noopWorker: AppProcess | undefined;
  const members = await setUpMembers(dvct, {
    exchanges: EXCHANGES + WARM_UP,
    pointsPerExchange: 1,
    verificationWindowSeconds: WINDOW_SECONDS,
  }).catch(async (err: unknown) => {
    await dvct.stop();
    throw err;
  });
  try {
    const temporal = members.temporal;
    let sampleRun = '';
    const measuredRuns: string[] = [];
    const exchange = async (index: number) => {
      const { workflowId } = await postExchange(dvct, members, index);
      await temporal.workflow.getHandle(workflowId).result();
      sampleRun = workflowId;
      if (index < EXCHANGES) measuredRuns.push(workflowId);
    };
    await runBounded(WARM_UP, CONCURRENCY, (i) => exchange(EXCHANGES + i));
    const shape = await shapeOf(temporal, sampleRun);
    say(`one exchange run: ${shape.activities} activities, ${shape.childWorkflows} child workflow(s), ${shape.timers} timer(s)`);

    const oursCpu = new CpuMeter({ temporal: dvct.temporalPid, worker: dvct.pidOf('worker'), api: dvct.pidOf('api'), chain: dvct.pidOf('chain') });
    const ours = await runBounded(EXCHANGES, CONCURRENCY, exchange);
    const oursPerSecond = describe('DVCT exchanges, POST → completed', ours);
    describeCpu(oursCpu.read(), ours.wallMs);
    await printBreakdown(temporal, measuredRuns);
    say(`peak RSS: worker ${peakRssMiB(dvct.pidOf('worker')).toFixed(0)} MiB, API ${peakRssMiB(dvct.pidOf('api')).toFixed(0)} MiB`);

    noopWorker = startAppProcess({ name: 'noop-worker', entry: 'scripts/bench/noop-worker.ts', env: dvct.env });
    const noopRuns: string[] = [];
    const noop = async (index: number) => {
      await temporal.workflow.execute<typeof noopExchangeWorkflow>('noopExchangeWorkflow', {
        taskQueue: NOOP_TASK_QUEUE,
        workflowId: `bench-noop-${index}`,
        args: [{ activities: shape.activities, holdSeconds: WINDOW_SECONDS }],
      });
      if (index < EXCHANGES) noopRuns.push(`bench-noop-${index}`);
    };
    await runBounded(WARM_UP, CONCURRENCY, (i) => noop(EXCHANGES + i));
    const noopCpu = new CpuMeter({ temporal: dvct.temporalPid, worker: noopWorker.pid });
    const engine = await runBounded(EXCHANGES, CONCURRENCY, noop);
    const noopPerSecond = describe(`no-op workflows (${shape.activities} activities each), start → completed`, engine);
    describeCpu(noopCpu.read(), engine.wallMs);
    await printBreakdown(temporal, noopRuns);
    say(`peak RSS: no-op worker ${peakRssMiB(noopWorker.pid).toFixed(0)} MiB`);
    say(`ratio ours/no-op: ${(oursPerSecond / noopPerSecond).toFixed(2)} (goal ≥ 0.8)`);
  } finally {
    await noopWorker?.stop();
    await members.close();
    await dvct.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`benchmark failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
