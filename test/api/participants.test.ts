import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DvctError } from '../../domain/errors';
import { createHarness, expectProblemShape, seedReport, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

describe('POST /v1/participants', () => {
  it('shows a new participant its key once, and the key works', async () => {
    const res = await h.request('POST', '/v1/participants', {
      key: h.operatorKey,
      body: { id: 'org-bob', name: 'Bob GmbH', roles: ['data-provider'], walletAddress: '0xABCDEF0000000000000000000000000000000001', webhookUrl: 'https://bob.test/hook' },
    });
    expect(res.status).toBe(201);
    expect(res.body.apiKey).toMatch(/^dvct_[0-9a-f]{12}_[A-Za-z0-9_-]{43,}$/);
    expect(res.body.webhookSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.participant).toEqual({
      id: 'org-bob',
      name: 'Bob GmbH',
      roles: ['data-provider'],
      walletAddress: '0xabcdef0000000000000000000000000000000001',
      webhookUrl: 'https://bob.test/hook',
      status: 'active',
      suspendedAt: null,
      suspensionReason: null,
    });
    expect(res.body.onboarding).toBeUndefined();

    const again = await h.request('GET', '/v1/participants/org-bob', { key: res.body.apiKey });
    expect(again.status).toBe(200);
    expect(again.text).not.toContain(res.body.apiKey);
    expect(again.body).not.toHaveProperty('apiKey');
    expect(again.body).not.toHaveProperty('webhookSecret');

    // The database keeps only the key id and a hash.
    const [, keyId, ...secret] = (res.body.apiKey as string).split('_');
    const stored = [await h.db.store.getParticipant('org-bob'), await h.db.store.findApiKey(keyId!)];
    expect(stored[1]).toMatchObject({ keyId, participantId: 'org-bob', secretHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(stored)).not.toContain(secret.join('_'));
  });

  it('registers a participant with initial points and starts its onboarding run', async () => {
    const res = await h.request('POST', '/v1/participants', {
      key: h.operatorKey,
      body: { id: 'org-grace', name: 'Grace', roles: ['orchestrator'], walletAddress: `0x${'9'.repeat(40)}`, initialPoints: '1000.5' },
    });
    expect(res.status).toBe(201);
    expect(res.body.onboarding).toEqual({ workflowId: 'participant-org-grace', uiUrl: expect.stringContaining('participant-org-grace') });
    expect(h.gateway.starts.at(-1)).toMatchObject({ kind: 'onboarding', input: { participantId: 'org-grace', initialUnits: '1000500000000000000000' } });
  });

  it('still hands out the key when Temporal does not start the onboarding run', async () => {
    h.gateway.failStarts = true;
    try {
      const res = await h.request('POST', '/v1/participants', {
        key: h.operatorKey,
        body: { id: 'org-heidi', name: 'Heidi', roles: ['data-provider'], walletAddress: `0x${'8'.repeat(40)}`, initialPoints: 5 },
      });
      expect(res.status).toBe(201);
      expect(res.body.apiKey).toMatch(/^dvct_/);
      expect(res.body.onboarding.error.code).toBe('DEPENDENCY_UNAVAILABLE');
      expect((await h.request('GET', '/v1/participants/org-heidi', { key: res.body.apiKey })).status).toBe(200);
    } finally {
      h.gateway.failStarts = false;
    }
  });

  it('refuses a second registration of the same id with 409', async () => {
    await h.register('org-ivan', ['data-provider']);
    const res = await h.request('POST', '/v1/participants', {
      key: h.operatorKey,
      body: { id: 'org-ivan', name: 'Ivan again', roles: ['data-provider'], walletAddress: `0x${'7'.repeat(40)}` },
    });
    expectProblemShape(res, 409, 'CONFLICT');
  });

});

describe('GET /v1/participants/{id}/balance', () => {
  it('adds the wallet (chain) to what the ledger holds for the participant, in points and units', async () => {
    const p = await h.register('org-kim', ['data-provider']);
    await h.register('org-payer', ['data-consumer']);
    h.chain.balances.set(p.wallet, 12n * 10n ** 18n + 5n);
    // Beyond 2^64 units: summed exactly.
    const big = (2n ** 70n).toString();
    const exchange = await h.request('POST', '/v1/exchanges', {
      key: h.operatorKey,
      body: seedReport({ dataProviderId: 'org-kim', dataConsumerId: 'org-payer' }),
    });
    await h.db.store.recordDistribution({
      exchangeId: exchange.body.exchangeId,
      parts: [{ payerId: 'org-payer', recipientId: 'org-kim', amount: big, reason: 'data-provider', nodeId: null, depth: 0, contractId: 'dc-1' }],
      lines: [{ payerId: 'org-payer', recipientId: 'org-kim', amount: big }],
      allocationTxHash: null,
      releaseAt: new Date('2030-01-01T00:00:00Z'),
    });

    const res = await h.request('GET', '/v1/participants/org-kim/balance', { key: p.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      participantId: 'org-kim',
      walletAddress: p.wallet,
      wallet: '12.000000000000000005',
      walletUnits: '12000000000000000005',
      allocated: '1180.591620717411303424',
      allocatedUnits: big,
      released: '0',
      releasedUnits: '0',
      revoked: '0',
      revokedUnits: '0',
    });
    expect((await h.request('GET', '/v1/participants/org-kim/balance', { key: h.operatorKey })).status).toBe(200);
  });

  it('answers 503 when the chain cannot say, and 404 for an unknown participant', async () => {
    const p = await h.register('org-lee', ['data-provider']);
    h.chain.failure = new DvctError('DEPENDENCY_UNAVAILABLE', 'The chain at http://127.0.0.1:8545 did not answer balanceOf');
    try {
      expectProblemShape(await h.request('GET', '/v1/participants/org-lee/balance', { key: p.apiKey }), 503, 'DEPENDENCY_UNAVAILABLE');
    } finally {
      h.chain.failure = null;
    }
    expectProblemShape(await h.request('GET', '/v1/participants/org-nobody/balance', { key: h.operatorKey }), 404, 'NOT_FOUND');
  });
});
