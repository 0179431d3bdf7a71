import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../config/config';
import { NOOP_TASK_QUEUE, createNoopActivities } from './noop-activities';

/**
 * The no-op worker of `npm run bench:throughput`: its own process, like DVCT's worker, with the
 * same worker settings (worker/create-worker.ts), serving the no-op workflow on its own queue.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: NOOP_TASK_QUEUE,
    workflowsPath: fileURLToPath(new URL('./noop-workflow.ts', import.meta.url)),
    activities: createNoopActivities(),
    maxConcurrentActivityTaskExecutions: 50,
  });
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
