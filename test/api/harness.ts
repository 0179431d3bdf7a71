import type { LedgerEvent } from '../../chain/events';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createApp } from '../../api/app';
import type { ChainReader, ComponentHealth } from '../../api/chain-reader';
import type { RaiseIncidentArgs, StartedRun, WorkflowGateway } from '../../api/workflow-gateway';
import { loadConfig, type Config } from '../../config/config';
import type { DvctError } from '../../domain/errors';
import type { Decided } from '../../domain/incidents';
import { peerPrevRootWorkflowId, type PeerPrevRootUpdate } from '../../domain/peer-update';
import type {
  PrevRootInput,
  ExchangeProgress,
  ExchangeWorkflowInput,
  OnboardingWorkflowInput,
  ReviewInput,
  RevocationWorkflowInput,
  SettlementWorkflowInput,
} from '../../workflows/definitions';
import { exchangeWorkflowId, incidentWorkflowId, revocationWorkflowId, settlementWorkflowId } from '../../lib/ids';
import { exchange } from '../db/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * An API on a real, fresh database, with Temporal and the chain replaced by recording fakes:
 * these tests are about HTTP behaviour (Temporal and the chain are tested end to end elsewhere).
 */

export type StartCall =
  | { kind: 'exchange'; input: ExchangeWorkflowInput; meta: { contractId: string; participants: string[] } }
  | { kind: 'settlement'; input: SettlementWorkflowInput; meta: { participants: string[] } }
  | { kind: 'onboarding'; input: OnboardingWorkflowInput }
  | { kind: 'revocation'; input: RevocationWorkflowInput; meta: { contractId: string } }
  | { kind: 'peer-prevroot'; input: PrevRootInput & { peer: PeerPrevRootUpdate } };

/**
 * Records every start; one run id per workflow id, as Temporal's USE_EXISTING policy gives. An
 * incident is signalled to its exchange's run unless a test put that run in `closedRuns`; a review
 * is answered as the run would take it, or refused with `reviewRefusal`.
 */
export class RecordingGateway implements WorkflowGateway {
  readonly starts: (StartCall & { workflowId: string })[] = [];
  readonly progressById = new Map<string, ExchangeProgress>();
  readonly raises: (RaiseIncidentArgs & { mode: 'signalled' | 'standalone' })[] = [];
  readonly closedRuns = new Set<string>();
  readonly reviews: { incidentId: string; input: ReviewInput }[] = [];
  reviewRefusal: DvctError | null = null;
  failStarts = false;
  healthy: ComponentHealth = { ok: true, detail: 'fake temporal' };
  private readonly runIds = new Map<string, string>();

  private started(workflowId: string, call: StartCall): Promise<StartedRun> {
    if (this.failStarts) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:7233'));
    this.starts.push({ ...call, workflowId });
    return Promise.resolve(this.runOf(workflowId));
  }

  private runOf(workflowId: string): StartedRun {
    let runId = this.runIds.get(workflowId);
    if (!runId) {
      runId = `run-${this.runIds.size + 1}`;
      this.runIds.set(workflowId, runId);
    }
    return { workflowId, runId, uiUrl: this.runUrl(workflowId, runId) };
  }

  startExchange(input: ExchangeWorkflowInput, meta: { contractId: string; participants: string[] }): Promise<StartedRun> {
    return this.started(exchangeWorkflowId(input.exchangeId), { kind: 'exchange', input, meta });
  }
  startSettlement(input: SettlementWorkflowInput, meta: { participants: string[] }): Promise<StartedRun> {
    return this.started(settlementWorkflowId(input.settlementId), { kind: 'settlement', input, meta });
  }
  startOnboarding(input: OnboardingWorkflowInput): Promise<StartedRun> {
    return this.started(`participant-${input.participantId}`, { kind: 'onboarding', input });
  }
  startPeerPrevRoot(input: PrevRootInput & { peer: PeerPrevRootUpdate }): Promise<StartedRun> {
    return this.started(peerPrevRootWorkflowId(input.peer.requestId), { kind: 'peer-prevroot', input });
  }
  startRevocation(input: RevocationWorkflowInput, meta: { contractId: string }): Promise<StartedRun> {
    return this.started(revocationWorkflowId(input.revocationId), { kind: 'revocation', input, meta });
  }
  raiseIncident(args: RaiseIncidentArgs): Promise<StartedRun> {
    if (this.failStarts) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:7233'));
    const standalone = this.closedRuns.has(args.exchangeWorkflowId);
    this.raises.push({ ...args, mode: standalone ? 'standalone' : 'signalled' });
    const workflowId = incidentWorkflowId(args.incidentId);
    return Promise.resolve(standalone ? this.runOf(workflowId) : { workflowId, runId: null, uiUrl: this.runUrl(workflowId) });
  }
  async submitReview(incidentId: string, input: ReviewInput): Promise<Decided> {
    this.reviews.push({ incidentId, input });
    if (this.reviewRefusal) throw this.reviewRefusal;
    const { reviewerId, ...decision } = input;
    return { ...decision, decidedBy: reviewerId ?? 'operator', decidedAt: '2026-11-21T12:00:00.000Z' };
  }
  async progress(workflowId: string): Promise<ExchangeProgress | null> {
    return this.progressById.get(workflowId) ?? null;
  }
  runUrl(workflowId: string, runId?: string | null): string {
    return `http://temporal.test/workflows/${workflowId}${runId ? `/${runId}` : ''}`;
  }
  async health(): Promise<ComponentHealth> {
    return this.healthy;
  }
  async close(): Promise<void> {}
}

export class FakeChain implements ChainReader {
  readonly balances = new Map<string, bigint>();
  anchor = { seq: 0, head: '0'.repeat(64) };
  healthy: ComponentHealth = { ok: true, detail: 'fake chain' };
  failure: Error | null = null;

  async walletBalance(address: string): Promise<bigint> {
    if (this.failure) throw this.failure;
    return this.balances.get(address) ?? 0n;
  }
  async auditAnchor(): Promise<{ seq: number; head: string }> {
    if (this.failure) throw this.failure;
    return this.anchor;
  }
  /** The events a test puts on the fake ledger, per chain subject id. */
  readonly events = new Map<string, LedgerEvent[]>();
  async exchangeEvents(exchangeId: string): Promise<LedgerEvent[]> {
    if (this.failure) throw this.failure;
    return this.events.get(exchangeId) ?? [];
  }
  async health(): Promise<ComponentHealth> {
    return this.healthy;
  }
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // Tests read arbitrary JSON answers.
  body: any;
}

export interface Harness {
  app: ReturnType<typeof createApp>;
  config: Config;
  db: TestDatabase;
  gateway: RecordingGateway;
  chain: FakeChain;
  operatorKey: string;
  /** Every line the API logged, as raw JSON text. */
  logLines: string[];
  request(method: string, path: string, opts?: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<Reply>;
  /** Registers a participant through the API and returns its one-time key. */
  register(id: string, roles: string[], extra?: Record<string, unknown>): Promise<{ id: string; apiKey: string; wallet: string }>;
  close(): Promise<void>;
}

export async function createHarness(): Promise<Harness> {
  const db = await createTestDatabase();
  const operatorKey = `op-${randomBytes(24).toString('hex')}`;
  const config: Config = {
    // No rate limit: these tests fire requests as fast as they can (test/api/rate-limit.test.ts sets its own).
    ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', DVCT_OPERATOR_KEY: operatorKey, DVCT_PUBLIC_URL: 'http://dvct.test', RATE_LIMIT_PER_MINUTE: '0' }),
    database: db.config,
  };
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const gateway = new RecordingGateway();
  const chain = new FakeChain();
  const app = createApp({ config, store: db.store, workflows: gateway, chain, log });

  const request: Harness['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    const isJson = /json/.test(res.headers.get('content-type') ?? '');
    return { status: res.status, headers: res.headers, text, body: isJson && text ? JSON.parse(text) : null };
  };

  let wallets = 0;
  const register: Harness['register'] = async (id, roles, extra = {}) => {
    const wallet = `0x${(++wallets).toString(16).padStart(40, '0')}`;
    const res = await request('POST', '/v1/participants', {
      key: operatorKey,
      body: { id, name: `Organisation ${id}`, roles, walletAddress: wallet, ...extra },
    });
    if (res.status !== 201) throw new Error(`registering ${id}: ${res.status} ${res.text}`);
    return { id, apiKey: res.body.apiKey as string, wallet };
  };

  return { app, config, db, gateway, chain, operatorKey, logLines, request, register, close: () => db.close() };
}

/** The problem+json shape every 4xx/5xx must have. */
export function expectProblemShape(reply: Reply, status: number, code: string): void {
  const errors: string[] = [];
  if (reply.status !== status) errors.push(`status ${reply.status}, expected ${status}: ${reply.text}`);
  if (reply.headers.get('content-type') !== 'application/problem+json') errors.push(`content-type ${reply.headers.get('content-type')}`);
  const b = reply.body ?? {};
  const kebab = code.toLowerCase().replaceAll('_', '-');
  if (b.type !== `urn:dvct:error:${kebab}`) errors.push(`type ${b.type}`);
  if (b.code !== code) errors.push(`code ${b.code}, expected ${code}`);
  if (b.status !== status) errors.push(`body status ${b.status}`);
  if (typeof b.title !== 'string' || !b.title) errors.push('no title');
  if (typeof b.detail !== 'string' || !b.detail) errors.push('no detail');
  if (typeof b.requestId !== 'string' || b.requestId !== reply.headers.get('x-request-id')) errors.push(`requestId ${b.requestId} vs header ${reply.headers.get('x-request-id')}`);
  const allowed = new Set(['type', 'title', 'status', 'detail', 'code', 'errors', 'requestId']);
  for (const key of Object.keys(b)) if (!allowed.has(key)) errors.push(`unexpected member ${key}`);
  if (errors.length) throw new Error(`not the problem+json shape: ${errors.join('; ')}`);
}

/** A report in the design document's "Input data" shape. */
export function seedReport(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dvctId: 'connector-c1',
    usecaseContractId: 'uc-1',
    usecaseContractTitle: 'Skills matching',
    contractId: 'dc-1',
    dataId: 'data-1',
    dataProviderId: 'org-p1',
    dataConsumerId: 'org-c1',
    dataConsumerIsAIProvider: false,
    prevDataId: 'data-0',
    incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    ...overrides,
  };
}

/** A valid use-case contract as the API takes it: orchestrator org-orch, provider org-p1, consumer (and AI provider) org-c1. */
export function sampleContract(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'uc-1',
    title: 'Skills matching',
    orchestratorId: 'org-orch',
    parties: [
      { participantId: 'org-orch', roles: ['orchestrator'] },
      { participantId: 'org-p1', roles: ['data-provider'] },
      { participantId: 'org-c1', roles: ['data-consumer', 'ai-provider'] },
    ],
    validFrom: '2025-01-01T00:00:00Z',
    validUntil: null,
    incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false },
    upstream: { share: 0.2, depth: 3 },
    rewardPool: { numPoints: 100, weights: [{ participantId: 'org-p1', weight: 1 }, { participantId: 'org-c1', weight: 2 }] },
    verificationWindowSeconds: 60,
    ...overrides,
  };
}

export type Member = Awaited<ReturnType<Harness['register']>>;

export interface SampleParties {
  orchestrator: Member;
  provider: Member;
  /** The consumer, also the AI provider. */
  consumer: Member;
  /** A data consumer with no part in sampleContract. */
  stranger: Member;
  /** A participant with the reviewer role only. */
  reviewer: Member;
}

/** Registers sampleContract's parties (org-orch, org-p1, org-c1), a stranger org-x and a reviewer org-rev, then the contract uc-1. */
export async function registerSampleContract(h: Harness): Promise<SampleParties> {
  const parties: SampleParties = {
    orchestrator: await h.register('org-orch', ['orchestrator']),
    provider: await h.register('org-p1', ['data-provider']),
    consumer: await h.register('org-c1', ['data-consumer', 'ai-provider']),
    stranger: await h.register('org-x', ['data-consumer']),
    reviewer: await h.register('org-rev', ['reviewer']),
  };
  const registered = await h.request('POST', '/v1/contracts', { key: h.operatorKey, body: sampleContract() });
  if (registered.status !== 201) throw new Error(`registering uc-1: ${registered.status} ${registered.text}`);
  return parties;
}

export const FIVE_POINTS = '5000000000000000000';

/**
 * An exchange of sampleContract's uc-1 (consumer org-c1, provider org-p1) as the worker records it
 * once it has allocated: lines org-c1 → org-p1, org-orch → org-c1 and org-orch → org-p1, 5 points
 * each, held until a minute from now.
 */
export async function allocatedExchange(h: Harness, id: string): Promise<string> {
  await h.db.store.insertExchangeIfAbsent({
    ...exchange(id, { usecaseContractId: 'uc-1', consumerId: 'org-c1', providerId: 'org-p1' }),
    status: 'running',
    stage: 'verification-window',
  });
  await h.db.store.recordDistribution({
    exchangeId: id,
    parts: [],
    lines: [
      { payerId: 'org-c1', recipientId: 'org-p1', amount: FIVE_POINTS },
      { payerId: 'org-orch', recipientId: 'org-c1', amount: FIVE_POINTS },
      { payerId: 'org-orch', recipientId: 'org-p1', amount: FIVE_POINTS },
    ],
    allocationTxHash: `0x${'a'.repeat(64)}`,
    releaseAt: new Date(Date.now() + 60_000),
  });
  return id;
}
