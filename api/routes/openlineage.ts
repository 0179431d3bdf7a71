import { createRoute, z } from '@hono/zod-openapi';
import { DvctError } from '../../domain/errors';
import { buildRunEvent, RUN_EVENT_SCHEMA_URL } from '../../lib/openlineage/event';
import { FACET_VERSION, facetKeyOfName, facetSchemaDocument } from '../../lib/openlineage/facets';
import { runEventSource } from '../../lib/openlineage/source';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { authorizedExchange, exchangeIdParams } from '../exchange-view';
import { authenticated, json, problems } from '../openapi';

const facetsField = z
  .record(z.string(), z.unknown())
  .openapi({ description: 'DVCT facets (`dvct_…`); each names its JSON Schema in `_schemaURL`, served under /openlineage/facets/' });

const datasetSchema = z.object({
  namespace: z.string().openapi({ example: 'dvct://dvct-local' }),
  name: z.string().openapi({ description: 'The dataId' }),
  facets: facetsField,
});

const runEventSchema = z
  .object({
    eventType: z.enum(['RUNNING', 'COMPLETE', 'FAIL', 'ABORT']).openapi({ description: 'running → RUNNING, completed → COMPLETE, rejected / failed → FAIL, cancelled → ABORT' }),
    eventTime: z.string().openapi({ description: 'When the exchange record last changed' }),
    producer: z.string().openapi({ description: 'This DVCT instance (its public URL)' }),
    schemaURL: z.string().openapi({ example: RUN_EVENT_SCHEMA_URL }),
    run: z.object({ runId: z.string().openapi({ description: 'A UUID derived from the exchange id: the same on every call' }), facets: facetsField }),
    job: z.object({ namespace: z.string(), name: z.string().openapi({ description: 'The use-case contract id' }), facets: facetsField }),
    inputs: z.array(datasetSchema).openapi({ description: 'The data consumed (none for a pool settlement)' }),
    outputs: z.array(datasetSchema).openapi({ description: 'The data the consumer produced (none for a pool settlement)' }),
  })
  .openapi('OpenLineageRunEvent');

const runEventRoute = createRoute({
  method: 'get',
  path: '/v1/exchanges/{id}/openlineage',
  tags: ['exchanges'],
  summary: 'The exchange as an OpenLineage RunEvent (spec 2-0-2), for Marquez or any OpenLineage consumer',
  description:
    'Job = the use-case contract, run = the exchange, inputs = the data consumed, outputs = the data produced; the `dvct_exchange` run facet names provider, consumer, contracts and points. Needs `exchanges:read` on the exchange, as GET /v1/exchanges/{id}: another organisation\'s exchange answers 404.',
  security: authenticated,
  request: { params: exchangeIdParams },
  responses: { 200: json(runEventSchema, 'The RunEvent'), ...problems(400, 403, 404) },
});

export function openLineageRoutes(deps: ApiDeps): ApiRouter {
  const { store, config } = deps;
  const app = createRouter();
  const instance = { dvctId: config.instanceId, publicUrl: config.api.publicUrl };

  app.openapi(runEventRoute, async (c) => {
    // The same decision as GET /v1/exchanges/{id}: whoever may read the exchange may read it as lineage.
    const { exchange, allocations } = await authorizedExchange(c, 'exchanges:read', c.req.valid('param').id, deps);
    return c.json(buildRunEvent(await runEventSource(store, instance, exchange, allocations)), 200);
  });

  // The documents the facets' `_schemaURL`s name: public, like /openapi.json, and the same for everyone.
  app.get('/openlineage/facets/:version/:file', (c) => {
    const { version, file } = c.req.param();
    const key = file.endsWith('.json') ? facetKeyOfName(file.slice(0, -'.json'.length)) : undefined;
    if (version !== FACET_VERSION || !key) throw new DvctError('NOT_FOUND', `There is no facet schema ${version}/${file}.`);
    return c.json(facetSchemaDocument(config.api.publicUrl, key), 200, { 'cache-control': 'public, max-age=86400' });
  });

  return app;
}
