import { createRoute, z } from '@hono/zod-openapi';
import type { AllocationRecord, ExchangeRecord } from '../../db/records';
import { OPEN_INCIDENT_STATUSES } from '../../db/store/incidents';
import { DvctError } from '../../domain/errors';
import { disputeInputSchema } from '../../domain/schemas';
import { incidentIdFor, incidentWorkflowId } from '../../lib/ids';
import { canonicalJson } from '../../lib/record-hash';
import { auditedChange } from '../audit-trail';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { authorizedExchange, exchangeIdParams } from '../exchange-view';
import { BODY_PROBLEMS, UNKNOWN_FIELDS_NOTE, authenticated, json, jsonBody, problems } from '../openapi';
import { startRun } from '../start-run';
import { incidentUrl } from '../views';

const disputeAcceptedSchema = z
  .object({
    incidentId: z.string(),
    workflowId: z.string().openapi({ description: '`incident-<incidentId>`: a child of the exchange\'s run while that run is open, else of the exchange\'s incident queue `incidents-<exchangeId>`' }),
    temporalUiUrl: z.string(),
    statusUrl: z.string().openapi({ description: 'The incident: its status, findings, decision and timeline' }),
    duplicate: z.boolean().openapi({ description: 'True when this party disputed the same way before: the same incident, no second one' }),
  })
  .openapi('DisputeAccepted');

const disputeRoute = createRoute({
  method: 'post',
  path: '/v1/exchanges/{id}/disputes',
  tags: ['incidents'],
  summary: 'Dispute what you received in an exchange (a party of it)',
  description: [
    'Opens an incident: the DVCT recomputes what is due (the contract, as amended by deliberate revocations and decided incidents), compares it with what the chain holds, and corrects or explains (a review may be needed). The answer comes as notifications and on the incident.',
    'The incident id is derived from the exchange, the caller and the request, so the same dispute again is the same incident.',
    'Parties are the provider, the consumer, whoever pays or is paid in the exchange, and the contract\'s orchestrator; anyone else gets 404. The operator key gets 403: disputes come from participants.',
    'An exchange that allocated nothing (rejected, or not allocated yet) answers 409 CONFLICT.',
    UNKNOWN_FIELDS_NOTE,
  ].join(' '),
  security: authenticated,
  request: { params: exchangeIdParams, body: jsonBody(disputeInputSchema.openapi('DisputeInput'), 'What you expected and why') },
  responses: { 202: json(disputeAcceptedSchema, 'Accepted; follow statusUrl'), ...problems(...BODY_PROBLEMS, 403, 404, 409, 503) },
});

/** Nothing allocated means nothing to dispute: say why, in the exchange's own terms. */
function nothingAllocated(exchange: ExchangeRecord): DvctError {
  const why =
    exchange.status === 'running'
      ? 'has allocated nothing yet: dispute it once its allocations show on its status URL'
      : `ended ${exchange.status} before anything was allocated: there is nothing to dispute`;
  return new DvctError('CONFLICT', `Exchange ${exchange.id} ${why}.`, { exchangeId: exchange.id, status: exchange.status });
}

/** Everyone the incident concerns, for the run's search attribute. */
function participantsOf(exchange: ExchangeRecord, allocations: AllocationRecord[], disputer: string): string[] {
  const ids = [exchange.providerId, exchange.consumerId, ...allocations.flatMap((a) => [a.payerId, a.recipientId]), disputer];
  return [...new Set(ids.filter((id): id is string => id !== null))].sort();
}

export function disputeRoutes(deps: ApiDeps): ApiRouter {
  const { store, workflows } = deps;
  const app = createRouter();

  app.openapi(disputeRoute, async (c) => {
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const { exchange, allocations } = await authorizedExchange(c, 'exchanges:dispute', id, deps);
    const principal = c.get('principal');
    // The operator never gets here: authority refuses it disputes (they come from participants).
    const participantId = principal.kind === 'participant' ? principal.participant.id : 'operator';
    if (allocations.length === 0) throw nothingAllocated(exchange);

    const dispute = { participantId, expectedPoints: input.expectedPoints ?? null, reason: input.reason };
    const incidentId = incidentIdFor(exchange.id, 'dispute', [participantId, canonicalJson({ expectedPoints: dispute.expectedPoints, reason: dispute.reason })]);
    // Recorded with its entry before the incident is raised in Temporal: a raised incident never lacks its dispute.
    const { incident, created } = await auditedChange(
      c,
      store,
      () => store.openIncident({ id: incidentId, exchangeId: exchange.id, source: 'dispute', dispute, workflowId: incidentWorkflowId(incidentId) }),
      ({ incident, created }) => ({ action: created ? 'incident.dispute' : 'incident.dispute-again', object: `exchange:${exchange.id}`, after: { incidentId, dispute }, workflowId: incident.workflowId }),
    );

    // Raised on every request while the incident is being handled, so a retry heals a crash between
    // recording and raising; both the exchange's run and Temporal's id policy take it once.
    const stillOpen = OPEN_INCIDENT_STATUSES.some((status) => status === incident.status);
    const run = stillOpen
      ? await startRun(`the handling of incident ${incidentId}`, () =>
          workflows.raiseIncident({
            exchangeWorkflowId: exchange.workflowId,
            incidentId,
            exchangeId: exchange.id,
            source: 'dispute',
            meta: { contractId: exchange.usecaseContractId, participants: participantsOf(exchange, allocations, participantId) },
          }),
        )
      : { workflowId: incident.workflowId, uiUrl: workflows.runUrl(incident.workflowId) };

    return c.json({ incidentId, workflowId: run.workflowId, temporalUiUrl: run.uiUrl, statusUrl: incidentUrl(incidentId), duplicate: !created }, 202);
  });

  return app;
}
