import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey } from 'viem/accounts';
import type { Hex } from 'viem';
import { createChainClients } from '../../chain/clients';
import { ensureDeployment, type Deployment } from '../../chain/deployment';
import { ANVIL_FINALITY_MS, startAnvil, type AnvilProcess } from '../services/anvil';
import { fundOnAnvil } from '../services/anvil-balance';
import { startAppProcess, type AppProcess } from '../services/app-process';
import { isProcessAlive } from '../services/child-process';
import { findFreePort } from '../services/ports';
import { startTemporalDevServer, type TemporalDevServer } from '../services/temporal';
import { migrateDatabase } from '../setup';
import { ensureTemporalCli } from '../tools/temporal-cli';

/**
 * A whole DVCT for one benchmark or soak run, as `npm start` runs it — Temporal dev server,
 * anvil with a state file, SQLite, and the worker and the API as their own Node processes — but
 * in a temporary data folder on free loopback ports, so it never meets a running `npm start`.
 * Each service can be killed with SIGKILL and started again on the same port and state.
 */
export type Service = 'worker' | 'api' | 'chain';

export interface EmbeddedDvct {
  apiUrl: string;
  operatorKey: string;
  rpcUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  signerKey: Hex;
  deployment: Deployment;
  dataDir: string;
  /** The environment the worker and API run with (for further processes of the same settings). */
  env: NodeJS.ProcessEnv;
  /** PID of the service's own process (the node or anvil binary, never a wrapper). */
  pidOf(service: Service): number;
  /** PID of the Temporal dev server, whose CPU the benchmark counts too. */
  temporalPid: number;
  /** SIGKILL, without warning: what a crash or an OOM kill does. */
  kill(service: Service): Promise<void>;
  /** Starts the service again on the same port and state, and waits until it serves. */
  restart(service: Service): Promise<void>;
  /** Waits until the API answers /health with 200 (every dependency up). */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startEmbeddedDvct(opts: { label: string; say: (message: string) => void }): Promise<EmbeddedDvct> {
  const dataDir = mkdtempSync(join(tmpdir(), `dvct-${opts.label}-`));
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    stoppers.length = 0;
    rmSync(dataDir, { recursive: true, force: true });
  };
  // The worker and the API run in their own process groups: a Ctrl-C reaches only this script.
  const onSignal = (signal: NodeJS.Signals) => {
    opts.say(`${signal}: stopping the embedded DVCT`);
    void stopAll().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const cliPath = await ensureTemporalCli({ log: opts.say });
    const temporal: TemporalDevServer = await startTemporalDevServer({ cliPath, logFile: join(dataDir, 'temporal.log') });
    stoppers.push(() => temporal.stop());

    // A fixed port, so a restarted chain is where the worker and the API already look for it.
    const chainPort = await findFreePort();
    const startChain = () => startAnvil({ port: chainPort, stateFile: join(dataDir, 'chain-state.json'), logFile: join(dataDir, 'anvil.log') });
    let anvil: AnvilProcess = await startChain();
    stoppers.push(() => anvil.stop());

    const signerKey = generatePrivateKey();
    const clients = await createChainClients({ rpcUrl: anvil.rpcUrl, signerKey, pollingIntervalMs: 50 });
    await fundOnAnvil(anvil.rpcUrl, clients.account.address);
    const deployment = await ensureDeployment({ clients });
    const sqlitePath = join(dataDir, 'dvct.sqlite');
    await migrateDatabase({ kind: 'sqlite', path: sqlitePath });

    const apiPort = await findFreePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const operatorKey = `op-${randomBytes(24).toString('hex')}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LOG_LEVEL: 'error',
      DVCT_DATA_DIR: dataDir,
      DVCT_SQLITE_PATH: sqlitePath,
      DVCT_OPERATOR_KEY: operatorKey,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      DVCT_PUBLIC_URL: apiUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_TASK_QUEUE: 'dvct',
      TEMPORAL_UI_URL: temporal.uiUrl,
      CHAIN_RPC_URL: anvil.rpcUrl,
      CHAIN_POLLING_INTERVAL_MS: '50',
      CHAIN_FINALITY_MS: String(ANVIL_FINALITY_MS),
      // The load generators send as a few members, far above one connector's rate: they measure
      // the engine, not the per-key limiter (its own tests cover it).
      RATE_LIMIT_PER_MINUTE: '0',
      CHAIN_SIGNER_KEY: signerKey,
      TOKEN_ADDRESS: deployment.token,
      LEDGER_ADDRESS: deployment.ledger,
    };
    const apps: Record<'worker' | 'api', AppProcess> = {
      worker: startAppProcess({ name: 'worker', entry: 'worker/main.ts', env }),
      api: startAppProcess({ name: 'api', entry: 'api/main.ts', env }),
    };
    stoppers.push(() => apps.worker.stop(), () => apps.api.stop());

    const waitUntilHealthy = async (timeoutMs = 90_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const app of Object.values(apps)) {
          if (!app.isRunning()) throw new Error(`the ${app.name} exited (${await app.exited})`);
        }
        const status = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, () => 0);
        if (status === 200) return;
        if (Date.now() > deadline) throw new Error(`${apiUrl}/health did not answer 200 within ${timeoutMs / 1000} s`);
        await sleep(250);
      }
    };
    await waitUntilHealthy();

    const dvct: EmbeddedDvct = {
      apiUrl,
      operatorKey,
      rpcUrl: anvil.rpcUrl,
      temporalAddress: temporal.address,
      namespace: temporal.namespace,
      taskQueue: 'dvct',
      signerKey,
      deployment,
      dataDir,
      env,
      pidOf: (service) => (service === 'chain' ? anvil.pid : apps[service].pid),
      temporalPid: temporal.pid,
      async kill(service) {
        const pid = dvct.pidOf(service);
        process.kill(pid, 'SIGKILL');
        if (service === 'chain') {
          while (isProcessAlive(pid)) await sleep(20);
        } else {
          await apps[service].exited;
        }
      },
      async restart(service) {
        if (service === 'chain') {
          anvil = await startChain();
        } else {
          apps[service] = startAppProcess({ name: service, entry: `${service}/main.ts`, env });
        }
        await waitUntilHealthy();
      },
      waitUntilHealthy,
      stop: stopAll,
    };
    return dvct;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
