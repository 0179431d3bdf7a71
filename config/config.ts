import { z } from 'zod';

/**
 * The one configuration loader. Every process (API, worker, scripts) reads its settings here,
 * validated once at start-up, so a wrong value stops the process with a message naming the
 * variable instead of failing later in a request.
 */
const port = z.coerce.number().int().min(0).max(65_535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Allocations and releases arriving this close together share one transaction (a fraction of any chain's block time). */
export const DEFAULT_CHAIN_BATCH_WINDOW_MS = 200;

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  /** Base URL other members use to reach this instance; `@nodeUrl` links are built from it. */
  DVCT_PUBLIC_URL: optionalString.pipe(z.url().optional()),
  /** This instance's id (the seed's dvctId of the nodes it owns). */
  DVCT_INSTANCE_ID: z.string().min(1).default('dvct-local'),
  /** The dataspace's directory (JSON: instances, their URLs, signers and participants); unset: this instance alone. */
  DVCT_DIRECTORY_FILE: optionalString,
  /** Longest wait between two attempts to hand a prevRoot update to a peer instance that does not answer. */
  PEER_RETRY_MAX_INTERVAL_SECONDS: z.coerce.number().int().positive().max(3_600).default(30),
  /** Folder for the embedded default's state: SQLite file, chain state, deployment, keys. */
  DVCT_DATA_DIR: z.string().default('.dvct'),
  DVCT_OPERATOR_KEY: optionalString.pipe(z.string().min(24, 'DVCT_OPERATOR_KEY must be at least 24 characters').optional()),

  /** postgres://… selects PostgreSQL; unset means the embedded SQLite file. */
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL')
      .optional(),
  ),
  DVCT_SQLITE_PATH: optionalString,

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('dvct'),
  TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),

  CHAIN_RPC_URL: z.url().default('http://127.0.0.1:8545'),
  /** Hex private key of the operator signer; or CHAIN_SIGNER_KEY_FILE. Never logged. */
  CHAIN_SIGNER_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, 'CHAIN_SIGNER_KEY must be a 0x-prefixed 32-byte hex key')
      .optional(),
  ),
  CHAIN_SIGNER_KEY_FILE: optionalString,
  /** JSON file with the deployed contract addresses (written by the deploy step). */
  DVCT_DEPLOYMENT_FILE: optionalString,
  /** How often to poll for receipts; a chain that mines at once (anvil) wants far less than a public one. */
  CHAIN_POLLING_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  /**
   * How long after its receipt a write is checked again before it counts as done: a node that
   * loses its last blocks (a crash, a reorg) loses the write, and the step redoes it. 0 trusts receipts.
   */
  CHAIN_FINALITY_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  /**
   * How long an allocation (or a release) waits for those of other exchanges, to share one
   * transaction with them. 0 sends each alone.
   */
  CHAIN_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_CHAIN_BATCH_WINDOW_MS),
  TOKEN_ADDRESS: optionalString.pipe(z.string().regex(/^0x[0-9a-fA-F]{40}$/).optional()),
  LEDGER_ADDRESS: optionalString.pipe(z.string().regex(/^0x[0-9a-fA-F]{40}$/).optional()),

  /** Optional data-quality service; POSTed {dataId, dataProviderId, usecaseContractId}, answers {factor}. */
  DVCT_QUALITY_CHECK_URL: optionalString.pipe(z.url().optional()),
  /** Upper bound for any outgoing HTTP call (webhooks, quality check, peers). */
  OUTGOING_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  /** How many ancestor levels a prevRoot update travels at most. */
  PREVROOT_MAX_DEPTH: z.coerce.number().int().positive().max(1_000).default(64),
  /** How often the reconciliation Schedule compares database and chain; 0 leaves the Schedule paused. */
  RECONCILIATION_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(300),
  /** How far back (by allocation time) the reconciliation looks. */
  RECONCILIATION_LOOKBACK_SECONDS: z.coerce.number().int().positive().default(7 * 86_400),
  /** Requests a minute each API key may send (refilled continuously); 0 switches the limit off. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  /** How many requests a key may send at once before the per-minute rate applies. */
  RATE_LIMIT_BURST: z.coerce.number().int().positive().default(60),
  /** How often the worker writes the audit trail's head on chain; 0 leaves the Schedule paused. */
  AUDIT_ANCHOR_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(3_600),

  /** An OpenLineage HTTP endpoint (Marquez: http://host:5000/api/v1/lineage) to push each exchange's RunEvent to; unset: no push. */
  OPENLINEAGE_URL: optionalString.pipe(z.url().optional()),
  /** Sent as `Authorization: Bearer …` to OPENLINEAGE_URL when the receiver asks for a key. Never logged. */
  OPENLINEAGE_API_KEY: optionalString,
});

export type Env = z.infer<typeof schema>;

/** Every environment variable DVCT reads; docker-compose.yml is checked against this list. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof Env)[];

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  instanceId: string;
  dataDir: string;
  /** Several instances: where the directory is, and how patiently peers are retried. */
  federation: { directoryFile: string | undefined; retryMaxIntervalSeconds: number };
  api: { host: string; port: number; publicUrl: string; operatorKey: string | undefined };
  database: { kind: 'sqlite'; path: string } | { kind: 'postgresql'; url: string };
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  chain: {
    rpcUrl: string;
    pollingIntervalMs: number;
    finalityMs: number;
    batchWindowMs: number;
    signerKey: string | undefined;
    signerKeyFile: string;
    deploymentFile: string;
    tokenAddress: string | undefined;
    ledgerAddress: string | undefined;
  };
  qualityCheckUrl: string | undefined;
  outgoingTimeoutMs: number;
  prevRootMaxDepth: number;
  reconciliation: { intervalSeconds: number; lookbackSeconds: number };
  rateLimit: { perMinute: number; burst: number };
  audit: { anchorIntervalSeconds: number };
  openLineage: { url: string | undefined; apiKey: string | undefined };
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment. Throws ConfigError naming every bad variable at once. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = e.DVCT_DATA_DIR;
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    instanceId: e.DVCT_INSTANCE_ID,
    dataDir,
    federation: { directoryFile: e.DVCT_DIRECTORY_FILE, retryMaxIntervalSeconds: e.PEER_RETRY_MAX_INTERVAL_SECONDS },
    api: {
      host: e.HOST,
      port: e.PORT,
      publicUrl: (e.DVCT_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
      operatorKey: e.DVCT_OPERATOR_KEY,
    },
    database: e.DATABASE_URL
      ? { kind: 'postgresql', url: e.DATABASE_URL }
      : { kind: 'sqlite', path: e.DVCT_SQLITE_PATH ?? `${dataDir}/dvct.sqlite` },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL.replace(/\/+$/, ''),
    },
    chain: {
      rpcUrl: e.CHAIN_RPC_URL,
      pollingIntervalMs: e.CHAIN_POLLING_INTERVAL_MS,
      finalityMs: e.CHAIN_FINALITY_MS,
      batchWindowMs: e.CHAIN_BATCH_WINDOW_MS,
      signerKey: e.CHAIN_SIGNER_KEY,
      signerKeyFile: e.CHAIN_SIGNER_KEY_FILE ?? `${dataDir}/signer.key`,
      deploymentFile: e.DVCT_DEPLOYMENT_FILE ?? `${dataDir}/deployment.json`,
      tokenAddress: e.TOKEN_ADDRESS,
      ledgerAddress: e.LEDGER_ADDRESS,
    },
    qualityCheckUrl: e.DVCT_QUALITY_CHECK_URL,
    outgoingTimeoutMs: e.OUTGOING_TIMEOUT_MS,
    prevRootMaxDepth: e.PREVROOT_MAX_DEPTH,
    reconciliation: { intervalSeconds: e.RECONCILIATION_INTERVAL_SECONDS, lookbackSeconds: e.RECONCILIATION_LOOKBACK_SECONDS },
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, burst: e.RATE_LIMIT_BURST },
    audit: { anchorIntervalSeconds: e.AUDIT_ANCHOR_INTERVAL_SECONDS },
    openLineage: { url: e.OPENLINEAGE_URL, apiKey: e.OPENLINEAGE_API_KEY },
  };
}
