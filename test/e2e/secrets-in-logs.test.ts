import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createChainClients } from '../../chain/clients';
import { ensureDeployment, type Deployment } from '../../chain/deployment';
import { Ledger } from '../../chain/ledger';
import { createScratchDatabase, type ScratchDatabase } from '../../db/scratch-database';
import { pointsToUnits } from '../../domain/amounts';
import { createLogger } from '../../lib/logger';
import { NODE_BIN, REPO_ROOT, TSX_LOADER } from '../../scripts/paths';
import { findFreePort } from '../../scripts/services/ports';
import { auditAnchorScheduleId } from '../../worker/audit-anchor-schedule';
import { reconciliationScheduleId } from '../../worker/reconciliation-schedule';
import { fund } from '../support/chain';
import { contractBody } from '../support/contract-body';

/**
 * The worker and the API as the real processes `npm start` runs, at the most talkative log level,
 * through registrations, a key rotation, a refused key, a signed webhook and a whole exchange on
 * chain — then every line they wrote is searched for every secret of the run: the operator key,
 * each participant key (and its secret part), each webhook secret, the chain signer key (read from
 * a file, as configured in production).
 *
 * Both run with a directory naming a peer instance, so the API too loads the signer key (to sign
 * its requests to peers), checks it against the directory at start-up, and signs a real request:
 * its key-loading and signing paths are searched as well.
 */
describe('the logs of a run', () => {
  const output: string[] = [];
  const processes: ChildProcess[] = [];
  const secrets = new Map<string, string>();
  const folder = mkdtempSync(join(tmpdir(), 'dvct-secrets-'));
  const taskQueue = `dvct-secrets-${randomUUID()}`;
  let scratch: ScratchDatabase;
  let receiver: Server;
  let apiUrl: string;
  let deployment: Deployment;
  const keyIds: string[] = [];
  /** The requests the API signed for the peer instance (the receiver stands in for it). */
  const peerRequests: { path: string; instance: string | undefined; signature: string | undefined }[] = [];

  function start(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn(NODE_BIN, ['--import', TSX_LOADER, join(REPO_ROOT, entry)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    processes.push(child);
    return child;
  }

  async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen; output so far:\n${output.join('').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function call(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  }

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      // Webhooks carry an x-dvct-signature too; requests to a peer go to its /v1/peer/ routes.
      if (req.url?.startsWith('/v1/peer/')) {
        peerRequests.push({ path: req.url ?? '', instance: req.headers['x-dvct-instance'] as string | undefined, signature: req.headers['x-dvct-signature'] as string });
      }
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));

    const rpcUrl = inject('rpcUrl');
    const signerKey = generatePrivateKey();
    secrets.set('chain signer key', signerKey);
    secrets.set('chain signer key without 0x', signerKey.slice(2));
    await fund(privateKeyToAccount(signerKey).address);
    const clients = await createChainClients({ rpcUrl, signerKey, pollingIntervalMs: 50 });
    deployment = await ensureDeployment({ clients });
    const signerKeyFile = join(folder, 'signer.key');
    writeFileSync(signerKeyFile, `${signerKey}\n`, { mode: 0o600 });

    scratch = await createScratchDatabase({ label: 'test', ...(process.env.DATABASE_URL ? { postgresServerUrl: process.env.DATABASE_URL } : {}) });
    const operatorKey = `op-${randomBytes(24).toString('hex')}`;
    secrets.set('operator key', operatorKey);
    const port = await findFreePort();
    apiUrl = `http://127.0.0.1:${port}`;
    const directoryFile = join(folder, 'directory.json');
    const peerUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    writeFileSync(
      directoryFile,
      JSON.stringify({
        instances: [
          { instanceId: 'dvct-local', url: apiUrl, signerAddress: privateKeyToAccount(signerKey).address, participants: ['log-o', 'log-p', 'log-c'] },
          { instanceId: 'dvct-log-peer', url: peerUrl, signerAddress: privateKeyToAccount(generatePrivateKey()).address, participants: ['log-peer-member'] },
        ],
      }),
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LOG_LEVEL: 'trace',
      DVCT_DATA_DIR: folder,
      DVCT_OPERATOR_KEY: operatorKey,
      DVCT_PUBLIC_URL: apiUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      CHAIN_RPC_URL: rpcUrl,
      CHAIN_POLLING_INTERVAL_MS: '50',
      CHAIN_SIGNER_KEY_FILE: signerKeyFile,
      DVCT_DIRECTORY_FILE: directoryFile,
      TOKEN_ADDRESS: deployment.token,
      LEDGER_ADDRESS: deployment.ledger,
      RECONCILIATION_INTERVAL_SECONDS: '0',
      AUDIT_ANCHOR_INTERVAL_SECONDS: '0',
      ...(scratch.config.kind === 'postgresql' ? { DATABASE_URL: scratch.config.url } : { DVCT_SQLITE_PATH: scratch.config.path }),
    };
    // The worker migrates; the API expects the schema, so it starts once the worker is up.
    start('worker/main.ts', env);
    await until('the worker start', () => output.join('').includes('worker started'));
    start('api/main.ts', env);
    await until('the API start', async () => (await fetch(`${apiUrl}/health`).then((r) => r.status, () => 0)) === 200);
  }, 180_000);

  afterAll(async () => {
    for (const child of processes) child.kill('SIGTERM');
    await Promise.all(processes.map((child) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : undefined)));
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const client = new Client({ connection, namespace: inject('temporalNamespace') });
    for (const id of [reconciliationScheduleId(taskQueue), auditAnchorScheduleId(taskQueue)]) await client.schedule.getHandle(id).delete().catch(() => undefined);
    await connection.close();
    await scratch?.drop();
    receiver?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('never hold a key, a secret or the signer key, through a whole exchange', async () => {
    const operatorKey = secrets.get('operator key')!;
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const members: Record<string, { apiKey: string; walletKey: `0x${string}` }> = {};
    for (const [id, roles, initialPoints] of [
      ['log-o', ['orchestrator'], undefined],
      ['log-p', ['data-provider'], undefined],
      ['log-c', ['data-consumer'], '50'],
    ] as const) {
      const walletKey = generatePrivateKey();
      await fund(privateKeyToAccount(walletKey).address);
      const res = await call('POST', '/v1/participants', operatorKey, { id, name: id, roles, walletAddress: privateKeyToAccount(walletKey).address, webhookUrl: hook, ...(initialPoints ? { initialPoints } : {}) });
      expect(res.status).toBe(201);
      members[id] = { apiKey: res.body.apiKey, walletKey };
      secrets.set(`${id} key`, res.body.apiKey);
      secrets.set(`${id} key secret`, res.body.apiKey.split('_').slice(2).join('_'));
      secrets.set(`${id} webhook secret`, res.body.webhookSecret);
      keyIds.push(res.body.apiKey.split('_')[1]);
    }
    // A rotated key, and a wrong one: both show only as key ids or not at all.
    const rotated = await call('POST', `/v1/participants/log-p/keys/${keyIds[1]}/rotate`, members['log-p']!.apiKey, {});
    expect(rotated.status).toBe(201);
    secrets.set('rotated key', rotated.body.apiKey);
    expect((await call('GET', '/v1/me', members['log-p']!.apiKey)).status).toBe(401);
    expect((await call('GET', '/v1/me', `dvct_${keyIds[0]}_${'x'.repeat(43)}`)).status).toBe(401);

    // The consumer's initial points are minted by a run; it deposits from its own wallet once they are there.
    await until('the initial points', async () => (await call('GET', '/v1/participants/log-c/balance', members['log-c']!.apiKey)).body?.wallet === '50');
    const payer = await createChainClients({ rpcUrl: inject('rpcUrl'), signerKey: members['log-c']!.walletKey, pollingIntervalMs: 50 });
    await new Ledger(payer, deployment, createLogger('test', 'silent')).depositFrom(payer.walletClient, pointsToUnits(10));

    expect((await call('POST', '/v1/contracts', members['log-o']!.apiKey, contractBody('uc-log', 'log-o', { 'log-p': ['data-provider'], 'log-c': ['data-consumer'] }))).status).toBe(201);
    const reported = await call('POST', '/v1/exchanges', members['log-c']!.apiKey, {
      dvctId: 'connector-log',
      usecaseContractId: 'uc-log',
      contractId: 'dc-log',
      dataId: 'log-raw',
      dataProviderId: 'log-p',
      dataConsumerId: 'log-c',
      incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    });
    expect(reported.status).toBe(202);
    await until('the exchange to complete', async () => (await call('GET', `/v1/exchanges/${reported.body.exchangeId}`, members['log-c']!.apiKey)).body?.status === 'completed');
    // An exchange this instance did not run: the API asks the peer for its claim, signed with the loaded key.
    const elsewhere = await call('GET', '/v1/exchanges/ex-run-elsewhere/verification', operatorKey);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.items).toEqual([expect.objectContaining({ instanceId: 'dvct-log-peer', match: false })]);
    expect(peerRequests).toEqual([{ path: '/v1/peer/exchanges/ex-run-elsewhere/record', instance: 'dvct-local', signature: expect.stringMatching(/^0x[0-9a-f]{130}$/) }]);
    // Let the last log lines reach us.
    await new Promise((r) => setTimeout(r, 500));

    const logs = output.join('');
    // The control: the run was logged, at length, with key ids.
    expect(logs.length).toBeGreaterThan(10_000);
    for (const keyId of keyIds) expect(logs).toContain(keyId);
    expect(logs).not.toContain('cannot sign peer requests');
    const leaked = [...secrets].filter(([, value]) => logs.includes(value)).map(([what]) => what);
    expect(leaked).toEqual([]);
  }, 180_000);
});
