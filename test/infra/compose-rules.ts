import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES, loadConfig } from '../../config/config';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';

/**
 * The rules docker-compose.yml must keep so the production-like stack stays wired to the code.
 * `composeProblems` lists every broken rule, so the test names them all at once.
 */
export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, unknown>;
  ports?: (string | number | { published?: string | number })[];
  volumes?: (string | { source?: string; type?: string })[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The two long-running DVCT services. */
const DVCT_SERVICES = ['worker', 'api'] as const;
/** Settings the worker and the API must agree on: one database, one Temporal, one chain. */
const SHARED_SETTING = /^(DATABASE_URL|DVCT_SQLITE_PATH|TEMPORAL_|CHAIN_RPC_URL|DVCT_DEPLOYMENT_FILE|TOKEN_ADDRESS|LEDGER_ADDRESS|DVCT_INSTANCE_ID|DVCT_DIRECTORY_FILE)/;
const SECRETS = ['CHAIN_SIGNER_KEY', 'DVCT_OPERATOR_KEY', 'POSTGRES_PASSWORD', 'POSTGRES_PWD', 'OPENLINEAGE_API_KEY'];
const PLACEHOLDER = /^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$/;
/** The password in postgres://user:password@host/db. */
const URL_PASSWORD = /^[a-z]+:\/\/[^:/@]*:(.*)@[^@]*$/;

/** Values standing in for the operator's secrets when the file is interpolated as compose would. */
export const SAMPLE_VARIABLES: Record<string, string> = {
  POSTGRES_PASSWORD: 'sample-password',
  CHAIN_SIGNER_KEY: `0x${'11'.repeat(32)}`,
  DVCT_OPERATOR_KEY: 'sample-operator-key-of-enough-length',
};

/** Compose's `${VAR}`, `${VAR:-default}`, `${VAR:?error}` and `$$` substitution. */
export function interpolate(value: string, variables: Record<string, string>): string {
  return value
    .replace(/\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string | undefined) => {
      const set = variables[name];
      if (set !== undefined && set !== '') return set;
      if (op?.endsWith('-')) return arg ?? '';
      if (op?.endsWith('?')) throw new Error(`required variable ${name} is not set: ${arg}`);
      return '';
    })
    .replaceAll('$$', '$');
}

export function environmentOf(service: ComposeService | undefined): Record<string, string> {
  const env = service?.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => [entry.split('=')[0] ?? entry, entry.slice(entry.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function commandOf(service: ComposeService | undefined): string {
  const command = service?.command ?? '';
  return Array.isArray(command) ? command.join(' ') : command;
}

function dependenciesOf(service: ComposeService): string[] {
  const deps = service.depends_on ?? [];
  return Array.isArray(deps) ? deps : Object.keys(deps);
}

function publishedPorts(service: ComposeService): number[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'object') return Number(p.published);
    const parts = String(p).split(':');
    return Number(parts.length >= 2 ? parts[parts.length - 2] : parts[0]);
  });
}

function hostAndPort(value: string): { host: string; port: string } {
  const url = new URL(value.includes('://') ? value : `tcp://${value}`);
  return { host: url.hostname, port: url.port };
}

/** `--name A --name B --type T` groups of the command that registers search attributes. */
function registeredSearchAttributes(command: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const create of command.split('search-attribute create').slice(1)) {
    const type = /--type\s+(\w+)/.exec(create)?.[1] ?? '';
    for (const [, name] of create.matchAll(/--name\s+(\w+)/g)) if (name) found[name] = type;
  }
  return found;
}

export function composeProblems(file: ComposeFile, opts: { repoRoot: string; variables?: Record<string, string> }): string[] {
  const problems: string[] = [];
  const variables = opts.variables ?? SAMPLE_VARIABLES;
  const services = file.services ?? {};
  const serviceNames = new Set(Object.keys(services));
  const withImage = (prefix: string) => Object.keys(services).filter((n) => services[n]?.image?.startsWith(prefix));

  for (const name of DVCT_SERVICES) {
    if (!services[name]) problems.push(`service "${name}" is missing`);
    else if (services[name].build === undefined) problems.push(`${name}: is not built from the Dockerfile`);
  }
  // Every service built from the Dockerfile runs DVCT code, so reads only DVCT's variables.
  const env: Record<string, Record<string, string>> = {};
  for (const [name, service] of Object.entries(services)) {
    if (service.build === undefined) continue;
    const raw = environmentOf(service);
    for (const key of Object.keys(raw)) {
      if (!(CONFIG_VARIABLES as string[]).includes(key)) problems.push(`${name}: ${key} is not a variable config/config.ts reads`);
    }
    try {
      env[name] = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(v, variables)]));
      loadConfig(env[name]);
    } catch (err) {
      problems.push(`${name}: its environment is not a valid configuration: ${(err as Error).message}`);
    }
    const entry = commandOf(service).split(' ').find((part) => part.endsWith('.ts'));
    if (!entry || !existsSync(join(opts.repoRoot, entry))) problems.push(`${name}: command runs no existing .ts entry (${commandOf(service)})`);
  }
  if (Object.keys(env).length > 0 && !existsSync(join(opts.repoRoot, 'Dockerfile'))) problems.push('Dockerfile is missing');

  const worker = env.worker ?? {};
  const api = env.api ?? {};
  for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'CHAIN_RPC_URL']) {
    for (const name of DVCT_SERVICES) if (!env[name]?.[key]) problems.push(`${name}: ${key} is not set`);
  }
  for (const key of new Set([...Object.keys(worker), ...Object.keys(api)])) {
    if (SHARED_SETTING.test(key) && worker[key] !== api[key]) {
      problems.push(`worker and api disagree on ${key}: ${worker[key] ?? '(unset)'} vs ${api[key] ?? '(unset)'}`);
    }
  }

  if (worker.DATABASE_URL) {
    const url = new URL(worker.DATABASE_URL);
    const db = services[url.hostname];
    if (!withImage('postgres').includes(url.hostname)) {
      problems.push(`DATABASE_URL points at "${url.hostname}", not at a PostgreSQL service (${withImage('postgres').join(', ') || 'none'})`);
    } else if (db) {
      const dbEnv = environmentOf(db);
      if ((url.port || '5432') !== '5432') problems.push(`DATABASE_URL uses port ${url.port}; PostgreSQL listens on 5432`);
      if (url.pathname.slice(1) !== (dbEnv.POSTGRES_DB ?? dbEnv.POSTGRES_USER)) problems.push(`DATABASE_URL names database ${url.pathname.slice(1)}, the service creates ${dbEnv.POSTGRES_DB}`);
      if (decodeURIComponent(url.username) !== dbEnv.POSTGRES_USER) problems.push(`DATABASE_URL user ${url.username} is not POSTGRES_USER ${dbEnv.POSTGRES_USER}`);
    }
  }

  if (worker.TEMPORAL_ADDRESS) {
    const { host, port } = hostAndPort(worker.TEMPORAL_ADDRESS);
    const temporal = withImage('temporalio/auto-setup').concat(withImage('temporalio/server'));
    if (!temporal.includes(host)) problems.push(`TEMPORAL_ADDRESS points at "${host}", not at a Temporal server service (${temporal.join(', ') || 'none'})`);
    if (port !== '7233') problems.push(`TEMPORAL_ADDRESS uses port ${port}; the Temporal frontend listens on 7233`);
  }

  if (worker.TEMPORAL_UI_URL) {
    const { port } = hostAndPort(worker.TEMPORAL_UI_URL);
    const ui = withImage('temporalio/ui');
    if (!ui.some((n) => publishedPorts(services[n]!).includes(Number(port)))) problems.push(`TEMPORAL_UI_URL port ${port} is not published by the Temporal UI service`);
  }

  if (worker.CHAIN_RPC_URL) {
    const { host, port } = hostAndPort(worker.CHAIN_RPC_URL);
    if (!serviceNames.has(host)) problems.push(`CHAIN_RPC_URL points at "${host}", which is not a service`);
    else if (!commandOf(services[host]).includes(`--port ${port}`)) problems.push(`CHAIN_RPC_URL port ${port} is not the port service "${host}" listens on`);
  }

  const setup = Object.keys(services).find((n) => commandOf(services[n]).includes('search-attribute create'));
  if (!setup) {
    problems.push('no service registers the search attributes');
  } else {
    const command = commandOf(services[setup]);
    const registered = registeredSearchAttributes(command);
    const expected = Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES));
    if (JSON.stringify(Object.entries(registered).sort()) !== JSON.stringify(Object.entries(expected).sort())) {
      problems.push(`${setup} registers ${JSON.stringify(registered)}, SEARCH_ATTRIBUTES says ${JSON.stringify(expected)}`);
    }
    if (worker.TEMPORAL_NAMESPACE && !command.includes(`--namespace ${worker.TEMPORAL_NAMESPACE}`)) {
      problems.push(`${setup} registers the search attributes outside namespace ${worker.TEMPORAL_NAMESPACE}`);
    }
  }

  // Secrets come from the operator's environment, never from this file.
  for (const [name, service] of Object.entries(services)) {
    const raw = environmentOf(service);
    for (const secret of SECRETS) {
      if (raw[secret] !== undefined && !PLACEHOLDER.test(raw[secret])) problems.push(`${name}: ${secret} must be a \${…} placeholder, not a literal`);
    }
    const password = URL_PASSWORD.exec(raw.DATABASE_URL ?? '')?.[1];
    if (password !== undefined && !PLACEHOLDER.test(password)) problems.push(`${name}: the DATABASE_URL password must be a \${…} placeholder`);
  }

  const declaredVolumes = new Set(Object.keys(file.volumes ?? {}));
  for (const [name, service] of Object.entries(services)) {
    for (const dep of dependenciesOf(service)) if (!serviceNames.has(dep)) problems.push(`${name} depends on "${dep}", which is not a service`);
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0] : volume.type === 'volume' ? volume.source : undefined;
      if (source && !/^[./~]/.test(source) && !declaredVolumes.has(source)) problems.push(`${name} mounts volume "${source}", which is not declared`);
    }
  }
  return problems;
}
