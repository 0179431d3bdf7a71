import { createRoute, z } from '@hono/zod-openapi';
import { DvctError } from '../../domain/errors';
import { idSchema } from '../../domain/schemas';
import { revocationIdFor, revocationWorkflowId } from '../../lib/ids';
import { actorOf } from '../auth';
import { auditedRequest } from '../audit-trail';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { authorizedExchange, exchangeIdParams } from '../exchange-view';
import { BODY_PROBLEMS, UNKNOWN_FIELDS_NOTE, authenticated, json, jsonBody, problems } from '../openapi';
import { startRun } from '../start-run';

const revocationRequestSchema = z
  .strictObject({
    recipientId: idSchema.openapi({ description: 'The participant whose allocation is taken back' }),
    payerId: idSchema.optional().openapi({
      description: 'Only the line from this payer; omitted: every unreleased line of the recipient in this exchange',
    }),
    reason: z.string().trim().min(1, 'must not be empty').max(500).openapi({
      description: 'Why: which contract term was violated. Recorded with the allocation, on chain, and sent to everyone concerned.',
      example: 'Output was shared outside the use case (clause 4.2)',
    }),
  })
  .openapi('RevocationRequest');

const revocationAcceptedSchema = z
  .object({
    revocationId: z.string(),
    workflowId: z.string(),
    runId: z.string().nullable(),
    temporalUiUrl: z.string(),
    statusUrl: z.string().openapi({ description: 'The exchange: its allocations show `revoked` with the tx hash and reason once done' }),
  })
  .openapi('RevocationAccepted');

const revokeRoute = createRoute({
  method: 'post',
  path: '/v1/exchanges/{id}/revocations',
  tags: ['exchanges'],
  summary: 'Revoke a recipient\'s unreleased allocation, with a reason (operator or the contract\'s orchestrator)',
  description: [
    'Starts a revocation run: each line is revoked on chain back into its payer\'s deposit, recorded with the transaction and the reason, and every participant concerned is notified (webhook and feed).',
    'The run id is the business key `revocation-<exchangeId>-<payerIds>-<recipientId>`, so repeating the request answers with the same run (the first request\'s reason stands).',
    'A line already released cannot be revoked: 409 ALLOCATION_RELEASED. A recipient without a line (from that payer) in this exchange: 422 NO_SUCH_ALLOCATION.',
    'Other parties of the exchange get 403; anyone who cannot see it, 404.',
    UNKNOWN_FIELDS_NOTE,
  ].join(' '),
  security: authenticated,
  request: {
    params: exchangeIdParams,
    body: jsonBody(revocationRequestSchema, 'What to revoke and why'),
  },
  responses: { 202: json(revocationAcceptedSchema, 'Accepted; the run revokes, records and notifies'), ...problems(...BODY_PROBLEMS, 403, 404, 409, 422, 503) },
});

export function revocationRoutes(deps: ApiDeps): ApiRouter {
  const { workflows } = deps;
  const app = createRouter();

  app.openapi(revokeRoute, async (c) => {
    const principal = c.get('principal');
    const { id: exchangeId } = c.req.valid('param');
    const { recipientId, payerId, reason } = c.req.valid('json');

    const { exchange, allocations } = await authorizedExchange(c, 'exchanges:revoke', exchangeId, deps);

    const lines = allocations.filter((a) => a.recipientId === recipientId && (payerId === undefined || a.payerId === payerId));
    if (lines.length === 0) {
      const from = payerId === undefined ? '' : ` from ${payerId}`;
      throw new DvctError('NO_SUCH_ALLOCATION', `Exchange ${exchangeId} allocated nothing to ${recipientId}${from}.`, { exchangeId, recipientId, payerId });
    }
    // Revoked lines stay in: a repeated request names the same lines, hence the same run.
    const unreleased = lines.filter((a) => a.status !== 'released');
    if (unreleased.length === 0) {
      throw new DvctError('ALLOCATION_RELEASED', `The allocation of exchange ${exchangeId} to ${recipientId} was already released; it can no longer be revoked.`, {
        exchangeId,
        recipientId,
        releaseTxHashes: lines.map((a) => a.releaseTxHash),
      });
    }

    // One payer may have lines in several rounds (a correction added to the first allocation): the run revokes them all.
    const payerIds = [...new Set(unreleased.map((a) => a.payerId))];
    const revocationId = revocationIdFor(exchangeId, payerIds, recipientId);
    // Recorded before the run starts: a revocation never happens without the request behind it.
    await auditedRequest(c, deps.store, {
      action: 'allocation.revoke-request',
      object: `exchange:${exchangeId}`,
      before: unreleased.map((a) => ({ round: a.round, payerId: a.payerId, recipientId: a.recipientId, amount: a.amount, status: a.status })),
      after: { revocationId, recipientId, payerIds, reason },
      workflowId: revocationWorkflowId(revocationId),
    });
    const run = await startRun(`the revocation ${revocationId}`, () =>
      workflows.startRevocation(
        { revocationId, exchangeId, recipientId, payerIds, reason, requestedBy: actorOf(principal), requestedAt: new Date().toISOString() },
        { contractId: exchange.usecaseContractId },
      ),
    );
    return c.json(
      { revocationId, workflowId: run.workflowId, runId: run.runId, temporalUiUrl: run.uiUrl, statusUrl: `/v1/exchanges/${exchangeId}` },
      202,
    );
  });

  return app;
}
