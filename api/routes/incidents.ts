import { createRoute, z } from '@hono/zod-openapi';
import { authorityRolesOf, inEffect, INSTANCE_REACH, type Grant } from '../../domain/authority';
import type { IncidentFilter, IncidentRecord } from '../../db/store';
import { INCIDENT_STATUSES } from '../../domain/incidents';
import { allowed, authorize, notFound } from '../authorize';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { loadExchange, type LoadedExchange } from '../exchange-view';
import { incidentSummary, incidentSummarySchema, incidentView, incidentViewSchema, maySeeIncident } from '../incident-view';
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

/** A reviewer's grant reaches every incident: the list then starts from all of them, not the caller's exchanges. */
function hasReviewerReach(grants: readonly Grant[], registrationRoles: readonly string[]): boolean {
  const roles = authorityRolesOf(registrationRoles);
  return grants.some((g) => g.permission === 'incidents:read' && roles.includes(g.role) && (INSTANCE_REACH[g.role]?.includes('incidents:read') ?? false));
}

export function incidentRoutes(deps: ApiDeps): ApiRouter {
  const { store } = deps;
  const app = createRouter();

  app.openapi(listRoute, async (c) => {
    const { status, exchangeId, limit, before } = c.req.valid('query');
    const principal = c.get('principal');
    const filter: IncidentFilter = { ...(status ? { status } : {}), ...(exchangeId ? { exchangeId } : {}) };
    if (principal.kind === 'participant') {
      // The list itself needs incidents:read in effect somewhere; each incident then as GET /v1/incidents/{id} would decide.
      const me = principal.participant.id;
      if (!principal.grants.some((g) => g.permission === 'incidents:read' && inEffect(g, new Date()))) {
        authorize(c, 'incidents:read', { label: 'the incident list', scopes: [], parties: { [me]: authorityRolesOf(principal.participant.roles) } });
      }
      // Candidates: one exchange's incidents, all of them for a reviewer, else those of the caller's exchanges.
      if (!exchangeId && !hasReviewerReach(principal.grants, principal.participant.roles)) filter.exchangeIds = await store.exchangeIdsOfParty(me);
    }
    const loaded = new Map<string, Promise<LoadedExchange | null>>();
    const readable = async (i: IncidentRecord) => {
      if (principal.kind === 'operator') return true;
      if (!loaded.has(i.exchangeId)) loaded.set(i.exchangeId, loadExchange(i.exchangeId, deps));
      const exchange = await loaded.get(i.exchangeId)!;
      return exchange !== null && allowed(principal, 'incidents:read', exchange.object);
    };
    // Pages of candidates, filtered, until one more than asked is found (to know whether the page is complete).
    const found: IncidentRecord[] = [];
    let cursor = before ? new Date(before) : undefined;
    for (;;) {
      const candidates = await store.listIncidents(filter, { limit: limit + 1, ...(cursor ? { before: cursor } : {}) });
      for (const i of candidates) if (found.length <= limit && (await readable(i))) found.push(i);
      if (found.length > limit || candidates.length <= limit) break;
      cursor = candidates.at(-1)!.openedAt;
    }
    return c.json({ incidents: found.slice(0, limit).map((i) => incidentSummary(i, deps)), hasMore: found.length > limit }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const incident = await store.getIncident(id);
    if (!incident) throw notFound({ label: `incident ${id}` });
    await maySeeIncident(c, incident, deps);
    const events = await store.listIncidentEvents(id);
    return c.json(incidentView(incident, events, deps), 200);
  });

  return app;
}
