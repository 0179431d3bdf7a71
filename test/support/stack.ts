import { randomUUID } from 'node:crypto';
import { DefaultLogger, NativeConnection, Runtime, bundleWorkflowCode, type Worker, type WorkflowBundle } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Hex } from 'viem';
import { inject } from 'vitest';
import { createActivities, type DvctActivities } from '../../activities';
import { createApp } from '../../api/app';
import { connectWorkflowGateway, type WorkflowGateway } from '../../api/workflow-gateway';
import { createChainReader } from '../../api/chain-reader';
import { createChainClients, type ChainClients } from '../../chain/clients';
import { ensureDeployment, type Deployment } from '../../chain/deployment';
import { Ledger } from '../../chain/ledger';
import { DEFAULT_CHAIN_BATCH_WINDOW_MS, loadConfig, type Config } from '../../config/config';
import { pointsToUnits } from '../../domain/amounts';
import { soloDirectory, type Directory } from '../../domain/directory';
import { createLogger } from '../../lib/logger';
import { createPeerClient } from '../../lib/peer-client';
import { WORKFLOWS_PATH, createDvctWorker } from '../../worker/create-worker';
import { createTestDatabase } from './database';
import { fund } from './chain';

/**
 * A whole DVCT for one test file, on the real components: the suite's Temporal dev server and
 * anvil, a fresh database, and — so test files running side by side never share a signer's
 * nonces — a fresh operator key with its own token and ledger deployment. Workflow ids are
 * global to the suite's namespace, so each test file uses participant ids of its own.
 */
export interface Stack {
  config: Config;
  app: ReturnType<typeof createApp>;
  operatorKey: string;
  taskQueue: string;
  client: Client;
  gateway: WorkflowGateway;
  ledger: Ledger;
  clients: ChainClients;
  deployment: Deployment;
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  /** A started worker (in this process); `stopWorker` / `startWorker` let a test take it away. */
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  request(method: string, path: string, opts?: { key?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

let bundle: Promise<WorkflowBundle> | undefined;
/** Bundled once per test file: the worker replays the same code the production worker runs. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  return bundle;
}

let runtimeInstalled = false;
/** The SDK logs to the console by default; tests want only its errors (a rejected run is an expected outcome here). */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

export interface StackOptions {
  withWorker?: boolean;
  /** Wraps the real activities, e.g. to inject a fault the way a misbehaving party would. */
  wrapActivities?: (real: DvctActivities, stack: Stack) => DvctActivities;
  /** Sent as the worker's maxHeartbeatThrottleInterval: how soon a heartbeating activity sees a cancellation. */
  maxHeartbeatThrottleMs?: number;
  /** Where the worker pushes OpenLineage events (OPENLINEAGE_URL); none by default. */
  openLineageUrl?: string;
  /**
   * One of several instances sharing the chain and the Temporal server: its id, URL and namespace,
   * the directory every member holds, and a signer already granted its roles on the shared deployment.
   */
  federation?: { instanceId: string; publicUrl: string; namespace: string; directory: Directory; signerKey: Hex; deployment: Deployment };
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  quietRuntime();
  const rpcUrl = inject('rpcUrl');
  const federation = opts.federation;
  const signerKey = federation?.signerKey ?? generatePrivateKey();
  await fund(privateKeyToAccount(signerKey).address);
  // Batched as the worker batches in production, so end-to-end runs exercise allocateBatch too.
  const clients = await createChainClients({ rpcUrl, signerKey, pollingIntervalMs: 50, batchWindowMs: DEFAULT_CHAIN_BATCH_WINDOW_MS });
  const deployment = federation?.deployment ?? (await ensureDeployment({ clients }));
  const ledger = new Ledger(clients, deployment, createLogger('chain', 'silent'));

  const db = await createTestDatabase();
  const taskQueue = `dvct-test-${randomUUID()}`;
  const operatorKey = `op-${randomUUID()}-${randomUUID()}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DVCT_OPERATOR_KEY: operatorKey,
    DVCT_PUBLIC_URL: federation?.publicUrl ?? 'http://dvct.test',
    ...(federation ? { DVCT_INSTANCE_ID: federation.instanceId, PEER_RETRY_MAX_INTERVAL_SECONDS: '1' } : {}),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: federation?.namespace ?? inject('temporalNamespace'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    CHAIN_RPC_URL: rpcUrl,
    CHAIN_SIGNER_KEY: signerKey,
    TOKEN_ADDRESS: deployment.token,
    LEDGER_ADDRESS: deployment.ledger,
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  });
  const log = createLogger('test', 'silent');
  const directory = federation?.directory ?? soloDirectory(config.instanceId, config.api.publicUrl, clients.account.address);

  const gateway = await connectWorkflowGateway({
    address: config.temporal.address,
    namespace: config.temporal.namespace,
    taskQueue,
    uiUrl: config.temporal.uiUrl,
  });
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const app = createApp({
    config,
    store: db.store,
    workflows: gateway,
    chain: createChainReader({ rpcUrl, tokenAddress: deployment.token, ledgerAddress: deployment.ledger }),
    log,
    directory,
    ...(federation ? { peers: createPeerClient({ directory, account: clients.account, timeoutMs: 2_000 }) } : {}),
    dbHealth: async () => ({ ok: true, detail: 'test database' }),
  });

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let workerConnection: NativeConnection | undefined;
  const stack: Stack = {
    config,
    app,
    operatorKey,
    taskQueue,
    client,
    gateway,
    ledger,
    clients,
    deployment,
    db,
    async startWorker() {
      workerConnection = await NativeConnection.connect({ address: config.temporal.address });
      worker = await createDvctWorker({
        connection: workerConnection,
        namespace: config.temporal.namespace,
        taskQueue,
        workflowBundle: await workflowBundle(),
        ...(opts.maxHeartbeatThrottleMs !== undefined ? { maxHeartbeatThrottleMs: opts.maxHeartbeatThrottleMs } : {}),
        activities: (opts.wrapActivities ?? ((real) => real))(
          createActivities({
            store: db.store,
            ledger,
            instance: { dvctId: config.instanceId, publicUrl: config.api.publicUrl },
            qualityCheckUrl: undefined,
            outgoingTimeoutMs: 2_000,
            openLineage: { url: opts.openLineageUrl, apiKey: undefined },
            federation: { directory, peers: createPeerClient({ directory, account: clients.account, timeoutMs: 2_000 }) },
            log,
          }),
          stack,
        ),
      });
      running = worker.run();
    },
    async stopWorker() {
      if (!worker) return;
      worker.shutdown();
      await running;
      await workerConnection?.close();
      worker = undefined;
    },
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.key) headers.authorization = `Bearer ${o.key}`;
      if (o.body !== undefined) headers['content-type'] = 'application/json';
      const res = await app.request(path, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async close() {
      await stack.stopWorker();
      await gateway.close();
      await connection.close();
      await db.close();
    },
  };
  if (opts.withWorker !== false) await stack.startWorker();
  return stack;
}

export interface Member {
  id: string;
  apiKey: string;
  webhookSecret: string;
  walletKey: Hex;
  wallet: Hex;
}

/** Registers an organisation through the API, with a funded wallet and initial points minted. */
export async function registerMember(
  stack: Stack,
  p: { id: string; roles: string[]; initialPoints?: number; webhookUrl?: string },
): Promise<Member> {
  const walletKey = generatePrivateKey();
  const wallet = privateKeyToAccount(walletKey).address;
  await fund(wallet);
  const res = await stack.request('POST', '/v1/participants', {
    key: stack.operatorKey,
    body: {
      id: p.id,
      name: `Organisation ${p.id}`,
      roles: p.roles,
      walletAddress: wallet,
      ...(p.webhookUrl ? { webhookUrl: p.webhookUrl } : {}),
      ...(p.initialPoints ? { initialPoints: p.initialPoints } : {}),
    },
  });
  if (res.status !== 201) throw new Error(`registering ${p.id}: ${res.status} ${JSON.stringify(res.body)}`);
  if (p.initialPoints) {
    await stack.client.workflow.getHandle(res.body.onboarding.workflowId).result();
  }
  return { id: p.id, apiKey: res.body.apiKey, webhookSecret: res.body.webhookSecret, walletKey, wallet };
}

/** The payer's own wallet approves and deposits into the ledger, as a real participant would. */
export async function deposit(stack: Stack, member: Member, points: number): Promise<void> {
  const payer = await createChainClients({ rpcUrl: inject('rpcUrl'), signerKey: member.walletKey, pollingIntervalMs: 50 });
  await stack.ledger.depositFrom(payer.walletClient, pointsToUnits(points));
}

/** Waits until the exchange's record leaves `running` (or the deadline passes). */
export async function waitForExchange(stack: Stack, id: string, key: string, until: (body: any) => boolean, timeoutMs = 45_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = await stack.request('GET', `/v1/exchanges/${id}`, { key });
    if (last.status === 200 && until(last.body)) return last.body;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`exchange ${id} did not reach the expected state: ${JSON.stringify(last?.body)}`);
}

/** Waits until the incident's stored status is `status`; fails naming the status it is stuck in. */
export async function waitForIncident(stack: Stack, incidentId: string, status: string, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const incident = await stack.db.store.getIncident(incidentId);
    if (incident?.status === status) return incident;
    if (Date.now() > deadline) throw new Error(`incident ${incidentId} is ${incident?.status ?? 'missing'}, not ${status}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

export function units(points: number | string): string {
  return pointsToUnits(points).toString();
}
