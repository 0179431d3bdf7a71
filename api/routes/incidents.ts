import { createRoute, z } from '@hono/zod-openapi';
import type { IncidentFilter } from '../../db/store';
import { DvctError } from '../../domain/errors';
import { INCIDENT_STATUSES } from '../../domain/incidents';
import type { Principal } from '../auth';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { incidentSummary, incidentSummarySchema, incidentView, incidentViewSchema, incidentScope, maySeeIncident } from '../incident-view';
import { authenticated, json, problems } from '../openapi';

const LIST_PAGE = { default: 50, max: 200 };

const listQuery = z.object({
  status: z.enum(INCIDENT_STATUSES).optional().openapi({ description: 'Only incidents in this status, e.g. `awaiting-review`' }),
  exchangeId: z.string().min(1).max(256).optional().openapi({ description: 'Only the incidents of this exchange' }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(LIST_PAGE.max)
    .default(LIST_PAGE.default)
    .openapi({ description: `At most this many, newest first (default ${LIST_PAGE.default}, at most ${LIST_PAGE.max})` }),
  before: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'Only incidents opened before this instant (exclusive): pass the oldest `openedAt` of the previous page', example: '2026-11-21T10:00:00.000Z' }),
});

const listSchema = z
  .object({
    incidents: z.array(incidentSummarySchema).openapi({ description: 'Newest first' }),
    hasMore: z.boolean().openapi({ description: 'More incidents match than `limit`: ask again with `before`' }),
  })
  .openapi('IncidentList');

const listRoute = createRoute({
  method: 'get',
  path: '/v1/incidents',
  tags: ['incidents'],
  summary: 'Incidents, newest first (operator and reviewers: all; other participants: those of their exchanges)',
  description: 'A participant sees the incidents of exchanges it is a party to: as provider or consumer, as payer or recipient of an allocation, or as the contract\'s orchestrator.',
  security: authenticated,
  request: { query: listQuery },
  responses: { 200: json(listSchema, 'The incidents'), ...problems(400) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/incidents/{id}',
  tags: ['incidents'],
  summary: 'An incident with its whole timeline: detection → rollback → review → correction → re-distribution → notification',
  description: 'Findings per payer and recipient, the decision and who made it, the transactions of each step, the validation rule that would have refused the input, and the run in the Temporal Web UI. Not a party of its exchange (and not operator or reviewer): 404.',
  security: authenticated,
  request: { params: z.object({ id: z.string().min(1).max(256).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 200: json(incidentViewSchema, 'The incident'), ...problems(400, 404) },
});

export function incidentRoutes(deps: ApiDeps): ApiRouter {
  const { store } = deps;
  const app = createRouter();

  /** What the caller may list: everything, or the exchanges it is a party to (null: nothing matches). */
  async function visibleFilter(principal: Principal, status: IncidentFilter['status'], exchangeId: string | undefined): Promise<IncidentFilter | null> {
    const filter: IncidentFilter = { ...(status ? { status } : {}), ...(exchangeId ? { exchangeId } : {}) };
    const party = incidentScope(principal);
    if (party === null) return filter;
    const mine = await store.exchangeIdsOfParty(party);
    if (exchangeId !== undefined) return mine.includes(exchangeId) ? filter : null;
    return { ...filter, exchangeIds: mine };
  }

  app.openapi(listRoute, async (c) => {
    const { status, exchangeId, limit, before } = c.req.valid('query');
    const filter = await visibleFilter(c.get('principal'), status, exchangeId);
    // One more than asked, to know whether the page is complete.
    const found = filter ? await store.listIncidents(filter, { limit: limit + 1, ...(before ? { before: new Date(before) } : {}) }) : [];
    return c.json({ incidents: found.slice(0, limit).map((i) => incidentSummary(i, deps)), hasMore: found.length > limit }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const incident = await store.getIncident(id);
    if (!incident || !(await maySeeIncident(c.get('principal'), incident, deps))) throw new DvctError('NOT_FOUND', `There is no incident ${id}.`);
    const events = await store.listIncidentEvents(id);
    return c.json(incidentView(incident, events, deps), 200);
  });

  return app;
}
