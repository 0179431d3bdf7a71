import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Starts a local anvil chain for the embedded default and the tests. The anvil binary itself is
 * spawned (not npx, not the npm wrapper script), so the PID we hold is the chain's and stopping it
 * cannot leave an orphan behind.
 */
export interface AnvilOptions {
  /** 0 or undefined: anvil binds a free port itself and reports it. */
  port?: number;
  /** Chain state is loaded from and dumped to this file, so the chain survives restarts. */
  stateFile?: string;
  host?: string;
  /** Where anvil's own output goes; a temporary file when not given. */
  logFile?: string;
  /** Funded dev accounts derived from ANVIL_MNEMONIC (anvil's default is 10). */
  accounts?: number;
  startTimeoutMs?: number;
}

export interface AnvilProcess {
  rpcUrl: string;
  port: number;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

/** Anvil's dev accounts derive from this mnemonic (passed explicitly so they never change under us). */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STOP_GRACE_MS = 10_000;

/** The platform binary the npm package ships; its bin.mjs wrapper would add a second process. */
function anvilBinary(): string {
  const require = createRequire(join(repoRoot, 'package.json'));
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const binary = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  try {
    return require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/${binary}`);
  } catch {
    return join(repoRoot, 'node_modules', '.bin', binary);
  }
}

function lastLines(file: string, count = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log)';
  }
}

async function answersChainId(rpcUrl: string): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    return res.ok && typeof ((await res.json()) as { result?: unknown }).result === 'string';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** anvil writes its state file this often; a block mined since the last write dies with a SIGKILL. */
const STATE_INTERVAL_SECONDS = 1;
/**
 * CHAIN_FINALITY_MS for a chain started with a state file: a block is in the file at most one
 * interval plus the write itself after it was mined, so a write still there after this survives a kill.
 */
export const ANVIL_FINALITY_MS = 2 * STATE_INTERVAL_SECONDS * 1000;

export async function startAnvil(opts: AnvilOptions = {}): Promise<AnvilProcess> {
  const host = opts.host ?? '127.0.0.1';
  const logFile = opts.logFile ?? join(mkdtempSync(join(tmpdir(), 'dvct-anvil-')), 'anvil.log');
  mkdirSync(dirname(logFile), { recursive: true });
  const args = ['--host', host, '--port', String(opts.port ?? 0), '--mnemonic', ANVIL_MNEMONIC, '--accounts', String(opts.accounts ?? 10)];
  if (opts.stateFile) {
    mkdirSync(dirname(opts.stateFile), { recursive: true });
    args.push('--state', opts.stateFile, '--state-interval', String(STATE_INTERVAL_SECONDS));
  }

  const logFd = openSync(logFile, 'w');
  const binary = anvilBinary();
  const child = spawn(binary, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let spawnFailure: Error | undefined;
  child.once('error', (err) => {
    spawnFailure = err;
  });
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const stop = async (): Promise<void> => {
    if (hasExited() || spawnFailure) return;
    child.kill('SIGTERM'); // anvil dumps its state on SIGTERM
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  let port = opts.port || 0;
  for (;;) {
    await sleep(100);
    if (spawnFailure) throw new Error(`Could not start anvil (${binary}): ${spawnFailure.message}`);
    if (hasExited()) {
      throw new Error(
        `anvil exited (${child.exitCode ?? child.signalCode}) before answering. Last lines of ${logFile}:\n${lastLines(logFile)}`,
      );
    }
    if (!port) {
      const match = /Listening on .*:(\d+)\s*$/m.exec(lastLines(logFile, 50));
      if (match?.[1]) port = Number(match[1]);
    }
    const rpcUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (port && (await answersChainId(rpcUrl))) {
      if (child.pid === undefined) throw new Error('anvil started without a PID');
      return { rpcUrl, port, pid: child.pid, logFile, stop };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`anvil did not answer eth_chainId in time. Last log lines of ${logFile}:\n${lastLines(logFile)}`);
    }
  }
}
