import { createTestClient, http, parseEther, type Address } from 'viem';

/**
 * Gives an account ETH for gas on an anvil chain (`anvil_setBalance`). Only the embedded chain
 * and the tests use it; on a real network the operator funds the signer.
 */
export async function fundOnAnvil(rpcUrl: string, address: Address, ether = 1_000n): Promise<void> {
  const anvil = createTestClient({ mode: 'anvil', transport: http(rpcUrl) });
  await anvil.setBalance({ address, value: parseEther(ether.toString()) });
}
