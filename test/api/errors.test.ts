import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { DvctError } from '../../domain/errors';
import { createHarness, expectProblemShape, seedReport, type Harness } from './harness';

let h: Harness;
let consumerKey: string;
beforeAll(async () => {
  h = await createHarness();
  consumerKey = (await h.register('org-c1', ['data-consumer'])).apiKey;
});
afterAll(() => h?.close());

function postReport(body: unknown) {
  return h.request('POST', '/v1/exchanges', { key: consumerKey, body });
}

function pathsOf(res: { body: { errors?: { path: string }[] } }): string[] {
  return (res.body.errors ?? []).map((e) => e.path);
}

describe('validation errors name the field', () => {
  it('a missing dataId', async () => {
    const { dataId: _omitted, ...report } = seedReport();
    const res = await postReport(report);
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(pathsOf(res)).toEqual(['dataId']);
    expect(res.body.detail).toContain('dataId');
  });

  it('prevDataId as a number', async () => {
    const res = await postReport(seedReport({ prevDataId: 42 }));
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toEqual([{ path: 'prevDataId', message: expect.stringMatching(/string|array/) }]);
  });

  it('an unknown field, also nested', async () => {
    const res = await postReport(seedReport({ dataOwner: 'x', incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false, bonus: 1 } }));
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(pathsOf(res).sort()).toEqual(['dataOwner', 'incentiveForDataProvider.bonus']);
    expect(res.body.errors[0].message).toMatch(/unknown field/i);
  });

  it('every wrong field at once, with array positions', async () => {
    const res = await postReport(seedReport({ dataProviderId: '', prevDataId: ['ok', 7] }));
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(pathsOf(res).sort()).toEqual(['dataProviderId', 'prevDataId']);
  });

  it('a body that is not an object', async () => {
    const res = await postReport([1, 2]);
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(pathsOf(res)).toEqual(['']);
  });

  it('a bad header', async () => {
    const res = await h.request('POST', '/v1/exchanges', { key: consumerKey, body: seedReport(), headers: { 'idempotency-key': 'x'.repeat(256) } });
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(pathsOf(res)).toEqual(['Idempotency-Key']);
  });
});

describe('control characters in the path or query', () => {
  // Found by fuzzing: a NUL in ?exchangeId reached the SQLite driver and came back as a 500.
  it('a NUL or a newline in a query parameter → 400 naming the parameter', async () => {
    for (const value of ['ex%00', 'qv%0A1', '%7F']) {
      const res = await h.request('GET', `/v1/incidents?status=open&exchangeId=${value}`, { key: consumerKey });
      expectProblemShape(res, 400, 'VALIDATION_FAILED');
      expect(pathsOf(res)).toEqual(['exchangeId']);
    }
  });

  it('a NUL in a path segment → 400, not a lookup', async () => {
    const res = await h.request('GET', '/v1/exchanges/ex%001', { key: consumerKey });
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(pathsOf(res)).toEqual(['path']);
  });

  it('(control) printable non-ASCII ids are fine', async () => {
    const res = await h.request('GET', `/v1/incidents?exchangeId=${encodeURIComponent('exchange-ü-𧇊')}`, { key: consumerKey });
    expect(res.status).toBe(200);
  });
});

describe('the body itself', () => {
  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    const res = await h.request('POST', '/v1/exchanges', { key: consumerKey, rawBody: '{"dataId": "a",', headers: { 'content-type': 'application/json' } });
    expectProblemShape(res, 400, 'MALFORMED_JSON');
  });

  it('an empty JSON body → 400 MALFORMED_JSON', async () => {
    const res = await h.request('POST', '/v1/exchanges', { key: consumerKey, rawBody: '', headers: { 'content-type': 'application/json' } });
    expectProblemShape(res, 400, 'MALFORMED_JSON');
  });

  it('a wrong or missing content type → 415', async () => {
    const body = JSON.stringify(seedReport());
    expectProblemShape(
      await h.request('POST', '/v1/exchanges', { key: consumerKey, rawBody: body, headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectProblemShape(await h.request('POST', '/v1/exchanges', { key: consumerKey, rawBody: body }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    // A charset parameter is fine.
    const ok = await h.request('POST', '/v1/exchanges', { key: consumerKey, rawBody: body, headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(ok.status).toBe(202);
  });

  it('a body over 1 MiB → 413, with and without content-length', async () => {
    const huge = JSON.stringify(seedReport({ usecaseContractTitle: 'x'.repeat(1024 * 1024) }));
    const streamed = await h.request('POST', '/v1/exchanges', { key: consumerKey, rawBody: huge, headers: { 'content-type': 'application/json' } });
    expectProblemShape(streamed, 413, 'PAYLOAD_TOO_LARGE');
    const declared = await h.request('POST', '/v1/exchanges', {
      key: consumerKey,
      rawBody: huge,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(huge)) },
    });
    expectProblemShape(declared, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('every other failure has the same shape', () => {
  it('an unknown route → 404, with and without /v1', async () => {
    expectProblemShape(await h.request('GET', '/nowhere'), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/nowhere', { key: consumerKey }), 404, 'NOT_FOUND');
    // A known path with a method it does not take is no longer 404 but 405 (below).
    expectProblemShape(await h.request('DELETE', '/v1/exchanges/ex-1', { key: consumerKey }), 405, 'METHOD_NOT_ALLOWED');
  });

  it('a method the path does not take → 405 with Allow, before the key and the body are looked at', async () => {
    for (const [method, path, allow] of [
      ['PUT', '/v1/contracts/uc-1', 'GET, HEAD'],
      ['DELETE', '/v1/exchanges', 'POST'],
      ['OPTIONS', '/health', 'GET, HEAD'],
      ['PATCH', '/v1/participants/org-c1/keys/abc', 'DELETE'],
    ] as const) {
      const res = await h.request(method, path, method === 'OPTIONS' ? {} : { rawBody: 'not json' });
      expectProblemShape(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
    }
    expect((await h.request('HEAD', '/health')).status).toBe(200);
  });

  it('echoes a caller\'s request id and makes one up otherwise', async () => {
    const echoed = await h.request('GET', '/nowhere', { headers: { 'x-request-id': 'abc-123' } });
    expect(echoed.body.requestId).toBe('abc-123');
    const made = await h.request('GET', '/nowhere');
    expect(made.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('an unexpected error → 500 INTERNAL without internals, logged under the request id', async () => {
    const participant = await h.register('org-broken', ['data-provider']);
    h.chain.failure = new Error('secret internal state at /srv/dvct/chain.ts:42');
    try {
      const res = await h.request('GET', '/v1/participants/org-broken/balance', { key: participant.apiKey, headers: { 'x-request-id': 'boom-1' } });
      expectProblemShape(res, 500, 'INTERNAL');
      expect(res.text).not.toContain('secret internal state');
      expect(res.text).not.toContain('chain.ts');
      const logged = h.logLines.map((l) => JSON.parse(l)).find((l) => l.requestId === 'boom-1' && l.err);
      expect(logged?.err.message).toContain('secret internal state');
    } finally {
      h.chain.failure = null;
    }
  });

  it('a database that stays locked → 503 DEPENDENCY_UNAVAILABLE with Retry-After, not a 500', async () => {
    const busy = () => Promise.reject(new DvctError('DEPENDENCY_UNAVAILABLE', 'The database is busy or unreachable; retry in a moment'));
    const store = { ...h.db.store, getNode: busy };
    const app = createApp({ config: h.config, store, workflows: h.gateway, chain: h.chain, log: pino({ level: 'silent' }) });
    const res = await app.request('/v1/nodes/n1', { headers: { authorization: `Bearer ${h.operatorKey}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', detail: 'The database is busy or unreachable; retry in a moment' });
  });

  it('a VALIDATION_FAILED from a domain check names the field it carries', async () => {
    const store = { ...h.db.store, getNode: () => Promise.reject(new DvctError('VALIDATION_FAILED', 'depth must be a non-negative integer', { field: 'depth' })) };
    const app = createApp({ config: h.config, store, workflows: h.gateway, chain: h.chain, log: pino({ level: 'silent' }) });
    const res = await app.request('/v1/nodes/n1/lineage', { headers: { authorization: `Bearer ${h.operatorKey}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'depth', message: 'depth must be a non-negative integer' }] });
  });

  it('Temporal down while reporting → 503, and the retry succeeds with the same exchange', async () => {
    h.gateway.failStarts = true;
    const report = seedReport({ dataId: 'data-503' });
    let first;
    try {
      first = await postReport(report);
    } finally {
      h.gateway.failStarts = false;
    }
    expectProblemShape(first, 503, 'DEPENDENCY_UNAVAILABLE');
    expect(first.text).not.toContain('ECONNREFUSED');
    const retry = await postReport(report);
    expect(retry.status).toBe(202);
    expect(retry.body.duplicate).toBe(true);
    expect(h.gateway.starts.filter((s) => s.workflowId === retry.body.workflowId)).toHaveLength(1);
  });
});
