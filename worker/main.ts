import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities';
import { connectLedger } from '../chain/connect';
import { loadConfig } from '../config/config';
import { loadDirectory } from '../config/directory';
import { migrateToLatest, openOrm } from '../db/orm';
import { createStore } from '../db/store';
import { createLogger } from '../lib/logger';
import { createPeerClient } from '../lib/peer-client';
import { createDvctWorker } from './create-worker';
import { ensureAuditAnchorSchedule } from './audit-anchor-schedule';
import { ensureReconciliationSchedule } from './reconciliation-schedule';
import { temporalLogger } from './temporal-logger';

/**
 * The worker process: the only process that writes to the chain (one signer, one queue), runs
 * every activity and replays every workflow. Stops cleanly on SIGINT/SIGTERM: running activities
 * finish or are handed back to Temporal, then the database connection closes.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('worker', config.logLevel);
  Runtime.install({ logger: temporalLogger(log) });

  const orm = await openOrm(config.database);
  // Under a database-wide lock, so a worker and an API starting together cannot race.
  await migrateToLatest(orm);
  // Refuses a deployment file recorded on another chain than CHAIN_RPC_URL's.
  const { ledger, clients } = await connectLedger(config, log.child({ component: 'chain' }));
  // Refuses a directory whose entry for this instance names another URL or signer.
  const directory = loadDirectory(config, clients.account.address);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createDvctWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({
      store: createStore(orm),
      ledger,
      instance: { dvctId: config.instanceId, publicUrl: config.api.publicUrl },
      qualityCheckUrl: config.qualityCheckUrl,
      outgoingTimeoutMs: config.outgoingTimeoutMs,
      openLineage: config.openLineage,
      federation: { directory, peers: createPeerClient({ directory, account: clients.account, timeoutMs: config.outgoingTimeoutMs }) },
      log,
    }),
  });
  const schedules = await withClient(config.temporal, (client) =>
    Promise.all([
      ensureReconciliationSchedule(client, { taskQueue: config.temporal.taskQueue, ...config.reconciliation }),
      ensureAuditAnchorSchedule(client, { taskQueue: config.temporal.taskQueue, intervalSeconds: config.audit.anchorIntervalSeconds }),
    ]),
  );
  log.info({ instanceId: config.instanceId, peers: directory.entries.length - 1, taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, temporal: config.temporal.address, schedules }, 'worker started');
  try {
    await worker.run(); // resolves after a shutdown signal, once in-flight tasks are done
  } finally {
    await connection.close();
    await orm.close();
    log.info('worker stopped');
  }
}

/** A short-lived client connection, for the start-up calls the worker's native connection cannot make. */
async function withClient<T>(temporal: { address: string; namespace: string }, work: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: temporal.address });
  try {
    return await work(new Client({ connection, namespace: temporal.namespace }));
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
