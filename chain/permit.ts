import { parseSignature, type Account, type Address, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from 'viem';
import { abi as tokenAbi } from '../contracts/artifacts/IncentiveToken';

/** An EIP-2612 permit for the ledger to pull exactly `amount` of `owner`'s points into owner's deposit. */
export interface DepositPermit {
  owner: Address;
  amount: bigint;
  /** Unix seconds. */
  deadline: bigint;
  v: number;
  r: Hex;
  s: Hex;
}

/**
 * Signs, with the payer's own key, a permit whose spender is the ledger. Name, version and chain
 * come from the token itself (ERC-5267), so the signature matches whatever token is deployed.
 */
export async function signDepositPermit(opts: {
  publicClient: PublicClient<Transport, Chain>;
  ownerWallet: WalletClient<Transport, Chain, Account>;
  token: Address;
  ledger: Address;
  amount: bigint;
  deadline: bigint;
}): Promise<DepositPermit> {
  const owner = opts.ownerWallet.account.address;
  const [[, name, version, chainId, verifyingContract], nonce] = await Promise.all([
    opts.publicClient.readContract({ address: opts.token, abi: tokenAbi, functionName: 'eip712Domain' }),
    opts.publicClient.readContract({ address: opts.token, abi: tokenAbi, functionName: 'nonces', args: [owner] }),
  ]);
  const signature = await opts.ownerWallet.signTypedData({
    domain: { name, version, chainId, verifyingContract },
    types: {
      Permit: [
        { name: 'owner', type: 'address' },
        { name: 'spender', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
      ],
    },
    primaryType: 'Permit',
    message: { owner, spender: opts.ledger, value: opts.amount, nonce, deadline: opts.deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { owner, amount: opts.amount, deadline: opts.deadline, v: v === undefined ? yParity + 27 : Number(v), r, s };
}
