import { createTestClient, http, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createChainClients } from '../../chain/clients';
import { ensureDeployment } from '../../chain/deployment';
import { chainKey } from '../../chain/ids';
import { Ledger } from '../../chain/ledger';
import { pointsToUnits } from '../../domain/amounts';
import { createLogger } from '../../lib/logger';
import { startAnvil } from '../services/anvil';
import { fundOnAnvil } from '../services/anvil-balance';

/**
 * `npm run bench:gas` — chain cost of one exchange through the DVCT's own ledger client, on a
 * fresh anvil: the allocation with its two node anchors (what the exchange run sends), for 2, 5
 * and 10 recipients of one payer, and the release that follows the verification window.
 */
const RECIPIENT_COUNTS = [2, 5, 10];
const HOLD_SECONDS = 60;

async function main(): Promise<void> {
  const anvil = await startAnvil();
  try {
    const operator = await createChainClients({ rpcUrl: anvil.rpcUrl, signerKey: generatePrivateKey(), pollingIntervalMs: 50 });
    await fundOnAnvil(anvil.rpcUrl, operator.account.address);
    const deployment = await ensureDeployment({ clients: operator });
    const ledger = new Ledger(operator, deployment, createLogger('bench', 'silent'));
    const testClient = createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) });
    const gasOf = async (hash: Hex | null) => {
      if (!hash) throw new Error('the ledger sent no transaction');
      return (await operator.publicClient.getTransactionReceipt({ hash })).gasUsed;
    };

    const payer = await createChainClients({ rpcUrl: anvil.rpcUrl, signerKey: generatePrivateKey(), pollingIntervalMs: 50 });
    await fundOnAnvil(anvil.rpcUrl, payer.account.address);
    await ledger.mint(payer.account.address, pointsToUnits(1_000));
    await ledger.depositFrom(payer.walletClient, pointsToUnits(1_000));

    console.log('gas per exchange, one payer, 2 node anchors (recipients are new token holders at release)');
    console.log('  recipients   allocate + anchors   release');
    for (const count of RECIPIENT_COUNTS) {
      const exchangeId = `gas-${count}`;
      const lines = Array.from({ length: count }, (_, i) => ({
        payer: payer.account.address,
        recipient: privateKeyToAccount(generatePrivateKey()).address,
        amount: pointsToUnits(i + 1),
      }));
      const nodes = ['input', 'output'].map((side) => ({ nodeId: `${exchangeId}/${side}`, contentHash: chainKey(`${exchangeId}/${side}-content`) }));
      const allocated = await ledger.allocate({ exchangeId, recordHash: chainKey(`${exchangeId}/record`), holdSeconds: HOLD_SECONDS, lines, nodes });
      await testClient.increaseTime({ seconds: HOLD_SECONDS });
      await testClient.mine({ blocks: 1 });
      const released = await ledger.release(exchangeId, lines);
      const [allocateGas, releaseGas] = [await gasOf(allocated.txHash), await gasOf(released.txHash)];
      console.log(`  ${String(count).padStart(10)}   ${`${(Number(allocateGas) / 1000).toFixed(1)}k`.padStart(18)}   ${`${(Number(releaseGas) / 1000).toFixed(1)}k`.padStart(7)}`);
    }
  } finally {
    await anvil.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`gas benchmark failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
