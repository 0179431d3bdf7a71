import type { ContractFunctionArgs, ContractFunctionName, TransactionReceipt } from 'viem';
import { abi as tokenAbi } from '../../contracts/artifacts/IncentiveToken';
import { abi as ledgerAbi } from '../../contracts/artifacts/PointsLedger';
import { submitTransaction } from '../../chain/send';
import type { ChainFixture, Wallet } from '../chain/fixture';

/** Typed, receipt-awaiting calls straight to the contracts (below the TS Ledger layer). */
type LedgerWrite = ContractFunctionName<typeof ledgerAbi, 'nonpayable'>;
type TokenWrite = ContractFunctionName<typeof tokenAbi, 'nonpayable'>;

export function contractCalls(f: ChainFixture) {
  const { publicClient, deployment } = f;
  return {
    ledger<F extends LedgerWrite>(wallet: Wallet, functionName: F, args: ContractFunctionArgs<typeof ledgerAbi, 'nonpayable', F>): Promise<TransactionReceipt> {
      return submitTransaction(publicClient, wallet, () =>
        wallet.writeContract({ address: deployment.ledger, abi: ledgerAbi, functionName, args } as Parameters<Wallet['writeContract']>[0]),
      );
    },
    token<F extends TokenWrite>(wallet: Wallet, functionName: F, args: ContractFunctionArgs<typeof tokenAbi, 'nonpayable', F>): Promise<TransactionReceipt> {
      return submitTransaction(publicClient, wallet, () =>
        wallet.writeContract({ address: deployment.token, abi: tokenAbi, functionName, args } as Parameters<Wallet['writeContract']>[0]),
      );
    },
    allocationOf(exchangeKey: `0x${string}`, payer: `0x${string}`, recipient: `0x${string}`) {
      return publicClient.readContract({ address: deployment.ledger, abi: ledgerAbi, functionName: 'allocationOf', args: [exchangeKey, payer, recipient] });
    },
    deposits(payer: `0x${string}`) {
      return publicClient.readContract({ address: deployment.ledger, abi: ledgerAbi, functionName: 'deposits', args: [payer] });
    },
    balanceOf(owner: `0x${string}`) {
      return publicClient.readContract({ address: deployment.token, abi: tokenAbi, functionName: 'balanceOf', args: [owner] });
    },
  };
}
