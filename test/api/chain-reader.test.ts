import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainReader } from '../../api/chain-reader';
import { DvctError } from '../../domain/errors';
import { startChainFixture, type ChainFixture } from '../chain/fixture';

/** The API's read-only chain access against a real anvil with the real token deployed. */
let chain: ChainFixture;
let dir: string;
beforeAll(async () => {
  chain = await startChainFixture();
  dir = await mkdtemp(join(tmpdir(), 'dvct-chain-reader-'));
}, 60_000);
afterAll(async () => {
  await chain?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const holder = '0x00000000000000000000000000000000000000a1';

describe('createChainReader', () => {
  it('reads a wallet balance of the token, exactly, beyond 2^64', async () => {
    const amount = 123_456_789n * 10n ** 18n + 1n;
    await chain.ledger.mint(holder, amount);
    const reader = createChainReader({ rpcUrl: chain.anvil.rpcUrl, tokenAddress: chain.deployment.token });
    expect(await reader.walletBalance(holder)).toBe(amount);
    expect(await reader.walletBalance('0x00000000000000000000000000000000000000b2')).toBe(0n);
  });

  it('finds the token in the deployment file when TOKEN_ADDRESS is not set', async () => {
    const file = join(dir, 'deployment.json');
    const reader = createChainReader({ rpcUrl: chain.anvil.rpcUrl, tokenAddress: undefined, deploymentFile: file });
    await expect(reader.walletBalance(holder)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    // Written after the reader was made: the API may start before the deploy step.
    await writeFile(file, JSON.stringify(chain.deployment));
    expect(await reader.walletBalance(holder)).toBeGreaterThan(0n);
  });

  it('reports its health from the node, and the failure when there is no node', async () => {
    const up = await createChainReader({ rpcUrl: chain.anvil.rpcUrl, tokenAddress: chain.deployment.token }).health();
    expect(up.ok).toBe(true);
    expect(up.detail).toMatch(/^chain \d+ at block \d+/);

    const down = createChainReader({ rpcUrl: 'http://127.0.0.1:9', tokenAddress: chain.deployment.token });
    expect((await down.health()).ok).toBe(false);
    const failure = await down.walletBalance(holder).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DvctError);
    expect(failure).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });
});
