import { createRoute, z } from '@hono/zod-openapi';
import type { IncidentRecord } from '../../db/records';
import { OPEN_INCIDENT_STATUSES } from '../../db/store/incidents';
import { DvctError } from '../../domain/errors';
import { reviewInputSchema } from '../../domain/schemas';
import type { ReviewInput } from '../../workflows/definitions';
import { actorOf } from '../auth';
import { auditedRequest } from '../audit-trail';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { authorizedExchange, exchangeIdParams } from '../exchange-view';
import { decisionSchema } from '../incident-view';
import { BODY_PROBLEMS, UNKNOWN_FIELDS_NOTE, authenticated, json, jsonBody, problems } from '../openapi';
import { incidentUrl } from '../views';

const reviewedSchema = z
  .object({
    incidentId: z.string(),
    decision: decisionSchema.openapi({ description: 'The decision as the incident\'s run took it' }),
    incidentUrl: z.string().openapi({ description: 'Follow it for the correction and the rest of the timeline' }),
  })
  .openapi('ReviewAccepted');

const reviewRoute = createRoute({
  method: 'post',
  path: '/v1/exchanges/{id}/review',
  tags: ['incidents'],
  summary: 'Decide an incident that waits for a review (operator or a reviewer)',
  description: [
    'approve-correction pays what the contract makes due; adjust pays what `correctedMetrics` make due; reject leaves the distribution as first allocated.',
    'Without `incidentId` the decision goes to the exchange\'s one incident awaiting a review (400 naming `incidentId` when there are several).',
    'The decision is sent to the incident\'s run as the Temporal Update `review` (the Web UI can send the same as a Signal); the run\'s validator may refuse it.',
    '409 REVIEW_NOT_AWAITED when no incident waits for a decision (none yet, or it was decided or reached its deadline).',
    'Keys of other participants get 403 on exchanges they are a party to, 404 on others.',
    UNKNOWN_FIELDS_NOTE,
  ].join(' '),
  security: authenticated,
  request: { params: exchangeIdParams, body: jsonBody(reviewInputSchema.openapi('ReviewInput'), 'The decision') },
  responses: { 200: json(reviewedSchema, 'Taken by the incident\'s run'), ...problems(...BODY_PROBLEMS, 403, 404, 409, 503) },
});

function notAwaited(message: string, details: Record<string, unknown>): DvctError {
  return new DvctError('REVIEW_NOT_AWAITED', message, details);
}

export function reviewRoutes(deps: ApiDeps): ApiRouter {
  const { store, workflows } = deps;
  const app = createRouter();

  /** The named incident of this exchange, or the exchange's one incident awaiting a review. */
  async function incidentToDecide(exchangeId: string, incidentId: string | undefined): Promise<IncidentRecord> {
    if (incidentId !== undefined) {
      const incident = await store.getIncident(incidentId);
      if (!incident || incident.exchangeId !== exchangeId) throw new DvctError('NOT_FOUND', `Exchange ${exchangeId} has no incident ${incidentId}.`);
      // Still being handled: its run's validator knows whether it waits right now (the record may lag behind).
      if (!OPEN_INCIDENT_STATUSES.some((status) => status === incident.status)) {
        throw notAwaited(`Incident ${incidentId} is ${incident.status}: it no longer takes a review.`, { incidentId, status: incident.status });
      }
      return incident;
    }
    const awaiting = (await store.openIncidentsOf(exchangeId)).filter((i) => i.status === 'awaiting-review');
    if (awaiting.length === 0) throw notAwaited(`No incident of exchange ${exchangeId} is waiting for a review.`, { exchangeId });
    if (awaiting.length > 1) {
      const ids = awaiting.map((i) => i.id).join(', ');
      throw new DvctError('VALIDATION_FAILED', `Several incidents of exchange ${exchangeId} wait for a review: name one with incidentId (${ids}).`, {
        errors: [{ path: 'incidentId', message: `required: several incidents wait for a review (${ids})` }],
      });
    }
    return awaiting[0]!;
  }

  app.openapi(reviewRoute, async (c) => {
    const { id: exchangeId } = c.req.valid('param');
    const { incidentId, decision, correctedMetrics, comment } = c.req.valid('json');
    await authorizedExchange(c, 'incidents:review', exchangeId, deps);
    const incident = await incidentToDecide(exchangeId, incidentId);

    const input: ReviewInput = { decision, comment, reviewerId: actorOf(c.get('principal')), ...(correctedMetrics ? { correctedMetrics } : {}) };
    // Recorded, as asked, before the run is sent it: a decision never takes effect without the
    // review behind it. What the run decided is recorded by the worker (incident.decision).
    await auditedRequest(c, store, { action: 'incident.review', object: `incident:${incident.id}`, before: { status: incident.status }, after: input, workflowId: incident.workflowId });
    try {
      const decided = await workflows.submitReview(incident.id, input);
      return c.json({ incidentId: incident.id, decision: decided, incidentUrl: incidentUrl(incident.id) }, 200);
    } catch (err) {
      // The incident exists: a run that is gone has simply finished with it.
      if (err instanceof DvctError && err.code === 'NOT_FOUND') throw notAwaited(`The run of incident ${incident.id} is over: it no longer takes a review.`, { incidentId: incident.id });
      throw err;
    }
  });

  return app;
}
