import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractActivities } from '../../activities/contracts';
import type { ActivityDeps } from '../../activities/deps';
import { DvctError } from '../../domain/errors';
import { createHarness, expectProblemShape, registerSampleContract, seedReport, type Harness, type Member, type SampleParties } from './harness';

/**
 * What an operator of a dataspace does with its organisations beyond registering them: change
 * their details and roles, suspend one and reinstate it — each recorded in the audit trail with
 * the organisation before and after.
 */
let h: Harness;
let the: SampleParties;
let changing: Member;

beforeAll(async () => {
  h = await createHarness();
  the = await registerSampleContract(h);
  changing = await h.register('org-change', ['data-provider'], { webhookUrl: 'https://change.example/hook' });
});
afterAll(() => h?.close());

const asOperator = (method: string, path: string, body?: unknown) => h.request(method, path, { key: h.operatorKey, ...(body !== undefined ? { body } : {}) });
const lastEntry = async (action: string, object: string) => (await h.db.store.listAudit({ action, object }, 100)).at(-1);
const grantsInEffect = async (member: Member) =>
  ((await h.request('GET', '/v1/me', { key: member.apiKey })).body.grants as { role: string; inEffect: boolean }[]).filter((g) => g.inEffect).map((g) => g.role);

describe('changing an organisation', () => {
  it('changes its name, webhook and roles; its grants follow the roles; the trail holds before and after', async () => {
    expect(await grantsInEffect(changing)).toEqual(expect.arrayContaining(['connector']));
    const res = await asOperator('PATCH', '/v1/participants/org-change', { name: 'Changed Ltd', roles: ['orchestrator', 'reviewer'], webhookUrl: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'org-change', name: 'Changed Ltd', roles: ['orchestrator', 'reviewer'], webhookUrl: null, status: 'active' });
    expect((await asOperator('GET', '/v1/participants/org-change')).body).toEqual(res.body);

    // The connector grants went with the provider role; the new roles brought theirs.
    expect(new Set(await grantsInEffect(changing))).toEqual(new Set(['orchestrator', 'reviewer']));
    const entry = await lastEntry('participant.update', 'participant:org-change');
    expect(entry).toMatchObject({
      actor: 'operator',
      before: { name: 'Organisation org-change', roles: ['data-provider'], webhookUrl: 'https://change.example/hook' },
      after: { name: 'Changed Ltd', roles: ['orchestrator', 'reviewer'], webhookUrl: null },
    });
    const after = entry!.after as { grantsGiven: { role: string }[]; grantsRevoked: { role: string; revokedAt: string }[] };
    expect(new Set(after.grantsGiven.map((g) => g.role))).toEqual(new Set(['orchestrator', 'reviewer']));
    expect(after.grantsRevoked.length).toBeGreaterThan(0);
    expect(after.grantsRevoked.every((g) => g.role === 'connector' && g.revokedAt)).toBe(true);
  });

  it('validates what it is given: at least one known field, nothing else', async () => {
    expectProblemShape(await asOperator('PATCH', '/v1/participants/org-change', {}), 400, 'VALIDATION_FAILED');
    const wallet = await asOperator('PATCH', '/v1/participants/org-change', { walletAddress: `0x${'3'.repeat(40)}` });
    expectProblemShape(wallet, 400, 'VALIDATION_FAILED');
    expect(wallet.body.errors).toContainEqual(expect.objectContaining({ path: 'walletAddress' }));
    expectProblemShape(await asOperator('PATCH', '/v1/participants/org-change', { roles: ['king'] }), 400, 'VALIDATION_FAILED');
    expectProblemShape(await asOperator('PATCH', '/v1/participants/org-change', { roles: [] }), 400, 'VALIDATION_FAILED');
    expectProblemShape(await asOperator('PATCH', '/v1/participants/nobody', { name: 'x' }), 404, 'NOT_FOUND');
  });

  it('is the operator\'s alone: an organisation is refused on itself and sees no other', async () => {
    for (const [method, suffix, body] of [
      ['PATCH', '', { name: 'Mine now' }],
      ['POST', '/suspend', { reason: 'me' }],
      ['POST', '/reinstate', { reason: 'me' }],
    ] as const) {
      const own = await h.request(method, `/v1/participants/org-p1${suffix}`, { key: the.provider.apiKey, body });
      expectProblemShape(own, 403, 'FORBIDDEN');
      expect(own.body.detail).toBe('Only the operator key may change, suspend or reinstate organisations.');
      expectProblemShape(await h.request(method, `/v1/participants/org-c1${suffix}`, { key: the.provider.apiKey, body }), 404, 'NOT_FOUND');
    }
  });
});

describe('suspending and reinstating an organisation', () => {
  it('refuses its keys with a 403 that says so, keeps its grants, and refuses new exchanges naming it', async () => {
    const grantsBefore = (await asOperator('GET', '/v1/participants/org-p1/grants')).body.grants;
    const res = await asOperator('POST', '/v1/participants/org-p1/suspend', { reason: 'unpaid membership fee' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'suspended', suspendedAt: expect.any(String), suspensionReason: 'unpaid membership fee' });

    for (const path of ['/v1/me', '/v1/participants/org-p1', '/v1/participants/org-p1/report']) {
      const refused = await h.request('GET', path, { key: the.provider.apiKey });
      expectProblemShape(refused, 403, 'ORGANISATION_SUSPENDED');
      expect(refused.body.detail).toMatch(/Organisation org-p1 is suspended by the operator since .* \(unpaid membership fee\): its keys can do nothing until it is reinstated\./);
    }
    expect((await asOperator('GET', '/v1/participants/org-p1/grants')).body.grants).toEqual(grantsBefore);

    // Its partner reports an exchange with it as the provider: refused, named, nothing started.
    const starts = h.gateway.starts.length;
    const report = await h.request('POST', '/v1/exchanges', { key: the.consumer.apiKey, body: seedReport({ dataId: 'data-while-suspended' }) });
    expectProblemShape(report, 422, 'PARTY_SUSPENDED');
    expect(report.body.detail).toContain('org-p1');
    expect(h.gateway.starts).toHaveLength(starts);

    const again = await asOperator('POST', '/v1/participants/org-p1/suspend', { reason: 'twice' });
    expectProblemShape(again, 409, 'CONFLICT');
    expect(again.body.detail).toMatch(/already suspended since .* \(unpaid membership fee\)/);
    expect(await lastEntry('participant.suspend', 'participant:org-p1')).toMatchObject({
      actor: 'operator',
      before: { status: 'active', suspendedAt: null },
      after: { status: 'suspended', suspensionReason: 'unpaid membership fee' },
    });
  });

  it('has the run\'s contract check refuse an exchange accepted before the suspension', async () => {
    // The worker's verifyContract step, on the same database: org-p1 is still suspended.
    const { verifyContract } = contractActivities({ store: h.db.store } as ActivityDeps);
    const report = { ...seedReport({ dataId: 'data-in-flight' }), prevDataIds: [] } as unknown as Parameters<typeof verifyContract>[0]['report'];
    const refusal = await verifyContract({ exchangeId: 'ex-in-flight', report, at: new Date().toISOString() }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(DvctError);
    expect(refusal).toMatchObject({ code: 'PARTY_SUSPENDED', retryable: false, details: { suspended: ['org-p1'] } });
  });

  it('gives its keys back their grants when reinstated, and it takes part in exchanges again', async () => {
    const res = await asOperator('POST', '/v1/participants/org-p1/reinstate', { reason: 'fee paid' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'active', suspendedAt: null, suspensionReason: null });
    expect((await h.request('GET', '/v1/me', { key: the.provider.apiKey })).status).toBe(200);
    expect(await grantsInEffect(the.provider)).toContain('connector');
    expect((await h.request('POST', '/v1/exchanges', { key: the.consumer.apiKey, body: seedReport({ dataId: 'data-after-reinstatement' }) })).status).toBe(202);

    expectProblemShape(await asOperator('POST', '/v1/participants/org-p1/reinstate', { reason: 'again' }), 409, 'CONFLICT');
    expect(await lastEntry('participant.reinstate', 'participant:org-p1')).toMatchObject({
      before: { status: 'suspended', suspensionReason: 'unpaid membership fee' },
      after: { status: 'active', reason: 'fee paid' },
    });
  });
});
