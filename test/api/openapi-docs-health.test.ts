import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, expectProblemShape, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

// Tests read the OpenAPI document as plain JSON.
type Json = any;

const OPERATIONS = [
  'get /health',
  'post /v1/participants',
  'get /v1/participants/{id}',
  'patch /v1/participants/{id}',
  'post /v1/participants/{id}/suspend',
  'post /v1/participants/{id}/reinstate',
  'get /v1/participants/{id}/balance',
  'get /v1/participants/{id}/notifications',
  'get /v1/participants/{id}/keys',
  'post /v1/participants/{id}/keys',
  'post /v1/participants/{id}/keys/{keyId}/rotate',
  'delete /v1/participants/{id}/keys/{keyId}',
  'get /v1/participants/{id}/grants',
  'post /v1/participants/{id}/grants',
  'delete /v1/participants/{id}/grants/{grantId}',
  'get /v1/me',
  'get /v1/participants/{id}/report',
  'post /v1/contracts',
  'get /v1/contracts/{id}',
  'post /v1/contracts/{id}/settlements',
  'post /v1/contracts/{id}/validation-rules',
  'post /v1/exchanges',
  'get /v1/exchanges/{id}',
  'get /v1/exchanges/{id}/openlineage',
  'get /v1/exchanges/{id}/verification',
  'post /v1/exchanges/{id}/revocations',
  'post /v1/exchanges/{id}/disputes',
  'post /v1/exchanges/{id}/review',
  'get /v1/incidents',
  'get /v1/incidents/{id}',
  'get /v1/nodes/{nodeId}',
  'get /v1/nodes/{nodeId}/lineage',
  'get /v1/audit',
  'get /v1/audit/verify',
  'get /v1/directory',
  'post /v1/peer/prevroot-updates',
  'get /v1/peer/nodes/{nodeId}/lineage',
  'get /v1/peer/exchanges/{id}/record',
];

function resolve(doc: Json, ref: string): Json {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce((node: Json, key) => (node === undefined ? undefined : node[key.replaceAll('~1', '/').replaceAll('~0', '~')]), doc);
}

function refsIn(value: Json, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

describe('GET /openapi.json', () => {
  let doc: Json;
  beforeAll(async () => {
    const res = await h.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });

  it('is OpenAPI 3.1 with every route and nothing else', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    expect(operations.sort()).toEqual([...OPERATIONS].sort());
  });

  it('resolves every $ref', () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(resolve(doc, ref), ref).toBeDefined();
  });

  it('answers every error with the problem+json schema, and requires a bearer key on /v1', () => {
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const problem = doc.components.schemas.Problem;
    expect(problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'requestId']));
    expect(problem.properties.code.enum).toEqual(expect.arrayContaining(['VALIDATION_FAILED', 'UNAUTHENTICATED', 'IDEMPOTENCY_KEY_REUSED']));

    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method} ${path}`;
        expect(op.summary, where).toBeTruthy();
        const statuses = Object.keys(op.responses);
        expect(statuses.some((s) => s.startsWith('2')), where).toBe(true);
        for (const status of statuses) {
          expect(op.responses[status].description, `${where} ${status}`).toBeTruthy();
          if (Number(status) < 400 || path === '/health') continue;
          expect(op.responses[status].content, `${where} ${status}`).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
        }
        if (path.startsWith('/v1/')) {
          // Instance-to-instance routes take a peer's signature instead of an API key.
          expect(op.security, where).toEqual(path.startsWith('/v1/peer/') ? [{ peerSignature: [] }] : [{ bearerAuth: [] }]);
          expect(statuses, where).toEqual(expect.arrayContaining(['401', '500']));
        }
        if (method === 'post') {
          expect(op.requestBody.required, where).toBe(true);
          expect(statuses, where).toEqual(expect.arrayContaining(['400', '413', '415']));
        }
      }
    }
  });

  it('documents the request bodies as strict, with the seed\'s field names', () => {
    const body = doc.paths['/v1/exchanges'].post.requestBody.content['application/json'].schema;
    const report = body.$ref ? resolve(doc, body.$ref) : body;
    expect(report.additionalProperties).toBe(false);
    expect(report.required).toEqual(expect.arrayContaining(['dvctId', 'usecaseContractId', 'contractId', 'dataId', 'dataProviderId', 'dataConsumerId']));
    expect(Object.keys(report.properties)).toContain('prevDataId');
    const header = doc.paths['/v1/exchanges'].post.parameters.find((p: Json) => p.in === 'header');
    expect(header).toMatchObject({ name: 'Idempotency-Key', required: false });
    const query = doc.paths['/v1/nodes/{nodeId}/lineage'].get.parameters.filter((p: Json) => p.in === 'query').map((p: Json) => p.name);
    expect(query.sort()).toEqual(['depth', 'direction']);
  });

  it('is served without a key, as JSON', async () => {
    const res = await h.request('GET', '/openapi.json');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('GET /docs', () => {
  const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

  it('serves Swagger UI from local files only: no CDN, no outside URL', async () => {
    const page = await h.request('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).not.toMatch(/https?:\/\//);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui-bundle.js', '/docs/assets/docs-initializer.js']));

    for (const asset of assets) {
      const res = await h.app.request(asset);
      expect(res.status, asset).toBe(200);
      const name = asset.split('/').pop()!;
      if (name === 'docs-initializer.js') {
        const js = await res.text();
        expect(js).toContain("url: '/openapi.json'");
        expect(js).toContain('validatorUrl: null');
        expect(js).not.toMatch(/https?:\/\//);
      } else {
        const served = Buffer.from(await res.arrayBuffer());
        expect(served.equals(await readFile(join(swaggerDir, name))), asset).toBe(true);
      }
    }
  });

  it('serves nothing else from the package', async () => {
    expectProblemShape(await h.request('GET', '/docs/assets/package.json'), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/docs/assets/..%2F..%2Fpackage.json'), 404, 'NOT_FOUND');
  });
});

describe('GET /health', () => {
  it('answers 200 and each component when all answer, without a key', async () => {
    const res = await h.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      components: {
        temporal: { ok: true, detail: 'fake temporal' },
        database: { ok: true, detail: h.config.database.kind },
        chain: { ok: true, detail: 'fake chain' },
      },
    });
  });

  it('answers 503 degraded when a component fails or hangs, naming it', async () => {
    const healthy = h.gateway.health;
    h.chain.healthy = { ok: false, detail: 'connection refused' };
    h.gateway.health = () => new Promise(() => {});
    try {
      const started = Date.now();
      const res = await h.request('GET', '/health');
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        status: 'degraded',
        components: {
          temporal: { ok: false, detail: expect.stringContaining('did not answer') },
          database: { ok: true },
          chain: { ok: false, detail: 'connection refused' },
        },
      });
    } finally {
      h.chain.healthy = { ok: true, detail: 'fake chain' };
      h.gateway.health = healthy;
    }
  });
});
