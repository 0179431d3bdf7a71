import { createTestClient, http, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createChainClients, type ChainClients } from '../../chain/clients';
import { ensureDeployment } from '../../chain/deployment';
import { chainKey } from '../../chain/ids';
import { Ledger, type AllocateInput } from '../../chain/ledger';
import { pointsToUnits } from '../../domain/amounts';
import { createLogger } from '../../lib/logger';
import { startAnvil } from '../services/anvil';
import { fundOnAnvil } from '../services/anvil-balance';

/**
 * `npm run bench:gas` — chain cost of one exchange through the DVCT's own ledger client, on a
 * fresh anvil: the allocation with its two node anchors (what the exchange run sends), for 2, 5
 * and 10 recipients of one payer, and the release that follows the verification window; first
 * each exchange alone, then BATCH exchanges sharing one allocateBatch and one releaseBatch
 * transaction (what CHAIN_BATCH_WINDOW_MS does under load), per exchange.
 */
const RECIPIENT_COUNTS = [2, 5, 10];
const BATCH = 10;
const HOLD_SECONDS = 60;

const kgas = (gas: bigint) => `${(Number(gas) / 1000).toFixed(1)}k`;

async function main(): Promise<void> {
  const anvil = await startAnvil();
  try {
    const signerKey = generatePrivateKey();
    const operator = await createChainClients({ rpcUrl: anvil.rpcUrl, signerKey, pollingIntervalMs: 50 });
    await fundOnAnvil(anvil.rpcUrl, operator.account.address);
    const deployment = await ensureDeployment({ clients: operator });
    const silent = createLogger('bench', 'silent');
    const alone = new Ledger(operator, deployment, silent);
    // The same signer, batching as the worker does; a long window, so every batch is exactly BATCH exchanges.
    const batching: ChainClients = { ...operator, batchWindowMs: 5_000 };
    const batched = new Ledger(batching, deployment, silent);
    const testClient = createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) });
    const gasOf = async (hash: Hex | null) => {
      if (!hash) throw new Error('the ledger sent no transaction');
      return (await operator.publicClient.getTransactionReceipt({ hash })).gasUsed;
    };
    const pastTheWindow = async () => {
      await testClient.increaseTime({ seconds: HOLD_SECONDS });
      await testClient.mine({ blocks: 1 });
    };

    const payer = await createChainClients({ rpcUrl: anvil.rpcUrl, signerKey: generatePrivateKey(), pollingIntervalMs: 50 });
    await fundOnAnvil(anvil.rpcUrl, payer.account.address);
    await alone.mint(payer.account.address, pointsToUnits(100_000));
    await alone.depositFrom(payer.walletClient, pointsToUnits(100_000));
    let exchanges = 0;
    const exchangeWith = (count: number): AllocateInput => {
      const exchangeId = `gas-${(exchanges += 1)}`;
      return {
        exchangeId,
        recordHash: chainKey(`${exchangeId}/record`),
        holdSeconds: HOLD_SECONDS,
        // Fresh recipients: each release is a first transfer to a new token holder, the dearer case.
        lines: Array.from({ length: count }, (_, i) => ({ payer: payer.account.address, recipient: newAddress(), amount: pointsToUnits(i + 1) })),
        nodes: ['input', 'output'].map((side) => ({ nodeId: `${exchangeId}/${side}`, contentHash: chainKey(`${exchangeId}/${side}-content`) })),
      };
    };

    console.log(`gas per exchange, one payer, 2 node anchors; alone, and in batches of ${BATCH} exchanges`);
    console.log('  recipients   allocate + anchors   release   batched allocate   batched release');
    for (const count of RECIPIENT_COUNTS) {
      const single = exchangeWith(count);
      const allocated = await alone.allocate(single);
      await pastTheWindow();
      const released = await alone.release(single.exchangeId, single.lines);

      const group = Array.from({ length: BATCH }, () => exchangeWith(count));
      const allocations = await Promise.all(group.map((e) => batched.allocate(e)));
      await pastTheWindow();
      const releases = await Promise.all(group.map((e) => batched.release(e.exchangeId, e.lines)));
      const batchTx = (hashes: (Hex | null)[]) => {
        const distinct = [...new Set(hashes)];
        if (distinct.length !== 1) throw new Error(`expected one transaction for the batch, got ${distinct.length}`);
        return distinct[0]!;
      };
      const perExchange = async (hash: Hex) => (await gasOf(hash)) / BigInt(BATCH);

      const row = [
        kgas(await gasOf(allocated.txHash)),
        kgas(await gasOf(released.txHash)),
        kgas(await perExchange(batchTx(allocations.map((a) => a.txHash)))),
        kgas(await perExchange(batchTx(releases.map((r) => r.txHash)))),
      ];
      console.log(`  ${String(count).padStart(10)}   ${row[0]!.padStart(18)}   ${row[1]!.padStart(7)}   ${row[2]!.padStart(16)}   ${row[3]!.padStart(15)}`);
    }
  } finally {
    await anvil.stop();
  }
}

function newAddress(): Address {
  return privateKeyToAccount(generatePrivateKey()).address;
}

main().catch((err: unknown) => {
  console.error(`gas benchmark failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
