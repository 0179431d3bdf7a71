import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../api/auth';
import { authorityRolesOf, defaultGrantTerms, type AuthorityRole, type GrantTerms } from '../../domain/authority';
import { incidentWorkflowId } from '../../lib/ids';
import { exchange } from '../db/fixtures';
import { FIVE_POINTS, createHarness, sampleContract, seedReport, type Harness } from './harness';

/**
 * Every endpoint × every role × an object of the caller's own organisation or another's × a key
 * whose grants are in effect, ended, or not yet begun — against a table written here, not derived
 * from the code under test. The routes come from the OpenAPI document, so a route added without a
 * row here fails the test.
 *
 * Two worlds, A and B, alike: an orchestrator, a consumer (also AI provider), a provider, their
 * contract, an exchange with allocations, an incident awaiting review and two lineage nodes. The
 * callers are the operator and A's orchestrator, A's consumer (the connector), a reviewer and an
 * auditor; "own" objects are world A's (or the caller's organisation), "other" objects world B's.
 */

type Role = 'operator' | 'orchestrator' | 'connector' | 'reviewer' | 'auditor';
type Period = 'in effect' | 'ended' | 'not yet';
/** A allowed; E allowed, an empty list; D 403 with the reason; H 404, as if it did not exist; U 401, no API key opens it (instance-to-instance, signed). */
type Outcome = 'A' | 'E' | 'D' | 'H' | 'U';

const ROLES: Role[] = ['operator', 'orchestrator', 'connector', 'reviewer', 'auditor'];
const PERIODS: Period[] = ['in effect', 'ended', 'not yet'];
const HOUR = 3_600_000;

/** The callers' organisations, and the organisation each one's "other" objects belong to. */
const MINE: Record<Exclude<Role, 'operator'>, { id: string; roles: string[] }> = {
  orchestrator: { id: 'org-orch-a', roles: ['orchestrator'] },
  connector: { id: 'org-c-a', roles: ['data-consumer', 'ai-provider'] },
  reviewer: { id: 'org-rev-a', roles: ['reviewer'] },
  auditor: { id: 'org-aud-a', roles: ['auditor'] },
};
const OTHER_ORG: Record<Role, string> = { operator: 'org-c-b', orchestrator: 'org-orch-b', connector: 'org-c-b', reviewer: 'org-c-b', auditor: 'org-c-b' };
const OWN_ORG: Record<Role, string> = { operator: 'org-c-a', orchestrator: 'org-orch-a', connector: 'org-c-a', reviewer: 'org-rev-a', auditor: 'org-aud-a' };

/** `op orch conn rev aud` outcomes with the grants in effect, for own and for other objects. */
interface Row {
  own: string;
  other: string;
  /** The status of an allowed request. */
  ok: number;
  request(c: Case): Promise<{ method: string; path: string; body?: unknown }>;
}

interface Case {
  route: string;
  role: Role;
  own: boolean;
  period: Period;
  key: string;
  /** The organisation the request is about: the caller's own, or the other world's. */
  org: string;
  world: 'a' | 'b';
  n: number;
}

const MEMBER_ROUTE = { own: 'A A A A A', other: 'A H H H H' };

let h: Harness;
const keys = new Map<string, string>();
let counter = 0;

function terms(roles: readonly AuthorityRole[], period: Period | 'window'): GrantTerms[] {
  const now = Date.now();
  const [from, until] =
    period === 'in effect' ? [now - HOUR, now + HOUR] : period === 'ended' ? [now - 2 * HOUR, now - HOUR] : period === 'not yet' ? [now + HOUR, null] : [now - HOUR / 2, now + HOUR / 2];
  return defaultGrantTerms(roles, new Date(from)).map((t) => ({ ...t, validUntil: until === null ? null : new Date(until) }));
}

async function restrictedKey(participantId: string, grants: GrantTerms[], createdBy = 'operator'): Promise<{ key: string; keyId: string }> {
  const issued = issueApiKey();
  await h.db.store.createApiKey({ keyId: issued.keyId, participantId, secretHash: issued.secretHash, label: 'matrix', restricted: true, createdBy }, grants);
  return { key: issued.key, keyId: issued.keyId };
}

/** A key of `org` with one short grant: what rotate, revoke and grant revocation act on. */
async function targetKey(org: string): Promise<string> {
  const participant = (await h.db.store.getParticipant(org))!;
  const role = authorityRolesOf(participant.roles)[0]!;
  return (await restrictedKey(org, terms([role], 'window').filter((t) => t.permission === 'participants:read'))).keyId;
}

const ROWS: Record<string, Row> = {
  'get /health': { own: 'A A A A A', other: 'A A A A A', ok: 200, request: async () => ({ method: 'GET', path: '/health' }) },
  'post /v1/participants': {
    own: 'A D D D D',
    other: 'A D D D D',
    ok: 201,
    request: async (c) => ({ method: 'POST', path: '/v1/participants', body: { id: `org-new-${c.n}`, name: 'New', roles: ['data-provider'], walletAddress: `0x${'1'.repeat(40)}` } }),
  },
  'get /v1/participants/{id}': { ...MEMBER_ROUTE, ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/participants/${c.org}` }) },
  // Managing organisations is the operator's: another key is refused on its own organisation and sees no other.
  'patch /v1/participants/{id}': {
    own: 'A D D D D',
    other: 'A H H H H',
    ok: 200,
    request: async (c) => ({ method: 'PATCH', path: `/v1/participants/${c.org}`, body: { name: `Renamed ${c.n}` } }),
  },
  'post /v1/participants/{id}/suspend': {
    own: 'A D D D D',
    other: 'A H H H H',
    ok: 200,
    // A fresh organisation each time: suspending one of the matrix's callers would lock it out of every later case.
    request: async (c) => ({ method: 'POST', path: `/v1/participants/${c.role === 'operator' ? (await h.register(`org-susp-${c.n}`, ['data-provider'])).id : c.org}/suspend`, body: { reason: 'matrix' } }),
  },
  'post /v1/participants/{id}/reinstate': {
    own: 'A D D D D',
    other: 'A H H H H',
    ok: 200,
    request: async (c) => {
      if (c.role !== 'operator') return { method: 'POST', path: `/v1/participants/${c.org}/reinstate`, body: { reason: 'matrix' } };
      const { id } = await h.register(`org-susp-${c.n}`, ['data-provider']);
      expect((await h.request('POST', `/v1/participants/${id}/suspend`, { key: h.operatorKey, body: { reason: 'matrix' } })).status).toBe(200);
      return { method: 'POST', path: `/v1/participants/${id}/reinstate`, body: { reason: 'matrix' } };
    },
  },
  'get /v1/participants/{id}/balance': { ...MEMBER_ROUTE, ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/participants/${c.org}/balance` }) },
  'get /v1/participants/{id}/notifications': { ...MEMBER_ROUTE, ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/participants/${c.org}/notifications` }) },
  'get /v1/participants/{id}/report': { ...MEMBER_ROUTE, ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/participants/${c.org}/report` }) },
  'get /v1/participants/{id}/keys': { ...MEMBER_ROUTE, ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/participants/${c.org}/keys` }) },
  'post /v1/participants/{id}/keys': {
    ...MEMBER_ROUTE,
    ok: 201,
    request: async (c) => {
      const role = c.role === 'operator' ? 'connector' : authorityRolesOf(MINE[c.role].roles)[0]!;
      const until = new Date(Date.now() + HOUR / 2).toISOString();
      return { method: 'POST', path: `/v1/participants/${c.org}/keys`, body: { label: 'made by a key', grants: [{ role, permission: 'participants:read', validUntil: until }] } };
    },
  },
  'post /v1/participants/{id}/keys/{keyId}/rotate': {
    ...MEMBER_ROUTE,
    ok: 201,
    request: async (c) => ({ method: 'POST', path: `/v1/participants/${c.org}/keys/${await targetKey(c.org)}/rotate`, body: {} }),
  },
  'delete /v1/participants/{id}/keys/{keyId}': {
    ...MEMBER_ROUTE,
    ok: 200,
    request: async (c) => ({ method: 'DELETE', path: `/v1/participants/${c.org}/keys/${await targetKey(c.org)}` }),
  },
  'get /v1/participants/{id}/grants': { ...MEMBER_ROUTE, ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/participants/${c.org}/grants` }) },
  'post /v1/participants/{id}/grants': {
    ...MEMBER_ROUTE,
    ok: 201,
    request: async (c) => {
      const participant = (await h.db.store.getParticipant(c.org))!;
      const role = authorityRolesOf(participant.roles)[0]!;
      const until = new Date(Date.now() + HOUR / 2).toISOString();
      return { method: 'POST', path: `/v1/participants/${c.org}/grants`, body: { role, permission: 'participants:read', keyId: await targetKey(c.org), validUntil: until } };
    },
  },
  'delete /v1/participants/{id}/grants/{grantId}': {
    ...MEMBER_ROUTE,
    ok: 200,
    request: async (c) => {
      const grants = await h.db.store.grantsOfKey({ participantId: c.org, keyId: await targetKey(c.org), restricted: true });
      return { method: 'DELETE', path: `/v1/participants/${c.org}/grants/${grants[0]!.id}` };
    },
  },
  'get /v1/me': { own: 'A A A A A', other: 'A A A A A', ok: 200, request: async () => ({ method: 'GET', path: '/v1/me' }) },
  'post /v1/contracts': {
    own: 'A A D D D',
    other: 'A D D D D',
    ok: 201,
    request: async (c) => {
      const orchestratorId = c.own ? OWN_ORG[c.role] : 'org-orch-b';
      return { method: 'POST', path: '/v1/contracts', body: sampleContract({ id: `uc-new-${c.n}`, orchestratorId, parties: [{ participantId: orchestratorId, roles: ['orchestrator'] }], rewardPool: null, upstream: null }) };
    },
  },
  'get /v1/contracts/{id}': { own: 'A A A H H', other: 'A H H H H', ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/contracts/uc-${c.world}` }) },
  'post /v1/contracts/{id}/settlements': {
    own: 'A A D H H',
    other: 'A H H H H',
    ok: 202,
    request: async (c) => ({ method: 'POST', path: `/v1/contracts/uc-${c.world}/settlements`, body: { round: `round-${c.n}` } }),
  },
  'post /v1/contracts/{id}/validation-rules': {
    own: 'A A D H H',
    other: 'A H H H H',
    ok: 200,
    request: async (c) => ({ method: 'POST', path: `/v1/contracts/uc-${c.world}/validation-rules`, body: { rule: 'reported-terms-match-contract' } }),
  },
  'post /v1/exchanges': {
    own: 'A D A D D',
    other: 'A D D D D',
    ok: 202,
    request: async (c) => {
      const consumer = c.own ? OWN_ORG[c.role] : 'org-c-b';
      return { method: 'POST', path: '/v1/exchanges', body: seedReport({ usecaseContractId: `uc-${c.world}`, dataConsumerId: consumer, dataProviderId: `org-p-${c.world}`, dataId: `data-${c.n}` }) };
    },
  },
  'get /v1/exchanges/{id}': { own: 'A A A H H', other: 'A H H H H', ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/exchanges/ex-${c.world}` }) },
  'get /v1/exchanges/{id}/openlineage': { own: 'A A A H H', other: 'A H H H H', ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/exchanges/ex-${c.world}/openlineage` }) },
  'get /v1/exchanges/{id}/verification': { own: 'A A A H H', other: 'A H H H H', ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/exchanges/ex-${c.world}/verification` }) },
  'post /v1/exchanges/{id}/revocations': {
    own: 'A A D H H',
    other: 'A H H H H',
    ok: 202,
    request: async (c) => ({ method: 'POST', path: `/v1/exchanges/ex-${c.world}/revocations`, body: { recipientId: `org-p-${c.world}`, reason: 'matrix' } }),
  },
  'post /v1/exchanges/{id}/disputes': {
    own: 'D A A H H',
    other: 'D H H H H',
    ok: 202,
    request: async (c) => ({ method: 'POST', path: `/v1/exchanges/ex-${c.world}/disputes`, body: { reason: `matrix ${c.n}` } }),
  },
  'post /v1/exchanges/{id}/review': {
    own: 'A D D A H',
    other: 'A H H A H',
    ok: 200,
    request: async (c) => ({ method: 'POST', path: `/v1/exchanges/ex-${c.world}/review`, body: { incidentId: `inc-${c.world}`, decision: 'approve-correction', comment: 'matrix' } }),
  },
  'get /v1/incidents': { own: 'A A A A D', other: 'A E E A D', ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/incidents?exchangeId=ex-${c.world}` }) },
  'get /v1/incidents/{id}': { own: 'A A A A H', other: 'A H H A H', ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/incidents/inc-${c.world}` }) },
  'get /v1/nodes/{nodeId}': { own: 'A A A H H', other: 'A H H H H', ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/nodes/n-${c.world}-out` }) },
  'get /v1/nodes/{nodeId}/lineage': { own: 'A A A H H', other: 'A H H H H', ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/nodes/n-${c.world}-out/lineage` }) },
  'get /v1/directory': { own: 'A A A A A', other: 'A A A A A', ok: 200, request: async () => ({ method: 'GET', path: '/v1/directory' }) },
  'post /v1/peer/prevroot-updates': { own: 'U U U U U', other: 'U U U U U', ok: 202, request: async (c) => ({ method: 'POST', path: '/v1/peer/prevroot-updates', body: { requestId: `pr-${'0'.repeat(32)}`, n: c.n } }) },
  'get /v1/peer/nodes/{nodeId}/lineage': { own: 'U U U U U', other: 'U U U U U', ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/peer/nodes/n-${c.world}-out/lineage?direction=backward` }) },
  'get /v1/peer/exchanges/{id}/record': { own: 'U U U U U', other: 'U U U U U', ok: 200, request: async (c) => ({ method: 'GET', path: `/v1/peer/exchanges/ex-${c.world}/record` }) },
  'get /v1/audit': { own: 'A D D D A', other: 'A D D D A', ok: 200, request: async () => ({ method: 'GET', path: '/v1/audit?limit=5' }) },
  'get /v1/audit/verify': { own: 'A D D D A', other: 'A D D D A', ok: 200, request: async () => ({ method: 'GET', path: '/v1/audit/verify' }) },
};

function expected(row: Row, c: Pick<Case, 'role' | 'own' | 'period'>): Outcome {
  const outcome = (c.own ? row.own : row.other).split(' ')[ROLES.indexOf(c.role)] as Outcome;
  // Outside its period a key keeps what its organisation may see (a 404 stays a 404) but may do nothing with it.
  // The operator's key has no period; /health, /v1/me and the directory need no grant; no key opens the peer routes.
  if (c.role === 'operator' || c.period === 'in effect' || outcome === 'U' || [ROWS['get /health'], ROWS['get /v1/me'], ROWS['get /v1/directory']].includes(row)) return outcome;
  return outcome === 'H' ? 'H' : 'D';
}

function world(w: 'a' | 'b') {
  return {
    orchestrator: `org-orch-${w}`,
    consumer: `org-c-${w}`,
    provider: `org-p-${w}`,
  };
}

beforeAll(async () => {
  h = await createHarness();
  for (const w of ['a', 'b'] as const) {
    const o = world(w);
    await h.register(o.orchestrator, ['orchestrator']);
    await h.register(o.consumer, ['data-consumer', 'ai-provider']);
    await h.register(o.provider, ['data-provider']);
    const contract = sampleContract({
      id: `uc-${w}`,
      orchestratorId: o.orchestrator,
      parties: [
        { participantId: o.orchestrator, roles: ['orchestrator'] },
        { participantId: o.provider, roles: ['data-provider'] },
        { participantId: o.consumer, roles: ['data-consumer', 'ai-provider'] },
      ],
      rewardPool: { numPoints: 100, weights: [{ participantId: o.provider, weight: 1 }] },
    });
    expect((await h.request('POST', '/v1/contracts', { key: h.operatorKey, body: contract })).status).toBe(201);
    await h.db.store.insertExchangeIfAbsent({ ...exchange(`ex-${w}`, { usecaseContractId: `uc-${w}`, consumerId: o.consumer, providerId: o.provider }), status: 'running', stage: 'verification-window' });
    await h.db.store.recordDistribution({
      exchangeId: `ex-${w}`,
      parts: [],
      lines: [
        { payerId: o.consumer, recipientId: o.provider, amount: FIVE_POINTS },
        { payerId: o.orchestrator, recipientId: o.consumer, amount: FIVE_POINTS },
      ],
      allocationTxHash: `0x${'a'.repeat(64)}`,
      releaseAt: new Date(Date.now() + 10 * HOUR),
    });
    await h.db.store.openIncident({ id: `inc-${w}`, exchangeId: `ex-${w}`, source: 'detection', workflowId: incidentWorkflowId(`inc-${w}`), dispute: null });
    await h.db.store.updateIncident(`inc-${w}`, { status: 'awaiting-review' });
    for (const [nodeId, owner] of [[`n-${w}-in`, o.provider], [`n-${w}-out`, o.consumer]] as const) {
      await h.db.store.upsertNode({ nodeId, dataId: `data-${nodeId}`, kind: 'chain-data', ownerId: owner, placeholder: false, dvctId: 'dvct', usecaseContractId: `uc-${w}`, dataProviderId: o.provider, dataConsumerId: o.consumer, createdByExchangeId: `ex-${w}` });
    }
    await h.db.store.linkNodes({ parentNodeId: `n-${w}-in`, childNodeId: `n-${w}-out`, exchangeId: `ex-${w}`, usecaseContractId: `uc-${w}`, contractId: 'dc-1' });
  }
  for (const [role, mine] of Object.entries(MINE) as [Exclude<Role, 'operator'>, (typeof MINE)[keyof typeof MINE]][]) {
    if (!(await h.db.store.getParticipant(mine.id))) await h.register(mine.id, mine.roles);
    for (const period of PERIODS) keys.set(`${role}/${period}`, (await restrictedKey(mine.id, terms(authorityRolesOf(mine.roles), period))).key);
  }
});
afterAll(() => h?.close());

describe('the authorization matrix', () => {
  it('answers every endpoint × role × own/other organisation × period as the table says: zero unexpected successes', async () => {
    const doc = (await h.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(routes.filter((r) => !ROWS[r]), 'routes without a row in the matrix').toEqual([]);

    const mismatches: string[] = [];
    const audited: { requestId: string; route: string }[] = [];
    let cases = 0;
    let unexpectedSuccesses = 0;
    for (const route of routes) {
      const row = ROWS[route]!;
      for (const role of ROLES) {
        for (const own of [true, false]) {
          for (const period of PERIODS) {
            const c: Case = {
              route,
              role,
              own,
              period,
              key: role === 'operator' ? h.operatorKey : keys.get(`${role}/${period}`)!,
              org: own ? OWN_ORG[role] : OTHER_ORG[role],
              world: own ? 'a' : 'b',
              n: ++counter,
            };
            const want = expected(row, c);
            const req = await row.request(c);
            const requestId = `matrix-${c.n}`;
            const res = await h.request(req.method, req.path, { key: c.key, headers: { 'x-request-id': requestId }, ...(req.body !== undefined ? { body: req.body } : {}) });
            cases++;
            const success = res.status >= 200 && res.status < 300;
            const got: Outcome | string = success
              ? res.body?.incidents?.length === 0
                ? 'E'
                : 'A'
              : res.status === 403
                ? 'D'
                : res.status === 404
                  ? 'H'
                  : res.status === 401
                    ? 'U'
                    : `HTTP ${res.status}`;
            if (success && want !== 'A' && want !== 'E') unexpectedSuccesses++;
            const fits = got === want || (want === 'A' && got === 'E' && route === 'get /v1/incidents');
            if (!fits || (success && res.status !== row.ok)) {
              mismatches.push(`${route} as ${role} (${own ? 'own' : 'other'}, ${period}): expected ${want}, got ${got} ${res.status} ${res.text.slice(0, 160)}`);
            }
            if (want === 'D' && res.status === 403 && period !== 'in effect' && role !== 'operator') {
              // Outside its period the 403 says so (unless no grant would have given it at all).
              const inside = expected(row, { role, own, period: 'in effect' });
              if (inside === 'A' || inside === 'E') {
                if (!/outside its effective period/.test(res.body.detail)) mismatches.push(`${route} as ${role} (${period}): 403 without the period: ${res.body.detail}`);
              }
            }
            if (success && req.method !== 'GET') audited.push({ requestId, route });
          }
        }
      }
    }

    // Every change that went through left its entry in the audit trail.
    const trail = await h.db.store.listAudit({}, 100_000);
    const recorded = new Set(trail.map((e) => e.requestId));
    const unaudited = audited.filter((a) => !recorded.has(a.requestId)).map((a) => a.route);

    console.log(`authorization matrix: ${cases} cases, ${unexpectedSuccesses} unexpected successes, ${mismatches.length} mismatches, ${audited.length} changes audited`);
    expect(unexpectedSuccesses).toBe(0);
    expect(mismatches).toEqual([]);
    expect(unaudited).toEqual([]);
    expect(cases).toBe(routes.length * ROLES.length * 2 * PERIODS.length);
  }, 300_000);
});
