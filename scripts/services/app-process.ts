import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { NODE_BIN, REPO_ROOT, TSX_LOADER } from '../paths';
import { hasExited, stopChild } from './child-process';

/** One of DVCT's own processes (worker, API) run from its TypeScript entry on Node 24. */
export interface AppProcess {
  name: string;
  pid: number;
  /** Resolves with a description of how the process ended ("exit code 1", "signal SIGKILL"). */
  exited: Promise<string>;
  isRunning(): boolean;
  stop(): Promise<void>;
}

function prefixLines(from: NodeJS.ReadableStream, to: Writable, prefix: string): void {
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(`${prefix}${line}\n`));
}

/**
 * Starts `entry` (relative to the repository) with `env`, its output lines prefixed `[name]`.
 * It gets its own process group, so a Ctrl-C in the terminal reaches only the supervisor, which
 * then stops the processes in order.
 */
export function startAppProcess(opts: { name: string; entry: string; env: NodeJS.ProcessEnv }): AppProcess {
  const child = spawn(NODE_BIN, ['--import', TSX_LOADER, join(REPO_ROOT, opts.entry)], {
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`failed to start: ${err.message}`));
    child.once('exit', (code, signal) => resolve(code !== null ? `exit code ${code}` : `signal ${signal}`));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Could not start the ${opts.name} with ${NODE_BIN}; run \`npm install\` if it is missing`);
  prefixLines(child.stdout, process.stdout, `[${opts.name}] `);
  prefixLines(child.stderr, process.stderr, `[${opts.name}] `);
  return {
    name: opts.name,
    pid,
    exited,
    isRunning: () => !hasExited(child),
    stop: () => stopChild(child),
  };
}
