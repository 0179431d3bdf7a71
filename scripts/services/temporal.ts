import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { hasExited, OutputTail, stopChild } from './child-process';
import { findFreePort } from './ports';

/**
 * Runs `temporal server start-dev` (server + Web UI in one process) for the embedded default and
 * the tests, with DVCT's search attributes registered, and stops it by its own PID.
 */
export interface TemporalDevServerOptions {
  /** Absolute path of the Temporal CLI (see ensureTemporalCli). */
  cliPath: string;
  /** Frontend gRPC port; a free one when not given. */
  port?: number;
  /** Web UI port; a free one when not given. */
  uiPort?: number;
  /** SQLite file that keeps runs across restarts; in-memory when not given. */
  dbFile?: string;
  namespace?: string;
  /** More namespaces to create with DVCT's search attributes: one per instance when several share the server. */
  extraNamespaces?: string[];
  /** Appends the server's own output here; otherwise only its last lines are kept, for errors. */
  logFile?: string;
  /**
   * Own process group: a Ctrl-C in the terminal then reaches only the parent, which stops the
   * server in its own order (after the worker that talks to it).
   */
  detached?: boolean;
  startTimeoutMs?: number;
}

export interface TemporalDevServer {
  /** host:port of the frontend, the form TEMPORAL_ADDRESS takes. */
  address: string;
  uiUrl: string;
  namespace: string;
  pid: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Probed before spawning: a second server on a taken port would let the first one answer for it. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: HOST, port }, () => probe.close(() => resolve(true)));
  });
}

/**
 * Tries once to reach the frontend and our namespace; undefined while it is not serving yet.
 * Lazy, then closed on failure: a failed `Connection.connect` would leave its gRPC channel open
 * and keep the calling process alive.
 */
async function connectIfServing(address: string, namespace: string): Promise<Connection | undefined> {
  const connection = Connection.lazy({ address, connectTimeout: 1_000 });
  try {
    await connection.ensureConnected();
    await connection.workflowService.describeNamespace({ namespace });
    return connection;
  } catch {
    await connection.close();
    return undefined;
  }
}

/**
 * start-dev registers `--search-attribute` flags only when it creates a namespace, so a database
 * file from an older version of the attribute list silently lacks the newer ones: add them here.
 * The CLI's `create` takes the same type words as SEARCH_ATTRIBUTES and succeeds when the attribute
 * already exists with that type.
 */
async function registerMissingSearchAttributes(
  connection: Connection,
  cliPath: string,
  address: string,
  namespace: string,
): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const registered = new Set(Object.keys(customAttributes ?? {}));
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    if (registered.has(name)) continue;
    const args = ['operator', 'search-attribute', 'create', '--address', address, '--namespace', namespace];
    await promisify(execFile)(cliPath, [...args, '--name', name, '--type', type], { timeout: 30_000 });
  }
}

export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const port = opts.port ?? (await findFreePort(HOST));
  const uiPort = opts.uiPort ?? (await findFreePort(HOST));
  const namespace = opts.namespace ?? 'default';
  const address = `${HOST}:${port}`;
  for (const taken of [port, uiPort]) {
    if (!(await portIsFree(taken))) {
      throw new Error(
        `Port ${taken} on ${HOST} is in use, so the Temporal dev server cannot start there. ` +
          'Stop whatever holds it (an earlier `npm start` still running?), or point TEMPORAL_ADDRESS at that server.',
      );
    }
  }

  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(port), '--ui-port', String(uiPort)];
  const namespaces = [namespace, ...(opts.extraNamespaces ?? []).filter((n) => n !== namespace)];
  for (const n of namespaces) args.push('--namespace', n);
  args.push('--log-level', 'warn');
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    // Write-ahead logging: a commit is one append and one fsync instead of the rollback journal's
    // several; as durable (synchronous stays FULL).
    args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=WAL');
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);

  let log: ReturnType<typeof createWriteStream> | undefined;
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    log = createWriteStream(opts.logFile, { flags: 'a' });
  }
  const tail = new OutputTail();
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
  const spawnError = once(child, 'error').then(([err]) => err as Error);
  // Drained for the server's whole life: a full pipe would block it.
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      log?.write(chunk);
    });
  }

  const stop = async (): Promise<void> => {
    await stopChild(child);
    await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
  };
  const fail = async (why: string): Promise<never> => {
    await stop();
    throw new Error(
      `The Temporal dev server (${opts.cliPath} ${args.slice(0, 2).join(' ')}, port ${port}, UI ${uiPort}) ${why}. ` +
        `Check that the ports are free${opts.dbFile ? ` and ${opts.dbFile} is writable` : ''}. Last output:\n${tail.text()}`,
    );
  };

  const pid = child.pid;
  if (pid === undefined) return fail(`could not be started: ${(await spawnError).message}`);

  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (hasExited(child)) return fail(`exited (${child.exitCode ?? child.signalCode}) before serving`);
    const connection = await connectIfServing(address, namespace);
    if (connection) {
      const registration = await Promise.all(namespaces.map((n) => registerMissingSearchAttributes(connection, opts.cliPath, address, n))).then(
        () => undefined,
        (err: Error) => err,
      );
      await connection.close();
      if (registration) return fail(`could not register the search attributes: ${registration.message}`);
      return { address, uiUrl: `http://${HOST}:${uiPort}`, namespace, pid, stop };
    }
    if (Date.now() > deadline) {
      return fail(`did not serve namespace "${namespace}" within ${opts.startTimeoutMs ?? 60_000} ms`);
    }
    await sleep(250);
  }
}
