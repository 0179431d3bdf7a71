import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createChainClients, loadSignerKey } from '../chain/clients';
import { loadConfig, type Config } from '../config/config';
import { ANVIL_FINALITY_MS, startAnvil } from './services/anvil';
import { fundOnAnvil } from './services/anvil-balance';
import { startAppProcess, type AppProcess } from './services/app-process';
import { ensureSignerKeyFile } from './services/signer-key';
import { startTemporalDevServer } from './services/temporal';
import { ensureContracts, migrateDatabase } from './setup';
import { Interrupted, Supervisor } from './supervisor';
import { ensureTemporalCli } from './tools/temporal-cli';

/**
 * `npm start`: the whole DVCT on one machine. Temporal (dev server, SQLite file) and the chain
 * (anvil, state file) run embedded unless TEMPORAL_ADDRESS / CHAIN_RPC_URL point elsewhere; the
 * contracts are deployed once, the database migrated, then the worker and the API start. Ctrl-C
 * stops everything in reverse order, each process by its own PID.
 */

/** A start-up step that failed: which component, and what a person should check. */
class StartupError extends Error {
  constructor(
    readonly component: string,
    readonly hint: string,
    readonly reason: string,
  ) {
    super(`${component}: ${reason}`);
  }
}

const say = (message: string) => console.log(`[dvct] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const supervisor = new Supervisor(say);

async function step<T>(component: string, hint: string, run: () => Promise<T>): Promise<T> {
  supervisor.checkpoint();
  try {
    return await run();
  } catch (err) {
    if (err instanceof Interrupted) throw err;
    throw new StartupError(component, hint, err instanceof Error ? err.message : String(err));
  }
}

/** Set by the person starting DVCT, as opposed to a default of loadConfig. */
function isSet(variable: string): boolean {
  return (process.env[variable] ?? '').trim() !== '';
}

function portOf(address: string, fallback: number): number {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return url.port ? Number(url.port) : fallback;
}

async function waitForHealth(url: string, apps: AppProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    supervisor.checkpoint();
    for (const app of apps) {
      if (!app.isRunning()) throw new Error(`the ${app.name} exited during start-up (${await app.exited})`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s`);
    await sleep(300);
  }
}

async function start(config: Config): Promise<void> {
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const logs = join(dataDir, 'logs');
  // What the worker and the API need beyond the user's own environment.
  const env: NodeJS.ProcessEnv = { ...process.env, DVCT_DATA_DIR: dataDir };

  if (isSet('TEMPORAL_ADDRESS')) {
    say(`Temporal: using ${config.temporal.address}`);
  } else {
    const cliPath = await step('Temporal CLI', 'install Go ≥ 1.24 (to build it) or set TEMPORAL_CLI_PATH', () =>
      ensureTemporalCli({ log: say }),
    );
    const port = portOf(config.temporal.address, 7233);
    const uiPort = portOf(config.temporal.uiUrl, 8233);
    const temporal = await step(
      'Temporal dev server',
      `ports ${port} and ${uiPort} must be free (or set TEMPORAL_ADDRESS to a running cluster); its log is ${join(logs, 'temporal.log')}`,
      () =>
        startTemporalDevServer({
          cliPath,
          port,
          uiPort,
          dbFile: join(dataDir, 'temporal.sqlite'),
          namespace: config.temporal.namespace,
          logFile: join(logs, 'temporal.log'),
          detached: true,
        }),
    );
    supervisor.add({ name: 'Temporal dev server', pid: temporal.pid, stop: temporal.stop });
    env.TEMPORAL_ADDRESS = temporal.address;
    if (!isSet('TEMPORAL_UI_URL')) env.TEMPORAL_UI_URL = temporal.uiUrl;
    say(`Temporal dev server ready at ${temporal.address}`);
  }
  const temporalUi = env.TEMPORAL_UI_URL ?? config.temporal.uiUrl;

  const embeddedChain = !isSet('CHAIN_RPC_URL');
  let rpcUrl = config.chain.rpcUrl;
  if (embeddedChain) {
    const port = portOf(rpcUrl, 8545);
    const anvil = await step(
      'Chain (anvil)',
      `port ${port} must be free (or set CHAIN_RPC_URL to a running node); its log is ${join(logs, 'anvil.log')}`,
      () => startAnvil({ port, stateFile: join(dataDir, 'chain-state.json'), logFile: join(logs, 'anvil.log') }),
    );
    // anvil dumps its state on SIGTERM, so it is stopped before Temporal and after the worker.
    supervisor.add({ name: 'anvil', pid: anvil.pid, stop: anvil.stop });
    rpcUrl = anvil.rpcUrl;
    env.CHAIN_RPC_URL = rpcUrl;
    // anvil mines each transaction at once; polling every second would cap chain writes at ~1/s.
    env.CHAIN_POLLING_INTERVAL_MS ??= '50';
    // Its state file lags the chain by up to a second: a write counts once it has outlived that.
    env.CHAIN_FINALITY_MS ??= String(ANVIL_FINALITY_MS);
    say(`anvil ready at ${rpcUrl}`);
  } else {
    say(`chain: using ${rpcUrl}`);
  }

  await step(
    'Contracts',
    `the signer needs ETH for gas on ${rpcUrl}; CHAIN_SIGNER_KEY / CHAIN_SIGNER_KEY_FILE must be the key that deployed DVCT_DEPLOYMENT_FILE's contracts`,
    async () => {
      if (!config.chain.signerKey && !isSet('CHAIN_SIGNER_KEY_FILE')) {
        const keyFile = resolve(config.chain.signerKeyFile);
        if (await ensureSignerKeyFile(keyFile)) say(`created the operator signer key ${keyFile}`);
        env.CHAIN_SIGNER_KEY_FILE = keyFile;
      }
      const clients = await createChainClients({ rpcUrl, signerKey: loadSignerKey(config.chain) });
      if (embeddedChain) await fundOnAnvil(rpcUrl, clients.account.address);
      const deployment = await ensureContracts(config.chain, clients);
      if (!deployment) return; // TOKEN_ADDRESS and LEDGER_ADDRESS name them
      env.DVCT_DEPLOYMENT_FILE = resolve(config.chain.deploymentFile);
      say(`contracts: token ${deployment.token}, ledger ${deployment.ledger} (chain ${deployment.chainId})`);
    },
  );

  const database = config.database.kind === 'sqlite' ? resolve(config.database.path) : 'the PostgreSQL DATABASE_URL names';
  await step('Database', `check that ${database} is reachable and writable`, () => migrateDatabase(config.database));
  say(`database migrated (${config.database.kind})`);

  const apps: AppProcess[] = [];
  for (const [name, entry] of [['worker', 'worker/main.ts'], ['api', 'api/main.ts']] as const) {
    const app = await step(`The ${name}`, 'run `npm install`', async () => startAppProcess({ name, entry, env }));
    supervisor.watch(app);
    apps.push(app);
  }

  const host = ['0.0.0.0', '::', ''].includes(config.api.host) ? '127.0.0.1' : config.api.host;
  const api = `http://${host.includes(':') ? `[${host}]` : host}:${config.api.port}`;
  await step('API', `port ${config.api.port} must be free (or set PORT); see the [api] and [worker] lines above`, () =>
    waitForHealth(`${api}/health`, apps, 90_000),
  );
  supervisor.markStarted();

  console.log(
    [
      '',
      '  DVCT is running',
      `    API              ${api}`,
      `    API docs         ${api}/docs`,
      `    OpenAPI          ${api}/openapi.json`,
      `    Lineage page     ${api}/ui/lineage?node=<nodeId>`,
      `    Report page      ${api}/ui/report?participant=<participantId>`,
      `    Temporal Web UI  ${temporalUi}`,
      `    Chain RPC        ${rpcUrl}`,
      `    Data folder      ${dataDir}`,
      '',
      '  Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  try {
    await start(loadConfig());
  } catch (err) {
    if (err instanceof Interrupted) {
      await supervisor.shutdown(0);
      return;
    }
    const message =
      err instanceof StartupError
        ? `DVCT could not start: ${err.component} failed: ${err.reason}\nWhat to check: ${err.hint}.`
        : `DVCT could not start: ${(err as Error).message}`;
    console.error(`\n${message}\n`);
    if (supervisor.hasRunning) say('stopping what was started');
    await supervisor.shutdown(1);
  }
}

await main();
