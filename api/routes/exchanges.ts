import { createRoute, z } from '@hono/zod-openapi';
import { suspendedPartyCheck } from '../../domain/contract-rules';
import { DvctError } from '../../domain/errors';
import { exchangeReportSchema } from '../../domain/schemas';
import type { ExchangeReport } from '../../domain/types';
import { exchangeIdFor, exchangeWorkflowId, sha256Hex } from '../../lib/ids';
import { canonicalJson } from '../../lib/record-hash';
import { auditedChange } from '../audit-trail';
import { authorize, newExchangeObject } from '../authorize';
import { createRouter, type ApiRouter, type FederatedApiDeps } from '../context';
import { exchangeIdParams, exchangeView, exchangeViewSchema } from '../exchange-view';
import { BODY_PROBLEMS, UNKNOWN_FIELDS_NOTE, authenticated, json, jsonBody, problems } from '../openapi';
import { startRun } from '../start-run';

const exchangeAcceptedSchema = z
  .object({
    exchangeId: z.string(),
    workflowId: z.string(),
    runId: z.string().nullable(),
    status: z.string().openapi({ example: 'running' }),
    statusUrl: z.string(),
    temporalUiUrl: z.string(),
    duplicate: z.boolean().openapi({ description: 'True when this exchange was reported before: same ids, no second run.' }),
  })
  .openapi('ExchangeAccepted');

const reportHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 visible ASCII characters')
    .optional()
    .openapi({ description: 'Optional. Reusing a key with a different body answers 409 IDEMPOTENCY_KEY_REUSED.' }),
});

const reportRoute = createRoute({
  method: 'post',
  path: '/v1/exchanges',
  tags: ['exchanges'],
  summary: 'Report a data exchange (the consumer\'s connector)',
  description: [
    'The design document\'s "Input data". `prevDataId` may be one id or a list.',
    'The caller\'s organisation must be the report\'s dataConsumerId (the operator may report for anyone).',
    'Only the shape is checked here: the contract is verified by the exchange workflow, whose status (statusUrl) shows a rejection.',
    'The same exchange reported again answers 202 with the same ids and `duplicate: true`.',
    UNKNOWN_FIELDS_NOTE,
  ].join(' '),
  security: authenticated,
  request: { headers: reportHeaders, body: jsonBody(exchangeReportSchema.openapi('ExchangeReportInput'), 'The exchange report') },
  responses: { 202: json(exchangeAcceptedSchema, 'Accepted; follow statusUrl'), ...problems(...BODY_PROBLEMS, 403, 409, 422, 503) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/exchanges/{id}',
  tags: ['exchanges'],
  summary: 'An exchange or pool settlement: stage, nodes, distribution, allocations (every round), detection, notifications, incidents',
  description: 'Visible to the operator, the provider and consumer, whoever pays or is paid in one of its allocations and the contract\'s orchestrator; anyone else gets 404.',
  security: authenticated,
  request: { params: exchangeIdParams },
  responses: { 200: json(exchangeViewSchema, 'The exchange'), ...problems(400, 404) },
});

/** Same business request, same hash: prevDataIds are a set, as they are for the exchange id. */
function requestHashOf(report: ExchangeReport): string {
  return sha256Hex(canonicalJson({ ...report, prevDataIds: [...report.prevDataIds].sort() }));
}

export function exchangeRoutes(deps: FederatedApiDeps): ApiRouter {
  const { store, workflows, config, directory } = deps;
  const app = createRouter();

  app.openapi(reportRoute, async (c) => {
    const report = c.req.valid('json');
    const idempotencyKey = c.req.valid('header')['Idempotency-Key'] ?? null;
    authorize(c, 'exchanges:report', newExchangeObject(report));
    // A suspended organisation takes part in no new exchange: refused here, named, before anything is recorded.
    const contract = await store.getContract(report.usecaseContractId);
    const active = suspendedPartyCheck(await store.getParticipants([report.dataProviderId, report.dataConsumerId, ...(contract ? [contract.orchestratorId] : [])]));
    if (!active.ok) throw new DvctError(active.code, active.message, active.details);

    const exchangeId = exchangeIdFor(report);
    // Recorded with its entry before the run starts: a started run never lacks the report behind it.
    const { exchange, created } = await auditedChange(
      c,
      store,
      () =>
        store.insertExchangeIfAbsent({
          id: exchangeId,
          kind: 'exchange',
          workflowId: exchangeWorkflowId(exchangeId),
          usecaseContractId: report.usecaseContractId,
          consumerId: report.dataConsumerId,
          providerId: report.dataProviderId,
          report,
          settlementRound: null,
          requestHash: requestHashOf(report),
          idempotencyKey,
          status: 'running',
          stage: 'received',
        }),
      ({ exchange, created }) => ({
        action: created ? 'exchange.report' : 'exchange.report-again',
        object: `exchange:${exchangeId}`,
        after: { report: exchange.report ?? report, idempotencyKey },
        workflowId: exchange.workflowId,
      }),
    );
    // Started on every request, not only the first: a crash between the insert and the start is
    // healed by the client's retry, and Temporal keeps one run per workflow id.
    const stored = exchange.report ?? report;
    const run = await startRun(`the run of exchange ${exchangeId}`, () =>
      workflows.startExchange(
        {
          exchangeId,
          report: stored,
          submittedAt: exchange.createdAt.toISOString(),
          prevRootMaxDepth: config.prevRootMaxDepth,
          ...(directory.entries.length > 1 ? { federation: { peerRetryMaxIntervalSeconds: config.federation.retryMaxIntervalSeconds } } : {}),
        },
        { contractId: stored.usecaseContractId, participants: [...new Set([stored.dataProviderId, stored.dataConsumerId])] },
      ),
    );
    if (!exchange.runId && run.runId) await store.updateExchange(exchangeId, { runId: run.runId });

    return c.json(
      {
        exchangeId,
        workflowId: run.workflowId,
        runId: run.runId ?? exchange.runId,
        status: exchange.status,
        statusUrl: `/v1/exchanges/${exchangeId}`,
        temporalUiUrl: run.uiUrl,
        duplicate: !created,
      },
      202,
    );
  });

  app.openapi(getRoute, async (c) => {
    return c.json(await exchangeView(c, c.req.valid('param').id, deps), 200);
  });

  return app;
}
