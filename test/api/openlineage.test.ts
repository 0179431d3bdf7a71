import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIdFor } from '../../lib/openlineage/event';
import { facetSchemaDocument } from '../../lib/openlineage/facets';
import { exchange, node } from '../db/fixtures';
import { createHarness, expectProblemShape, type Harness } from './harness';

let h: Harness;
let provider: string, stranger: string;

beforeAll(async () => {
  h = await createHarness();
  provider = (await h.register('prov', ['data-provider'])).apiKey;
  await h.register('cons', ['data-consumer']);
  stranger = (await h.register('org-x', ['data-consumer'])).apiKey;
  await h.db.store.insertExchangeIfAbsent(exchange('ex-ol'));
  await h.db.store.upsertNode(node('node-in', { dataId: 'data-in', ownerId: 'prov' }));
  await h.db.store.upsertNode(node('node-out', { dataId: 'data-out', kind: 'final-data', ownerId: 'cons' }));
  await h.db.store.updateExchange('ex-ol', { consumedNodeId: 'node-in', outputNodeId: 'node-out' });
});
afterAll(() => h?.close());

describe('GET /v1/exchanges/{id}/openlineage', () => {
  it('answers the exchange as a RunEvent to a party of it', async () => {
    const res = await h.request('GET', '/v1/exchanges/ex-ol/openlineage', { key: provider });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      eventType: 'RUNNING',
      producer: 'http://dvct.test',
      run: { runId: runIdFor('ex-ol') },
      job: { name: 'uc-1' },
      inputs: [{ name: 'data-in' }],
      outputs: [{ name: 'data-out', facets: { dvct_node: { kind: 'final-data' } } }],
    });
  });

  it('follows the exchange\'s visibility: the operator sees it, another member gets 404, no key 401', async () => {
    expect((await h.request('GET', '/v1/exchanges/ex-ol/openlineage', { key: h.operatorKey })).status).toBe(200);
    expectProblemShape(await h.request('GET', '/v1/exchanges/ex-ol/openlineage', { key: stranger }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/exchanges/ex-nope/openlineage', { key: h.operatorKey }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/exchanges/ex-ol/openlineage'), 401, 'UNAUTHENTICATED');
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await h.request('GET', '/openapi.json')).body;
    expect(doc.paths['/v1/exchanges/{id}/openlineage'].get.responses['200']).toBeDefined();
  });
});

describe('GET /openlineage/facets/{version}/{name}.json', () => {
  it('serves the JSON Schema each facet\'s _schemaURL names, without a key', async () => {
    const res = await h.request('GET', '/openlineage/facets/1-0-0/DvctExchangeRunFacet.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(facetSchemaDocument('http://dvct.test', 'dvct_exchange'));
  });

  it('404s an unknown facet or version', async () => {
    expectProblemShape(await h.request('GET', '/openlineage/facets/1-0-0/Nope.json'), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/openlineage/facets/9-9-9/DvctNodeDatasetFacet.json'), 404, 'NOT_FOUND');
  });
});
