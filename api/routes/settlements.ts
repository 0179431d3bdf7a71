import { createRoute, z } from '@hono/zod-openapi';
import { DvctError } from '../../domain/errors';
import { canonicalJson } from '../../lib/record-hash';
import { settlementIdFor, settlementWorkflowId, sha256Hex } from '../../lib/ids';
import { actorOf } from '../auth';
import { auditedChange } from '../audit-trail';
import { authorize, contractObject, notFound } from '../authorize';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { BODY_PROBLEMS, UNKNOWN_FIELDS_NOTE, authenticated, json, jsonBody, problems } from '../openapi';
import { startRun } from '../start-run';
import { contractIdParams } from './contracts';

const settlementRequestSchema = z
  .strictObject({
    round: z
      .string()
      .regex(/^[\x21-\x7e]( ?[\x21-\x7e])*$/, 'must be printable ASCII without leading, trailing or double spaces')
      .max(128)
      .openapi({ description: 'The orchestrator\'s label for this settlement; one settlement per contract and round.', example: '2026-Q4' }),
  })
  .openapi('SettlementRequest');

const settlementAcceptedSchema = z
  .object({
    settlementId: z.string(),
    workflowId: z.string(),
    runId: z.string().nullable(),
    statusUrl: z.string().openapi({ description: 'Settlements are read like exchanges, at /v1/exchanges/{settlementId}.' }),
    temporalUiUrl: z.string(),
    duplicate: z.boolean().openapi({ description: 'True when this contract and round were settled or requested before.' }),
  })
  .openapi('SettlementAccepted');

const settleRoute = createRoute({
  method: 'post',
  path: '/v1/contracts/{id}/settlements',
  tags: ['contracts'],
  summary: 'Distribute the contract\'s reward pool for a round (operator or the contract\'s orchestrator)',
  description: `Starts one pool settlement run per contract and round; repeating the request answers with the same run. ${UNKNOWN_FIELDS_NOTE}`,
  security: authenticated,
  request: { params: contractIdParams, body: jsonBody(settlementRequestSchema, 'The round to settle') },
  responses: { 202: json(settlementAcceptedSchema, 'Accepted; follow statusUrl'), ...problems(...BODY_PROBLEMS, 403, 404, 409, 422, 503) },
});

export function settlementRoutes({ store, workflows }: ApiDeps): ApiRouter {
  const app = createRouter();

  app.openapi(settleRoute, async (c) => {
    const principal = c.get('principal');
    const { id: contractId } = c.req.valid('param');
    const { round } = c.req.valid('json');

    const contract = await store.getContract(contractId);
    if (!contract) throw notFound({ label: `contract ${contractId}` });
    authorize(c, 'contracts:settle', contractObject(contract));
    const pool = contract.rewardPool;
    if (!pool) throw new DvctError('NO_REWARD_POOL', `Contract ${contractId} defines no reward pool.`);

    const settlementId = settlementIdFor(contractId, round);
    // Recorded with its entry before the run starts: a started run never lacks the request behind it.
    const { exchange, created } = await auditedChange(
      c,
      store,
      () =>
        store.insertExchangeIfAbsent({
          id: settlementId,
          kind: 'settlement',
          workflowId: settlementWorkflowId(settlementId),
          usecaseContractId: contractId,
          consumerId: null,
          providerId: null,
          report: null,
          settlementRound: round,
          requestHash: sha256Hex(canonicalJson({ contractId, round })),
          idempotencyKey: null,
          status: 'running',
          stage: 'received',
        }),
      ({ exchange, created }) => ({ action: 'settlement.request', object: `contract:${contractId}`, after: { settlementId, round, duplicate: !created }, workflowId: exchange.workflowId }),
    );
    const run = await startRun(`the settlement of ${contractId} round ${round}`, () =>
      workflows.startSettlement(
        {
          settlementId,
          contractId,
          round,
          requestedBy: actorOf(principal),
          // The first acceptance, so a repeated request hands Temporal the same input.
          submittedAt: exchange.createdAt.toISOString(),
        },
        { participants: [...new Set([contract.orchestratorId, ...pool.weights.map((w) => w.participantId)])] },
      ),
    );
    if (!exchange.runId && run.runId) await store.updateExchange(settlementId, { runId: run.runId });

    return c.json(
      {
        settlementId,
        workflowId: run.workflowId,
        runId: run.runId ?? exchange.runId,
        statusUrl: `/v1/exchanges/${settlementId}`,
        temporalUiUrl: run.uiUrl,
        duplicate: !created,
      },
      202,
    );
  });

  return app;
}
