import { keccak256, toHex, type Hex } from 'viem';

/** The bytes32 key under which a DVCT string id (exchange id, node id) is stored and emitted on chain. */
export function chainKey(id: string): Hex {
  return keccak256(toHex(id));
}
