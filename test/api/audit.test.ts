import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEntry } from '../../db/entities';
import { createHarness, expectProblemShape, registerSampleContract, seedReport, type Harness, type Member, type SampleParties } from './harness';

let h: Harness;
let the: SampleParties;
let auditor: Member;
beforeAll(async () => {
  h = await createHarness();
  the = await registerSampleContract(h);
  auditor = await h.register('org-aud', ['auditor']);
  const reported = await h.request('POST', '/v1/exchanges', { key: the.consumer.apiKey, body: seedReport({ usecaseContractId: 'uc-1' }) });
  expect(reported.status).toBe(202);
});
afterAll(() => h?.close());

const audit = (query = '', key = auditor.apiKey) => h.request('GET', `/v1/audit${query}`, { key });

describe('GET /v1/audit', () => {
  it('is for auditors and the operator: 403 to any other key, with the reason', async () => {
    expect((await audit('', h.operatorKey)).status).toBe(200);
    const refused = await audit('', the.consumer.apiKey);
    expectProblemShape(refused, 403, 'FORBIDDEN');
    expect(refused.body.detail).toMatch(/audit:read .* needs the role auditor/);
  });

  it('records each state-changing request: who, with which key, what, on which object, after what, which run', async () => {
    const { entries } = (await audit('?action=exchange.report')).body;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      seq: expect.any(Number),
      actor: 'org-c1',
      keyId: the.consumer.apiKey.split('_')[1],
      object: expect.stringMatching(/^exchange:ex-/),
      workflowId: expect.stringMatching(/^exchange-ex-/),
      after: { report: { dataConsumerId: 'org-c1' } },
      requestId: expect.any(String),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // Reads are not state changes; refused requests changed nothing.
    expect((await audit('?limit=1000')).body.entries.every((e: { action: string }) => !e.action.startsWith('GET'))).toBe(true);
  });

  it('filters by actor, action, object and time, and pages oldest first by seq', async () => {
    const all = (await audit('?limit=1000')).body.entries as { seq: number; actor: string; at: string; object: string }[];
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect((await audit('?actor=operator&limit=1000')).body.entries.every((e: { actor: string }) => e.actor === 'operator')).toBe(true);
    expect((await audit('?object=contract:uc-1')).body.entries.map((e: { action: string }) => e.action)).toEqual(['contract.register']);
    expect((await audit(`?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body.entries).toEqual([]);
    const first = await audit('?limit=2');
    expect(first.body).toMatchObject({ hasMore: true, next: 2 });
    const second = await audit(`?limit=2&after=${first.body.next}`);
    expect(second.body.entries[0].seq).toBe(3);
    expectProblemShape(await audit('?limit=0'), 400, 'VALIDATION_FAILED');
    expectProblemShape(await audit('?from=yesterday'), 400, 'VALIDATION_FAILED');
  });
});

describe('GET /v1/audit/verify', () => {
  it('recomputes the chain, names the first edited row, and compares the head anchored on chain', async () => {
    const clean = await h.request('GET', '/v1/audit/verify', { key: auditor.apiKey });
    expect(clean.body).toMatchObject({ ok: true, firstBroken: null, anchor: null, anchorDetail: 'nothing anchored on chain yet' });
    const head = clean.body.head as { seq: number; hash: string };
    expect(clean.body.checked).toBe(head.seq);

    h.chain.anchor = { seq: head.seq, head: head.hash };
    expect((await h.request('GET', '/v1/audit/verify', { key: auditor.apiKey })).body).toMatchObject({ ok: true, anchor: { seq: head.seq, hash: head.hash } });

    const em = h.db.orm.em.fork();
    const row = await em.findOneOrFail(AuditEntry, { seq: 2 });
    await em.nativeUpdate(AuditEntry, { seq: 2 }, { object: 'participant:someone-else' });
    const edited = await h.request('GET', '/v1/audit/verify', { key: auditor.apiKey });
    expect(edited.body).toMatchObject({ ok: false, firstBroken: { seq: 2, reason: 'edited' } });
    await em.nativeUpdate(AuditEntry, { seq: 2 }, { object: row.object });

    await em.nativeDelete(AuditEntry, { seq: { $gte: head.seq } });
    const truncated = await h.request('GET', '/v1/audit/verify', { key: auditor.apiKey });
    expect(truncated.body).toMatchObject({ ok: false, firstBroken: { seq: head.seq, reason: 'truncated' } });

    h.chain.failure = new Error('connection refused');
    const blind = await h.request('GET', '/v1/audit/verify', { key: auditor.apiKey });
    expect(blind.body).toMatchObject({ ok: true, anchor: null, anchorDetail: expect.stringMatching(/chain did not answer/) });
    h.chain.failure = null;
  });
});
