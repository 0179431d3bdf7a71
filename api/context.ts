import { OpenAPIHono } from '@hono/zod-openapi';
import type { Config } from '../config/config';
import type { Directory } from '../domain/directory';
import type { Store } from '../db/store';
import type { Logger } from '../lib/logger';
import type { PeerClient } from '../lib/peer-client';
import type { Principal } from './auth';
import type { ChainReader, ComponentHealth } from './chain-reader';
import { validationHook } from './errors';
import type { WorkflowGateway } from './workflow-gateway';

/** Everything the HTTP API talks to, passed in so tests can build an app around a real store. */
export interface ApiDeps {
  config: Config;
  store: Store;
  workflows: WorkflowGateway;
  chain: ChainReader;
  log: Logger;
  /** The database check of /health; by default a read of a real table through the store. */
  dbHealth?: () => Promise<ComponentHealth>;
  /** The dataspace's directory; by default DVCT_DIRECTORY_FILE's (or this instance alone). */
  directory?: Directory;
  /**
   * Signs this instance's requests to its peers (lineage beyond this instance, verification
   * claims) with the instance's signer; absent: peers are marked unreachable, never asked unsigned.
   */
  peers?: PeerClient;
}

/** The dependencies as the routes get them: the directory always resolved. */
export type FederatedApiDeps = ApiDeps & { directory: Directory };

/** Per-request values the middleware sets for the handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set by the auth middleware on every /v1 route but /v1/peer/* (signed by an instance instead). */
    principal: Principal;
    /** The peer instance that signed a /v1/peer/* request. */
    peer?: string;
    /** The key that authenticated the request, for the access log; never the key itself. */
    keyId: string;
    /** What a state-changing route did, for the audit trail to record after it answered (api/audit-trail.ts). */
    audit?: AuditedAction;
    /** Set once the route recorded its change with its audit entry, in one transaction. */
    audited?: boolean;
  };
}

/** One action as the audit trail records it. */
export interface AuditedAction {
  /** What was done, e.g. `participant.register`, `key.rotate`, `exchange.report`. */
  action: string;
  /** What it was done to, e.g. `participant:org-p1`, `exchange:ex-…`. */
  object: string;
  before?: unknown;
  after?: unknown;
  workflowId?: string | null;
}

export type ApiRouter = OpenAPIHono<AppEnv>;

/** Every router validates with the same hook, so every route answers bad input the same way. */
export function createRouter(): ApiRouter {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
