import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refuseAuditEntries, REFUSED_AUDIT_REQUEST } from '../db/fixtures';
import { allocatedExchange, createHarness, expectProblemShape, registerSampleContract, seedReport, type Harness, type SampleParties } from './harness';

/**
 * A change made through the API and its audit entry are one: the database refuses the entries of
 * chosen requests (a trigger, as a full disk or a broken trail would), and each such request must
 * leave nothing changed — no key revoked or created, no grant, no organisation, no exchange, no run
 * started — and answer 500, so the client repeats it. The same request repeated with the trail
 * working goes through and is recorded, with the state before the change where it had one.
 */
let h: Harness;
let the: SampleParties;
let failing = 0;
const trailDown = () => ({ 'x-request-id': `${REFUSED_AUDIT_REQUEST}${++failing}` });

beforeAll(async () => {
  h = await createHarness();
  the = await registerSampleContract(h);
  await refuseAuditEntries(h.db);
});
afterAll(() => h?.close());

const entriesOf = async (object: string) => h.db.store.listAudit({ object }, 100);

describe('an API change whose audit entry cannot be written', () => {
  it('revokes no key, and the repeat records the key as it was and as it is', async () => {
    const made = await h.request('POST', '/v1/participants/org-p1/keys', { key: the.provider.apiKey, body: { label: 'to revoke' } });
    expect(made.status).toBe(201);
    const { apiKey } = made.body as { apiKey: string };
    const keyId = made.body.key.keyId as string;

    const refused = await h.request('DELETE', `/v1/participants/org-p1/keys/${keyId}`, { key: h.operatorKey, headers: trailDown() });
    expectProblemShape(refused, 500, 'INTERNAL');
    expect((await h.request('GET', '/v1/me', { key: apiKey })).status).toBe(200);
    expect(await entriesOf(`participant:org-p1/key:${keyId}`)).toMatchObject([{ action: 'key.create' }]);

    expect((await h.request('DELETE', `/v1/participants/org-p1/keys/${keyId}`, { key: h.operatorKey })).status).toBe(200);
    expect((await h.request('GET', '/v1/me', { key: apiKey })).status).toBe(401);
    const [, revoked] = await entriesOf(`participant:org-p1/key:${keyId}`);
    expect(revoked).toMatchObject({ action: 'key.revoke', before: { keyId, revokedAt: null }, after: { keyId, revokedAt: expect.any(String) } });
  });

  it('creates no key, grant or organisation', async () => {
    const keysBefore = (await h.request('GET', '/v1/participants/org-c1/keys', { key: the.consumer.apiKey })).body.keys.length;
    expectProblemShape(await h.request('POST', '/v1/participants/org-c1/keys', { key: the.consumer.apiKey, body: { label: 'lost' }, headers: trailDown() }), 500, 'INTERNAL');
    expect((await h.request('GET', '/v1/participants/org-c1/keys', { key: the.consumer.apiKey })).body.keys).toHaveLength(keysBefore);

    const grantsBefore = (await h.request('GET', '/v1/participants/org-c1/grants', { key: the.consumer.apiKey })).body.grants.length;
    const grant = { role: 'connector', permission: 'participants:read' };
    expectProblemShape(await h.request('POST', '/v1/participants/org-c1/grants', { key: the.consumer.apiKey, body: grant, headers: trailDown() }), 500, 'INTERNAL');
    expect((await h.request('GET', '/v1/participants/org-c1/grants', { key: the.consumer.apiKey })).body.grants).toHaveLength(grantsBefore);

    const newcomer = { id: 'org-new', name: 'New', roles: ['data-provider'], walletAddress: `0x${'2'.repeat(40)}` };
    expectProblemShape(await h.request('POST', '/v1/participants', { key: h.operatorKey, body: newcomer, headers: trailDown() }), 500, 'INTERNAL');
    expectProblemShape(await h.request('GET', '/v1/participants/org-new', { key: h.operatorKey }), 404, 'NOT_FOUND');
    expect((await h.request('POST', '/v1/participants', { key: h.operatorKey, body: newcomer })).status).toBe(201);
    expect((await entriesOf('participant:org-new')).map((e) => e.action)).toEqual(['participant.register']);
  });

  it('records no report and starts no run; the repeat is the first report', async () => {
    const report = seedReport({ dataId: 'data-atomic' });
    const startsBefore = h.gateway.starts.length;
    expectProblemShape(await h.request('POST', '/v1/exchanges', { key: the.consumer.apiKey, body: report, headers: trailDown() }), 500, 'INTERNAL');
    expect(h.gateway.starts).toHaveLength(startsBefore);

    const accepted = await h.request('POST', '/v1/exchanges', { key: the.consumer.apiKey, body: report });
    expect(accepted.status).toBe(202);
    expect(h.gateway.starts).toHaveLength(startsBefore + 1);
    expect((await entriesOf(`exchange:${accepted.body.exchangeId}`)).map((e) => e.action)).toEqual(['exchange.report']);
  });

  it('starts no revocation run: the request is recorded before the run, or not at all', async () => {
    const exchangeId = await allocatedExchange(h, 'ex-atomic-revoke');
    const body = { recipientId: 'org-p1', reason: 'broke the contract' };
    const startsBefore = h.gateway.starts.length;
    expectProblemShape(await h.request('POST', `/v1/exchanges/${exchangeId}/revocations`, { key: h.operatorKey, body, headers: trailDown() }), 500, 'INTERNAL');
    expect(h.gateway.starts).toHaveLength(startsBefore);

    expect((await h.request('POST', `/v1/exchanges/${exchangeId}/revocations`, { key: h.operatorKey, body })).status).toBe(202);
    expect(h.gateway.starts.at(-1)).toMatchObject({ kind: 'revocation' });
    expect(await entriesOf(`exchange:${exchangeId}`)).toMatchObject([{ action: 'allocation.revoke-request', workflowId: h.gateway.starts.at(-1)!.workflowId }]);
  });
});
