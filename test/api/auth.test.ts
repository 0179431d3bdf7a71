import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { ensureOperatorKey, OPERATOR_KEY_SETTING } from '../../api/auth';
import { createHarness, expectProblemShape, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

describe('API keys', () => {
  it('answers 401 without a key, with a malformed key and with a wrong secret', async () => {
    const alice = await h.register('org-alice', ['data-consumer']);
    const [keyId] = alice.apiKey.split('_').slice(1, 2);
    const wrongSecret = `dvct_${keyId}_${'A'.repeat(43)}`;

    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer nonsense' }, { authorization: `Bearer ${wrongSecret}` }, { authorization: `Basic ${alice.apiKey}` }];
    for (const headers of attempts) {
      const res = await h.request('GET', '/v1/participants/org-alice', { headers });
      expectProblemShape(res, 401, 'UNAUTHENTICATED');
    }
  });

  it('answers 404 to a valid key reading another organisation, 403 to one acting as operator', async () => {
    const carol = await h.register('org-carol', ['data-consumer']);
    await h.register('org-dave', ['data-consumer']);
    // Outside the caller's scope: 404, as for an id nobody registered, so a key cannot probe which ids exist.
    expectProblemShape(await h.request('GET', '/v1/participants/org-dave', { key: carol.apiKey }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/participants/org-dave/balance', { key: carol.apiKey }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/participants/org-nobody', { key: carol.apiKey }), 404, 'NOT_FOUND');
    const register = await h.request('POST', '/v1/participants', {
      key: carol.apiKey,
      body: { id: 'org-eve', name: 'Eve', roles: ['data-consumer'], walletAddress: `0x${'e'.repeat(40)}` },
    });
    expectProblemShape(register, 403, 'FORBIDDEN');
  });

  it('lets the operator read any participant and 404s an unknown one', async () => {
    await h.register('org-frank', ['data-provider']);
    expect((await h.request('GET', '/v1/participants/org-frank', { key: h.operatorKey })).status).toBe(200);
    expectProblemShape(await h.request('GET', '/v1/participants/org-nobody', { key: h.operatorKey }), 404, 'NOT_FOUND');
  });

  it('logs the key id of each request and never the key', async () => {
    const judy = await h.register('org-judy', ['data-consumer']);
    const requestId = 'trace-judy-1';
    await h.request('GET', '/v1/participants/org-judy', { key: judy.apiKey, headers: { 'x-request-id': requestId } });
    const line = h.logLines.map((l) => JSON.parse(l)).find((l) => l.requestId === requestId);
    expect(line).toMatchObject({ method: 'GET', path: '/v1/participants/org-judy', status: 200, keyId: judy.apiKey.split('_')[1] });
    expect(typeof line.ms).toBe('number');
    const secret = judy.apiKey.split('_').slice(2).join('_');
    expect(h.logLines.some((l) => l.includes(secret))).toBe(false);
    expect(h.logLines.some((l) => l.includes(h.operatorKey))).toBe(false);
  });

  it('generates an operator key once when none is configured, and that key authenticates', async () => {
    const config = { ...h.config, api: { ...h.config.api, operatorKey: undefined } };
    const first = await ensureOperatorKey(config, h.db.store);
    expect(first.source).toBe('created');
    const second = await ensureOperatorKey(config, h.db.store);
    expect(second).toEqual({ source: 'stored' });
    expect(await h.db.store.getSetting(OPERATOR_KEY_SETTING)).toMatch(/^[0-9a-f]{64}$/);

    const app = createApp({ config, store: h.db.store, workflows: h.gateway, chain: h.chain, log: pino({ level: 'silent' }) });
    const key = first.source === 'created' ? first.key : '';
    const ok = await app.request('/v1/participants/org-alice', { headers: { authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(200);
    const bad = await app.request('/v1/participants/org-alice', { headers: { authorization: `Bearer ${key}x` } });
    expect(bad.status).toBe(401);
  });
});
