import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../paths';
import { OutputTail } from '../services/child-process';

/**
 * Finds a Temporal CLI (dev server and Web UI in one binary) or builds one. Neither npm nor Debian
 * ships it, so a fresh machine builds it once from the Go module proxy and keeps it in .tools/.
 * v1.5.1 is the newest tag without `replace` directives, which `go install pkg@version` rejects.
 */
const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

const toolsBin = join(REPO_ROOT, '.tools', 'bin');

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** undefined when `path --version` answers like a Temporal CLI, else why not. */
async function whyNotWorking(path: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)(path, ['--version'], { timeout: 30_000 });
    return /temporal version/i.test(stdout) ? undefined : `unexpected \`--version\` output: ${stdout.trim()}`;
  } catch (err) {
    return (err as Error).message;
  }
}

async function buildCli(log: (msg: string) => void): Promise<string> {
  const command = `GOBIN=${toolsBin} go install ${CLI_MODULE}`;
  const go = findOnPath('go');
  if (!go) {
    throw new Error(
      `The Temporal CLI was not found (TEMPORAL_CLI_PATH, PATH, ${toolsBin}) and Go is not installed to build it. ` +
        `Install Go ≥ 1.24 and run again (it runs \`${command}\`), or install the Temporal CLI and set TEMPORAL_CLI_PATH.`,
    );
  }
  log(`Building the Temporal CLI once into ${toolsBin} (a few minutes on a cold Go cache): ${command}`);
  const output = new OutputTail(40);
  const exitCode = await new Promise<number | null>((done, fail) => {
    const child = spawn(go, ['install', CLI_MODULE], {
      env: { ...process.env, GOBIN: toolsBin },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.once('error', fail);
    child.once('close', done);
  });
  const binary = join(toolsBin, 'temporal');
  const problem = exitCode === 0 ? await whyNotWorking(binary) : `exit code ${exitCode}`;
  if (problem) {
    throw new Error(`Building the Temporal CLI failed (${problem}).\nCommand: ${command}\nLast output:\n${output.text()}`);
  }
  log(`Temporal CLI built: ${binary}`);
  return binary;
}

/**
 * Absolute path of a working `temporal` binary: TEMPORAL_CLI_PATH if set (it must work), else
 * `temporal` on PATH, else .tools/bin/temporal, else one built now with Go.
 */
export async function ensureTemporalCli(opts: { log?: (msg: string) => void } = {}): Promise<string> {
  const log = opts.log ?? ((msg: string) => console.log(msg));
  const configured = process.env.TEMPORAL_CLI_PATH?.trim();
  if (configured) {
    const path = resolve(configured);
    const problem = await whyNotWorking(path);
    if (problem) throw new Error(`TEMPORAL_CLI_PATH=${configured} is not a working Temporal CLI: ${problem}`);
    return path;
  }
  for (const candidate of [findOnPath('temporal'), join(toolsBin, 'temporal')]) {
    if (candidate && !(await whyNotWorking(candidate))) return resolve(candidate);
  }
  return buildCli(log);
}
