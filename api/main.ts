import { serve } from '@hono/node-server';
import { loadConfig } from '../config/config';
import { loadDirectory } from '../config/directory';
import { openOrm } from '../db/orm';
import { createStore, type Store } from '../db/store';
import { createLogger } from '../lib/logger';
import { createPeerClient } from '../lib/peer-client';
import { loadPeerSigner } from './peer-signer';
import { createApp } from './app';
import { ensureOperatorKey, OPERATOR_KEY_SETTING } from './auth';
import { createChainReader } from './chain-reader';
import { connectWorkflowGateway } from './workflow-gateway';

/**
 * The API process. It does not migrate (`npm start` does, before starting it) and never imports
 * worker code: it starts and queries runs through Temporal and reads the database.
 */

/** Stops start-up with a message a person can act on when the database has no DVCT schema. */
async function assertSchema(store: Store, database: string): Promise<void> {
  try {
    await store.getSetting(OPERATOR_KEY_SETTING);
  } catch (err) {
    throw new Error(
      `The database (${database}) has no DVCT schema or cannot be read: ${err instanceof Error ? err.message : String(err)}. ` +
        'Run `npm start` (which migrates) or the migration step before starting the API.',
    );
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('api', config.logLevel);
  const signer = loadPeerSigner(config, log);
  // Checked before anything starts: a directory that does not list this instance as it is (its
  // signer too, when the API holds the key) stops here.
  const directory = loadDirectory(config, signer?.address);
  const peers = signer ? createPeerClient({ directory, account: signer, timeoutMs: config.outgoingTimeoutMs }) : undefined;

  const orm = await openOrm(config.database);
  const store = createStore(orm);
  await assertSchema(store, config.database.kind);

  const workflows = await connectWorkflowGateway({
    address: config.temporal.address,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    uiUrl: config.temporal.uiUrl,
  }).catch((err: unknown) => {
    throw new Error(`Temporal at ${config.temporal.address} is unreachable: ${err instanceof Error ? err.message : String(err)}`);
  });
  const chain = createChainReader(config.chain);

  const operatorKey = await ensureOperatorKey(config, store);
  if (operatorKey.source === 'created') {
    // Printed once, to the terminal only (not the JSON log, which may be shipped elsewhere).
    process.stdout.write(
      `\n  DVCT operator API key (shown this once, store it now):\n\n    ${operatorKey.key}\n\n` +
        '  Use it as `Authorization: Bearer <key>`; set DVCT_OPERATOR_KEY to choose your own instead.\n\n',
    );
  } else {
    log.info({ source: operatorKey.source }, 'operator key configured');
  }

  const app = createApp({ config, store, workflows, chain, log, directory, peers });
  const server = serve({ fetch: app.fetch, hostname: config.api.host, port: config.api.port }, (info) => {
    log.info({ address: info.address, port: info.port, docs: `${config.api.publicUrl}/docs` }, 'api listening');
  });

  server.once('error', (err) => {
    console.error(`The API cannot listen on ${config.api.host}:${config.api.port}: ${err.message}`);
    process.exit(1);
  });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'api stopping');
    server.close(() => {
      Promise.allSettled([workflows.close(), orm.close()]).then(() => {
        log.info('api stopped');
        process.exit(0);
      });
    });
    // Keep-alive connections can hold close() open; do not wait for them forever.
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
