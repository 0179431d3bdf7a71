import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainKey } from '../../chain/ids';
import { NODE_BIN, REPO_ROOT, TSX_LOADER } from '../../scripts/paths';
import { deposit, registerMember, startStack, waitForExchange, type Member, type Stack } from '../support/stack';
import { contractBody } from '../support/contract-body';

/**
 * A worker killed with SIGKILL in the middle of runs, then started again: every run completes,
 * and nothing is allocated or paid twice — the ledger refuses a second allocation for the same
 * (exchange, payer, recipient) and the activities read before they write.
 */
describe('a worker killed mid-run', () => {
  let stack: Stack;
  let c: Member, p: Member;
  let worker: ChildProcess | undefined;

  function startWorkerProcess(): ChildProcess {
    const db = stack.db.config;
    // Node itself with tsx as a loader — not the tsx wrapper, whose PID is not the worker's — so
    // SIGKILL really kills the process that holds the activities.
    const child = spawn(NODE_BIN, ['--import', TSX_LOADER, 'worker/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        LOG_LEVEL: 'warn',
        TEMPORAL_ADDRESS: stack.config.temporal.address,
        TEMPORAL_NAMESPACE: stack.config.temporal.namespace,
        TEMPORAL_TASK_QUEUE: stack.taskQueue,
        CHAIN_RPC_URL: stack.config.chain.rpcUrl,
        CHAIN_SIGNER_KEY: stack.config.chain.signerKey,
        CHAIN_POLLING_INTERVAL_MS: '50',
        TOKEN_ADDRESS: stack.deployment.token,
        LEDGER_ADDRESS: stack.deployment.ledger,
        DVCT_PUBLIC_URL: stack.config.api.publicUrl,
        ...(db.kind === 'sqlite' ? { DVCT_SQLITE_PATH: db.path } : { DATABASE_URL: db.url }),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return child;
  }

  async function kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  function processAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  beforeAll(async () => {
    stack = await startStack({ withWorker: false });
    await stack.startWorker(); // for onboarding only
    await registerMember(stack, { id: 'crash-o', roles: ['orchestrator'] });
    p = await registerMember(stack, { id: 'crash-p', roles: ['data-provider'] });
    c = await registerMember(stack, { id: 'crash-c', roles: ['data-consumer'], initialPoints: 100 });
    await deposit(stack, c, 100);
    await stack.stopWorker();
    const created = await stack.request('POST', '/v1/contracts', {
      key: stack.operatorKey,
      body: contractBody('uc-crash', 'crash-o', { 'crash-p': ['data-provider'], 'crash-c': ['data-consumer'] }, {
        incentiveForDataProvider: { numPoints: 3, factor: 1, factorCheck: false },
        verificationWindowSeconds: 3,
      }),
    });
    expect(created.status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    if (worker) await kill(worker);
    await stack?.close();
  });

  it('completes every run exactly once after SIGKILL and restart', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await stack.request('POST', '/v1/exchanges', {
        key: c.apiKey,
        body: { dvctId: 'conn', usecaseContractId: 'uc-crash', contractId: 'dc', dataId: `crash-data-${i}`, dataProviderId: 'crash-p', dataConsumerId: 'crash-c' },
      });
      expect(res.status).toBe(202);
      ids.push(res.body.exchangeId);
    }

    worker = startWorkerProcess();
    // Kill once some runs have allocated and others are still on their way.
    await waitForExchange(stack, ids[0]!, c.apiKey, (x) => ['verifying-distribution', 'notifying', 'verification-window'].includes(x.stage), 90_000);
    const killed = worker;
    await kill(killed);
    expect(processAlive(killed.pid!)).toBe(false);
    // Nothing moves while no worker runs: the runs wait in Temporal, not in a lost process.
    const stalled = await stack.request('GET', `/v1/exchanges/${ids[3]}`, { key: c.apiKey });
    expect(stalled.body.status).toBe('running');
    worker = startWorkerProcess();

    for (const id of ids) await waitForExchange(stack, id, c.apiKey, (x) => x.status === 'completed', 120_000);

    for (const id of ids) {
      expect(await stack.db.store.getAllocations(id)).toHaveLength(1);
      const events = await stack.clients.publicClient.getContractEvents({
        address: stack.deployment.ledger,
        abi: (await import('../../contracts/artifacts/PointsLedger')).abi,
        eventName: 'Allocated',
        args: { exchangeId: chainKey(id) },
        fromBlock: 0n,
      });
      expect(events, id).toHaveLength(1);
    }
    expect(await stack.ledger.tokenBalanceOf(p.wallet)).toBe(12n * 10n ** 18n);
    expect(await stack.ledger.depositOf(c.wallet)).toBe(88n * 10n ** 18n);
    expect(await stack.ledger.ledgerTokenBalance()).toBe(88n * 10n ** 18n);
  }, 300_000);
});
