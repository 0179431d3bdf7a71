import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../paths';

/**
 * Schemathesis (PyPI) fuzzes the API from its OpenAPI document. It is installed once, pinned, into
 * a virtual environment under .tools/ (git-ignored), with the machine's python3; SCHEMATHESIS_BIN
 * points at another installation instead.
 */
export const SCHEMATHESIS_VERSION = '4.32.5';

const run = promisify(execFile);
const venv = join(REPO_ROOT, '.tools', 'schemathesis');
const installed = join(venv, 'bin', 'schemathesis');

async function version(bin: string): Promise<string | null> {
  try {
    const { stdout } = await run(bin, ['--version'], { timeout: 60_000 });
    return stdout.match(/version ([\d.]+)/)?.[1] ?? null;
  } catch {
    return null;
  }
}

export async function ensureSchemathesis(log: (message: string) => void): Promise<string> {
  const chosen = process.env.SCHEMATHESIS_BIN;
  if (chosen) {
    if (!(await version(chosen))) throw new Error(`SCHEMATHESIS_BIN=${chosen} does not answer \`--version\` like schemathesis`);
    return chosen;
  }
  if (existsSync(installed) && (await version(installed)) === SCHEMATHESIS_VERSION) return installed;
  log(`Installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${venv}`);
  try {
    await run('python3', ['-m', 'venv', venv], { timeout: 120_000 });
    await run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`], { timeout: 600_000 });
  } catch (err) {
    throw new Error(`Could not install schemathesis (needs python3 with venv and PyPI): ${(err as Error).message}`);
  }
  if ((await version(installed)) !== SCHEMATHESIS_VERSION) throw new Error(`schemathesis ${SCHEMATHESIS_VERSION} did not install into ${venv}`);
  return installed;
}
