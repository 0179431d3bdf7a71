import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address } from 'viem';
import { afterEach, describe, expect, it } from 'vitest';
import { createChainClients, loadSignerKey } from '../../chain/clients';
import { ensureDeployment, isDeploymentLive, readDeployment } from '../../chain/deployment';
import { Ledger } from '../../chain/ledger';
import { createLogger } from '../../lib/logger';
import { startAnvil, type AnvilProcess } from '../../scripts/services/anvil';
import { devKey } from './fixture';

/** Deploy-once-and-reuse across anvil restarts, the config readers, and anvil's own lifecycle. */
const started: AnvilProcess[] = [];
const silent = createLogger('chain-test', 'silent');

async function anvil(opts: Parameters<typeof startAnvil>[0] = {}) {
  const a = await startAnvil(opts);
  started.push(a);
  return a;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((a) => a.stop()));
});

describe('ensureDeployment', () => {
  it('deploys once, then reuses the contracts, also after anvil restarts from its state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dvct-deploy-'));
    const stateFile = join(dir, 'chain', 'state.json');
    const file = join(dir, 'nested', 'deployment.json');

    const first = await anvil({ stateFile });
    const clients = await createChainClients({ rpcUrl: first.rpcUrl, signerKey: devKey(0), pollingIntervalMs: 50 });
    const deployed = await ensureDeployment({ clients, file, log: silent });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(deployed);
    expect(deployed.chainId).toBe(31337);
    expect(await ensureDeployment({ clients, file, log: silent })).toEqual(deployed);

    const payer = clients.account.address;
    await new Ledger(clients, deployed, silent).mint(payer, 42n);
    await first.stop();
    expect(isRunning(first.pid)).toBe(false);
    expect(existsSync(stateFile)).toBe(true);

    const second = await anvil({ stateFile });
    const again = await createChainClients({ rpcUrl: second.rpcUrl, signerKey: devKey(0), pollingIntervalMs: 50 });
    expect(await ensureDeployment({ clients: again, file, log: silent })).toEqual(deployed);
    expect(await new Ledger(again, deployed, silent).tokenBalanceOf(payer)).toBe(42n);
  }, 60_000);

  it('deploys again when the recorded contracts are not on the chain, and refuses a signer without the roles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dvct-deploy-'));
    const file = join(dir, 'deployment.json');
    const stale = {
      chainId: 31337,
      token: `0x${'11'.repeat(20)}` as Address,
      ledger: `0x${'22'.repeat(20)}` as Address,
      blockNumber: '1',
      deployedAt: '2020-01-01T00:00:00.000Z',
    };
    writeFileSync(file, JSON.stringify(stale));

    const chain = await anvil();
    const clients = await createChainClients({ rpcUrl: chain.rpcUrl, signerKey: devKey(0), pollingIntervalMs: 50 });
    expect(await isDeploymentLive(clients.publicClient, stale)).toBe(false);
    const deployed = await ensureDeployment({ clients, file, log: silent });
    expect(deployed.token).not.toBe(stale.token);
    expect(await isDeploymentLive(clients.publicClient, deployed)).toBe(true);

    const stranger = await createChainClients({ rpcUrl: chain.rpcUrl, signerKey: devKey(5) });
    await expect(ensureDeployment({ clients: stranger, file, log: silent })).rejects.toThrow(/MINTER_ROLE and OPERATOR_ROLE/);
  }, 60_000);
});

describe('readDeployment', () => {
  const base = { tokenAddress: undefined, ledgerAddress: undefined, deploymentFile: '/nonexistent/deployment.json' };

  it('prefers TOKEN_ADDRESS and LEDGER_ADDRESS when both are set', () => {
    const token = `0x${'aa'.repeat(20)}`;
    const ledger = `0x${'bb'.repeat(20)}`;
    expect(readDeployment({ ...base, tokenAddress: token, ledgerAddress: ledger })).toEqual({ token, ledger, blockNumber: '0' });
    expect(() => readDeployment({ ...base, tokenAddress: token })).toThrow(/both TOKEN_ADDRESS and LEDGER_ADDRESS/);
  });

  it('reads and validates the deployment file, naming the variables when there is none', () => {
    expect(() => readDeployment(base)).toThrow(/TOKEN_ADDRESS and LEDGER_ADDRESS.*DVCT_DEPLOYMENT_FILE/);
    const dir = mkdtempSync(join(tmpdir(), 'dvct-deploy-'));
    const file = join(dir, 'deployment.json');
    writeFileSync(file, JSON.stringify({ chainId: 1, token: 'nope' }));
    expect(() => readDeployment({ ...base, deploymentFile: file })).toThrow(/is not valid/);
    const good = { chainId: 1, token: `0x${'aa'.repeat(20)}`, ledger: `0x${'bb'.repeat(20)}`, blockNumber: '7', deployedAt: 'x' };
    writeFileSync(file, JSON.stringify(good));
    expect(readDeployment({ ...base, deploymentFile: file })).toEqual(good);
  });
});

describe('loadSignerKey', () => {
  const key = `0x${'ab'.repeat(32)}`;

  it('takes CHAIN_SIGNER_KEY, else the trimmed content of CHAIN_SIGNER_KEY_FILE', () => {
    expect(loadSignerKey({ signerKey: key, signerKeyFile: '/nonexistent' })).toBe(key);
    const file = join(mkdtempSync(join(tmpdir(), 'dvct-key-')), 'signer.key');
    writeFileSync(file, `  ${key}\n`);
    expect(loadSignerKey({ signerKey: undefined, signerKeyFile: file })).toBe(key);
  });

  it('names both variables when there is no key, and never echoes a malformed one', () => {
    expect(() => loadSignerKey({ signerKey: undefined, signerKeyFile: '/nonexistent/signer.key' })).toThrow(
      /CHAIN_SIGNER_KEY.*CHAIN_SIGNER_KEY_FILE/,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'dvct-key-')), 'signer.key');
    const secretish = '0xdeadbeefdeadbeefdeadbeef';
    writeFileSync(file, secretish);
    let message = '';
    try {
      loadSignerKey({ signerKey: undefined, signerKeyFile: file });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/does not hold a 0x-prefixed 32-byte hex key/);
    expect(message).not.toContain(secretish);
  });
});

describe('startAnvil', () => {
  it('fails with anvil’s own last log lines when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(anvil({ port, startTimeoutMs: 10_000 })).rejects.toThrow(/anvil exited[\s\S]*Last lines/);
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('answers on the port it reports and is gone after stop()', async () => {
    const chain = await anvil();
    const res = await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    expect(await res.json()).toMatchObject({ result: '0x7a69' });
    expect(chain.rpcUrl).toBe(`http://127.0.0.1:${chain.port}`);
    await chain.stop();
    expect(isRunning(chain.pid)).toBe(false);
    await chain.stop(); // idempotent
  }, 30_000);
});
