import type { LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { loadSignerKey } from '../chain/clients';
import type { Config } from '../config/config';
import type { Logger } from '../lib/logger';

/**
 * The API's identity towards its peers: the instance's one signer (CHAIN_SIGNER_KEY or
 * CHAIN_SIGNER_KEY_FILE, the worker's key and the directory's signerAddress). The API uses it only
 * to sign requests to peer instances — it never sends a transaction. Loaded only when a directory
 * is configured; without the key the API still starts, and peers are marked unreachable.
 */
export function loadPeerSigner(config: Config, log: Logger): LocalAccount | undefined {
  if (!config.federation.directoryFile) return undefined;
  try {
    return privateKeyToAccount(loadSignerKey(config.chain));
  } catch (err) {
    // loadSignerKey's messages never echo a key.
    log.warn({ reason: err instanceof Error ? err.message : String(err) }, 'no signer key: this API cannot sign peer requests; nodes homed on peers will be marked unreachable');
    return undefined;
  }
}
