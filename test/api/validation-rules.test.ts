import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REVIEW_POLICY } from '../../domain/incidents';
import { incidentWorkflowId } from '../../lib/ids';
import { allocatedExchange, createHarness, expectProblemShape, registerSampleContract, sampleContract, type Harness, type SampleParties } from './harness';

/** A contract's review policy and validation rules, and POST /v1/contracts/{id}/validation-rules (the feedback step). */
let h: Harness;
let the: SampleParties;

const RULE = 'reported-terms-match-contract';

function addRule(key: string, contractId: string, body: unknown) {
  return h.request('POST', `/v1/contracts/${contractId}/validation-rules`, { key, body });
}

beforeAll(async () => {
  h = await createHarness();
  the = await registerSampleContract(h);
});
afterAll(() => h?.close());

describe('a contract\'s review policy and validation rules', () => {
  it('default to automatic review and no rules; a partial policy takes the default for the rest', async () => {
    expect((await h.request('GET', '/v1/contracts/uc-1', { key: the.provider.apiKey })).body).toMatchObject({ review: DEFAULT_REVIEW_POLICY, validationRules: [] });
    const res = await h.request('POST', '/v1/contracts', {
      key: the.orchestrator.apiKey,
      body: sampleContract({ id: 'uc-manual', review: { mode: 'manual', deadlineSeconds: 3600 }, validationRules: [RULE, RULE] }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      review: { mode: 'manual', deadlineSeconds: 3600, onDeadline: DEFAULT_REVIEW_POLICY.onDeadline, tolerancePoints: DEFAULT_REVIEW_POLICY.tolerancePoints },
      validationRules: [RULE],
    });
    expect((await h.request('GET', '/v1/contracts/uc-manual', { key: the.orchestrator.apiKey })).body).toEqual(res.body);
  });

  it('name each invalid field of the policy and the rules', async () => {
    const res = await h.request('POST', '/v1/contracts', {
      key: h.operatorKey,
      body: sampleContract({
        id: 'uc-bad-review',
        review: { mode: 'sometimes', deadlineSeconds: 0, onDeadline: 'adjust', tolerancePoints: -1, escalateTo: 'x' },
        validationRules: ['no-such-rule'],
      }),
    });
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'review.deadlineSeconds',
      'review.escalateTo',
      'review.mode',
      'review.onDeadline',
      'review.tolerancePoints',
      'validationRules[0]',
    ]);
  });
});

describe('POST /v1/contracts/{id}/validation-rules', () => {
  it('adds a rule once; the contract posted again is still the same contract, rule kept', async () => {
    const first = await addRule(the.orchestrator.apiKey, 'uc-1', { rule: RULE });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: 'uc-1', validationRules: [RULE] });
    expect((await addRule(h.operatorKey, 'uc-1', { rule: RULE })).body).toEqual(first.body);
    expect((await h.request('GET', '/v1/contracts/uc-1', { key: the.provider.apiKey })).body.validationRules).toEqual([RULE]);

    const reposted = await h.request('POST', '/v1/contracts', { key: the.orchestrator.apiKey, body: sampleContract() });
    expect(reposted.status).toBe(200);
    expect(reposted.body).toEqual(first.body);
  });

  it('takes the incident that showed the rule was needed, when it is one of the contract\'s', async () => {
    await allocatedExchange(h, 'ex-rule-1');
    await h.db.store.openIncident({ id: 'inc-rule', exchangeId: 'ex-rule-1', source: 'detection', workflowId: incidentWorkflowId('inc-rule'), dispute: null });
    expect((await addRule(the.orchestrator.apiKey, 'uc-1', { rule: RULE, incidentId: 'inc-rule' })).status).toBe(200);
    expectProblemShape(await addRule(the.orchestrator.apiKey, 'uc-1', { rule: RULE, incidentId: 'inc-none' }), 404, 'NOT_FOUND');
    expect((await h.request('POST', '/v1/contracts', { key: h.operatorKey, body: sampleContract({ id: 'uc-2' }) })).status).toBe(201);
    expectProblemShape(await addRule(the.orchestrator.apiKey, 'uc-2', { rule: RULE, incidentId: 'inc-rule' }), 404, 'NOT_FOUND');
  });

  it('lets only the operator and the orchestrator add one: other parties 403, strangers and unknown contracts 404', async () => {
    expectProblemShape(await addRule(the.provider.apiKey, 'uc-2', { rule: RULE }), 403, 'FORBIDDEN');
    expectProblemShape(await addRule(the.stranger.apiKey, 'uc-2', { rule: RULE }), 404, 'NOT_FOUND');
    expectProblemShape(await addRule(h.operatorKey, 'uc-none', { rule: RULE }), 404, 'NOT_FOUND');
    expect((await h.db.store.getContract('uc-2'))?.validationRules).toEqual([]);
  });

  it('validates the body', async () => {
    const fieldsOf = async (body: unknown) => {
      const res = await addRule(the.orchestrator.apiKey, 'uc-2', body);
      expectProblemShape(res, 400, 'VALIDATION_FAILED');
      return res.body.errors.map((e: { path: string }) => e.path);
    };
    expect(await fieldsOf({})).toEqual(['rule']);
    expect(await fieldsOf({ rule: 'refuse-everything' })).toEqual(['rule']);
    expect(await fieldsOf({ rule: RULE, reason: 'x' })).toEqual(['reason']);
  });
});
