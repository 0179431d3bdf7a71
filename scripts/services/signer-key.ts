import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generatePrivateKey } from 'viem/accounts';

/**
 * Creates the embedded default's operator key once, readable by the owner only. Returns whether
 * it was created; an existing file is left as it is (it signs for the deployed contracts).
 */
export async function ensureSignerKeyFile(file: string): Promise<boolean> {
  await mkdir(dirname(file), { recursive: true });
  try {
    // 'wx': never overwrite a key, even one another start wrote a moment ago.
    await writeFile(file, `${generatePrivateKey()}\n`, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
