import { readFileSync } from 'node:fs';
import { parseDirectory, soloDirectory, type Directory } from '../domain/directory';
import type { Config } from './config';

/**
 * The directory this process works with: DVCT_DIRECTORY_FILE, validated against this instance's
 * own id, URL and (where the process holds the signer) signer address; without the file, a
 * directory of this instance alone. A bad file stops the process with a message naming the problem.
 */
export function loadDirectory(config: Config, signerAddress: string | undefined): Directory {
  const file = config.federation.directoryFile;
  if (!file) return soloDirectory(config.instanceId, config.api.publicUrl, signerAddress ?? '');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`DVCT_DIRECTORY_FILE ${file} cannot be read as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseDirectory(raw, { instanceId: config.instanceId, publicUrl: config.api.publicUrl, signerAddress });
}
