import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS } from '../../domain/authority';
import { createHarness, expectProblemShape, registerSampleContract, type Harness, type SampleParties } from './harness';

let h: Harness;
let the: SampleParties;
beforeAll(async () => {
  h = await createHarness();
  the = await registerSampleContract(h);
});
afterAll(() => h?.close());

const HOUR = 3_600_000;
const iso = (offsetHours: number) => new Date(Date.now() + offsetHours * HOUR).toISOString();
const keyIdOf = (apiKey: string) => apiKey.split('_')[1]!;

async function newKey(as: string, participantId: string, body: Record<string, unknown>) {
  return h.request('POST', `/v1/participants/${participantId}/keys`, { key: as, body });
}

describe('a registration', () => {
  it('gives the organisation every permission of its roles, everywhere, open-ended, and says so at /v1/me', async () => {
    const me = await h.request('GET', '/v1/me', { key: the.consumer.apiKey });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'participant', participantId: 'org-c1', keyId: keyIdOf(the.consumer.apiKey), restricted: false, roles: ['connector'] });
    expect(me.body.grants.map((g: { permission: string }) => g.permission).sort()).toEqual([...ROLE_PERMISSIONS.connector].sort());
    expect(me.body.grants.every((g: { scope: string; validUntil: null; inEffect: boolean }) => g.scope === '*' && g.validUntil === null && g.inEffect)).toBe(true);
    expect((await h.request('GET', '/v1/me', { key: h.operatorKey })).body).toMatchObject({ kind: 'operator', keyId: 'operator', grants: [] });
  });
});

describe('keys', () => {
  it('restricted to their grants: allowed inside them, refused outside with the reason', async () => {
    const created = await newKey(the.consumer.apiKey, 'org-c1', { label: 'reader', grants: [{ role: 'connector', permission: 'contracts:read', scope: 'contract:uc-1' }] });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatchObject({ participantId: 'org-c1', label: 'reader', restricted: true, revokedAt: null });
    expect(created.body.apiKey).toMatch(new RegExp(`^dvct_${created.body.key.keyId}_`));
    const reader = created.body.apiKey as string;
    expect((await h.request('GET', '/v1/contracts/uc-1', { key: reader })).status).toBe(200);
    const refused = await h.request('GET', '/v1/participants/org-c1', { key: reader });
    expectProblemShape(refused, 403, 'FORBIDDEN');
    expect(refused.body.detail).toMatch(/No grant of this key gives participants:read/);
  });

  it('refuse a grant outside its effective period with a 403 naming the period', async () => {
    // Given by the operator: a key cannot backdate a grant before its own grants began.
    const expired = await newKey(h.operatorKey, 'org-c1', { grants: [{ role: 'connector', permission: 'contracts:read', validFrom: iso(-2), validUntil: iso(-1) }] });
    const early = await newKey(h.operatorKey, 'org-c1', { grants: [{ role: 'connector', permission: 'contracts:read', validFrom: iso(1) }] });
    const ended = await h.request('GET', '/v1/contracts/uc-1', { key: expired.body.apiKey });
    expectProblemShape(ended, 403, 'FORBIDDEN');
    expect(ended.body.detail).toMatch(/contracts:read\) is outside its effective period: it ended at/);
    const notYet = await h.request('GET', '/v1/contracts/uc-1', { key: early.body.apiKey });
    expect(notYet.body.detail).toMatch(/outside its effective period: it takes effect at/);
    // Outside the organisation's scope the period does not matter: 404 as always.
    expectProblemShape(await h.request('GET', '/v1/contracts/uc-other', { key: expired.body.apiKey }), 404, 'NOT_FOUND');
  });

  it('hand on only what the calling key holds: no wider scope, no longer period, no organisation-wide key', async () => {
    const narrow = await newKey(the.consumer.apiKey, 'org-c1', { grants: [{ role: 'connector', permission: 'keys:manage', validUntil: iso(24) }, { role: 'connector', permission: 'contracts:read', scope: 'contract:uc-1', validUntil: iso(24) }] });
    const key = narrow.body.apiKey as string;
    expectProblemShape(await newKey(key, 'org-c1', {}), 403, 'FORBIDDEN');
    const wider = await newKey(key, 'org-c1', { grants: [{ role: 'connector', permission: 'contracts:read', validUntil: iso(12) }] });
    expectProblemShape(wider, 403, 'FORBIDDEN');
    expect(wider.body.detail).toMatch(/a key hands on only what one of its own grants in effect covers/);
    expectProblemShape(await newKey(key, 'org-c1', { grants: [{ role: 'connector', permission: 'contracts:read', scope: 'contract:uc-1' }] }), 403, 'FORBIDDEN');
    const within = await newKey(key, 'org-c1', { grants: [{ role: 'connector', permission: 'contracts:read', scope: 'contract:uc-1', validUntil: iso(12) }] });
    expect(within.status).toBe(201);
  });

  it('take no grant the organisation\'s roles do not allow: 400 naming the field', async () => {
    const reviewerGrant = await newKey(the.consumer.apiKey, 'org-c1', { grants: [{ role: 'reviewer', permission: 'incidents:review' }] });
    expectProblemShape(reviewerGrant, 400, 'VALIDATION_FAILED');
    expect(reviewerGrant.body.errors).toEqual([{ path: 'grants[0].role', message: expect.stringMatching(/does not hold the role reviewer/) }]);
    const wrongPermission = await newKey(the.consumer.apiKey, 'org-c1', { grants: [{ role: 'connector', permission: 'exchanges:revoke' }] });
    expect(wrongPermission.body.errors).toEqual([{ path: 'grants[0].permission', message: expect.stringMatching(/cannot carry exchanges:revoke/) }]);
    const unknownField = await newKey(the.consumer.apiKey, 'org-c1', { grants: [{ role: 'connector', permission: 'contracts:read', everything: true }] });
    expect(unknownField.body.errors).toEqual([{ path: 'grants[0].everything', message: 'Unknown field: not allowed here' }]);
  });

  it('rotate: the new secret works with the same grants, the old key stops at once', async () => {
    const created = await newKey(the.provider.apiKey, 'org-p1', { label: 'ci', grants: [{ role: 'connector', permission: 'contracts:read' }] });
    const oldKey = created.body.apiKey as string;
    const rotated = await h.request('POST', `/v1/participants/org-p1/keys/${keyIdOf(oldKey)}/rotate`, { key: the.provider.apiKey, body: {} });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ replaces: keyIdOf(oldKey), key: { label: 'ci', restricted: true }, grants: [{ permission: 'contracts:read' }] });
    expect((await h.request('GET', '/v1/contracts/uc-1', { key: rotated.body.apiKey })).status).toBe(200);
    const old = await h.request('GET', '/v1/contracts/uc-1', { key: oldKey });
    expectProblemShape(old, 401, 'UNAUTHENTICATED');
    expect(old.body.detail).toContain(`rotated (replaced by ${rotated.body.key.keyId})`);
    expectProblemShape(await h.request('POST', `/v1/participants/org-p1/keys/${keyIdOf(oldKey)}/rotate`, { key: the.provider.apiKey, body: {} }), 404, 'NOT_FOUND');
  });

  it('revoke: the key stops at once; another organisation\'s keys are out of reach; the operator manages any', async () => {
    const created = await newKey(the.provider.apiKey, 'org-p1', {});
    const key = created.body.apiKey as string;
    expectProblemShape(await h.request('DELETE', `/v1/participants/org-p1/keys/${keyIdOf(key)}`, { key: the.consumer.apiKey }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/participants/org-p1/keys', { key: the.consumer.apiKey }), 404, 'NOT_FOUND');
    const revoked = await h.request('DELETE', `/v1/participants/org-p1/keys/${keyIdOf(key)}`, { key: h.operatorKey });
    expect(revoked.status).toBe(200);
    expect(revoked.body.key.revokedAt).toEqual(expect.any(String));
    expectProblemShape(await h.request('GET', '/v1/me', { key }), 401, 'UNAUTHENTICATED');
    const listed = await h.request('GET', '/v1/participants/org-p1/keys', { key: the.provider.apiKey });
    expect(listed.body.keys.find((k: { keyId: string }) => k.keyId === keyIdOf(key)).revokedAt).toEqual(revoked.body.key.revokedAt);
  });
});

describe('grants', () => {
  it('are given to the organisation or one key, listed, and revoked with immediate effect', async () => {
    const created = await newKey(the.orchestrator.apiKey, 'org-orch', { grants: [{ role: 'orchestrator', permission: 'contracts:read' }] });
    const keyId = created.body.key.keyId as string;
    const given = await h.request('POST', '/v1/participants/org-orch/grants', {
      key: the.orchestrator.apiKey,
      body: { role: 'orchestrator', permission: 'contracts:settle', scope: 'contract:uc-1', keyId, validUntil: iso(1) },
    });
    expect(given.status).toBe(201);
    expect(given.body).toMatchObject({ role: 'orchestrator', permission: 'contracts:settle', scope: 'contract:uc-1', keyId, inEffect: true });
    const settle = () => h.request('POST', '/v1/contracts/uc-1/settlements', { key: created.body.apiKey, body: { round: `r-${Date.now()}` } });
    expect((await settle()).status).toBe(202);
    const list = await h.request('GET', `/v1/participants/org-orch/grants?keyId=${keyId}`, { key: the.orchestrator.apiKey });
    expect(list.body.grants.map((g: { permission: string }) => g.permission).sort()).toEqual(['contracts:read', 'contracts:settle']);

    const revoked = await h.request('DELETE', `/v1/participants/org-orch/grants/${given.body.id}`, { key: the.orchestrator.apiKey });
    expect(revoked.body).toMatchObject({ id: given.body.id, inEffect: false, revokedAt: expect.any(String) });
    expectProblemShape(await settle(), 403, 'FORBIDDEN');
  });

  it('for the whole organisation need an unrestricted key, and a key of the organisation when one is named', async () => {
    const restricted = await newKey(the.orchestrator.apiKey, 'org-orch', { grants: [{ role: 'orchestrator', permission: 'grants:manage' }, { role: 'orchestrator', permission: 'contracts:read' }] });
    const wide = await h.request('POST', '/v1/participants/org-orch/grants', { key: restricted.body.apiKey, body: { role: 'orchestrator', permission: 'contracts:read' } });
    expectProblemShape(wide, 403, 'FORBIDDEN');
    expect(wide.body.detail).toMatch(/restricted key cannot give a grant to its whole organisation/);
    const foreignKey = keyIdOf(the.consumer.apiKey);
    expectProblemShape(await h.request('POST', '/v1/participants/org-orch/grants', { key: the.orchestrator.apiKey, body: { role: 'orchestrator', permission: 'contracts:read', keyId: foreignKey } }), 404, 'NOT_FOUND');
  });
});

describe('the audit trail of authority', () => {
  it('records every key and grant change with who did it, and never a secret', async () => {
    const entries = (await h.request('GET', '/v1/audit?limit=1000', { key: h.operatorKey })).body.entries as { action: string; actor: string; keyId: string }[];
    const actions = new Set(entries.map((e) => e.action));
    for (const action of ['participant.register', 'key.create', 'key.rotate', 'key.revoke', 'grant.give', 'grant.revoke']) expect(actions, action).toContain(action);
    expect(entries.find((e) => e.action === 'key.revoke')).toMatchObject({ actor: 'operator', keyId: 'operator' });
    expect(entries.find((e) => e.action === 'grant.give')).toMatchObject({ actor: 'org-orch', keyId: keyIdOf(the.orchestrator.apiKey) });
    const text = JSON.stringify(entries);
    for (const member of Object.values(the)) expect(text).not.toContain(member.apiKey.split('_').slice(2).join('_'));
    expect(text).not.toMatch(/secretHash|webhookSecret/);
  });
});
