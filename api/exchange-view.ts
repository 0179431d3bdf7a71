import { z } from '@hono/zod-openapi';
import type { AllocationRecord, ExchangeRecord } from '../db/records';
import type { PeerUpdateRecord } from '../db/store';
import { unitsToPoints } from '../domain/amounts';
import { INCIDENT_STATUSES } from '../domain/incidents';
import type { Distribution, ExchangeStatus } from '../domain/types';
import type { DetectionResult, ExchangeProgress } from '../workflows/definitions';
import type { Context } from 'hono';
import type { Action, AuthzObject } from '../domain/authority';
import { actorOf } from './auth';
import { authorize, exchangeObject, notFound } from './authorize';
import { lineageScopeOf } from './lineage-scope';
import type { ApiDeps, AppEnv, FederatedApiDeps } from './context';
import { amountOf, incidentUrl, nodeUrlFor, nodeViewSchema, notificationSchema, notificationView, pointsField, reportViewSchema, unitsField } from './views';

/**
 * GET /v1/exchanges/{id}: the stored record, with the live state of a running workflow laid
 * over it (the database only learns a stage when an activity writes it; the run knows now).
 */

const EXCHANGE_STATUSES = ['running', 'completed', 'rejected', 'failed', 'cancelled'] as const satisfies readonly ExchangeStatus[];
/** How many of an exchange's incidents its view lists, newest first (GET /v1/incidents?exchangeId= has them all). */
const INCIDENTS_SHOWN = 100;
/** A running workflow that does not answer its progress query within this is shown from the database. */
const PROGRESS_TIMEOUT_MS = 2_000;

const lineSchema = z.object({ payerId: z.string(), recipientId: z.string(), amount: pointsField, amountUnits: unitsField });

const distributionSchema = z
  .object({
    lines: z.array(lineSchema).openapi({ description: 'What the chain must hold, per payer and recipient' }),
    parts: z
      .array(
        lineSchema.extend({
          reason: z.enum(['data-provider', 'ai-provider', 'upstream', 'pool']),
          nodeId: z.string().nullable(),
          depth: z.number().int(),
        }),
      )
      .openapi({ description: 'Every award before merging: where each unit came from' }),
    totalDue: pointsField,
    totalDueUnits: unitsField,
  })
  .openapi('Distribution');

const allocationSchema = lineSchema
  .extend({
    round: z.string().openapi({ description: '`initial` for the exchange\'s own allocation; an incident id for the lines its correction added' }),
    status: z.enum(['allocated', 'released', 'revoked']),
    allocationTxHash: z.string().nullable(),
    releaseTxHash: z.string().nullable(),
    revokeTxHash: z.string().nullable(),
    revokeReason: z.string().nullable(),
    releaseAt: z.string().openapi({ description: 'End of the verification window: revocable until then' }),
  })
  .openapi('Allocation');

const detectionSchema = z
  .object({
    ok: z.boolean(),
    checkedAt: z.string(),
    totalDue: unitsField,
    totalOnChain: unitsField,
    recipients: z.array(z.object({ recipientId: z.string(), expected: unitsField, onChain: unitsField, ok: z.boolean() })),
  })
  .openapi('Detection');

const peerUpdateSchema = z.object({
  requestId: z.string(),
  peerInstanceId: z.string(),
  parentNodeId: z.string(),
  childNodeId: z.string(),
  depth: z.number().int(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  peerWorkflowId: z.string().nullable().openapi({ description: 'The peer\'s run for the update, once accepted' }),
  updatedAt: z.string(),
});

function peerUpdateView(u: PeerUpdateRecord): z.infer<typeof peerUpdateSchema> {
  return {
    requestId: u.requestId,
    peerInstanceId: u.peerInstanceId,
    parentNodeId: u.parentNodeId,
    childNodeId: u.childNodeId,
    depth: u.depth,
    attempts: u.attempts,
    lastError: u.lastError,
    peerWorkflowId: u.peerWorkflowId,
    updatedAt: u.updatedAt.toISOString(),
  };
}

export const exchangeViewSchema = z
  .object({
    exchangeId: z.string(),
    kind: z.enum(['exchange', 'settlement']),
    status: z.enum(EXCHANGE_STATUSES),
    stage: z.string().openapi({ example: 'verification-window' }),
    report: reportViewSchema.nullable().openapi({ description: 'Null for a pool settlement' }),
    settlementRound: z.string().nullable(),
    workflowId: z.string(),
    runId: z.string().nullable(),
    temporalUiUrl: z.string(),
    nodes: z.object({ consumed: nodeViewSchema.nullable(), output: nodeViewSchema.nullable() }),
    distribution: distributionSchema.nullable(),
    allocations: z.array(allocationSchema),
    detection: detectionSchema.nullable(),
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).nullable(),
    notifications: z.array(notificationSchema).openapi({ description: 'All of them for the operator; a participant sees its own' }),
    incidents: z
      .array(z.object({ id: z.string(), status: z.enum(INCIDENT_STATUSES), url: z.string() }))
      .openapi({ description: `What went wrong with the distribution and was done about it, newest first (at most ${INCIDENTS_SHOWN}); follow url for the timeline` }),
    propagation: z
      .object({ pending: z.array(peerUpdateSchema), delivered: z.array(peerUpdateSchema) })
      .openapi({
        description:
          'prevRoot updates handed to peer instances (the homes of ancestors served elsewhere): pending ones are retried until the peer accepts them; both empty with a single instance',
      }),
    live: z.boolean().openapi({ description: 'True when stage, distribution, detection and error come from the running workflow itself' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Exchange');

export type ExchangeView = z.infer<typeof exchangeViewSchema>;

function distributionView(d: Distribution): z.infer<typeof distributionSchema> {
  return {
    lines: d.lines.map((l) => ({ payerId: l.payerId, recipientId: l.recipientId, ...amountOf(l.amount) })),
    parts: d.parts.map((p) => ({ payerId: p.payerId, recipientId: p.recipientId, ...amountOf(p.amount), reason: p.reason, nodeId: p.nodeId, depth: p.depth })),
    totalDue: unitsToPoints(d.totalDue),
    totalDueUnits: d.totalDue,
  };
}

function allocationView(a: AllocationRecord): z.infer<typeof allocationSchema> {
  return {
    payerId: a.payerId,
    recipientId: a.recipientId,
    ...amountOf(a.amount),
    round: a.round,
    status: a.status,
    allocationTxHash: a.allocationTxHash,
    releaseTxHash: a.releaseTxHash,
    revokeTxHash: a.revokeTxHash,
    revokeReason: a.revokeReason,
    releaseAt: a.releaseAt.toISOString(),
  };
}

/** An exchange with its allocations and what authority decides on; null when there is no such exchange. */
export async function loadExchange(id: string, deps: ApiDeps, label?: string): Promise<LoadedExchange | null> {
  const exchange = await deps.store.getExchange(id);
  if (!exchange) return null;
  const [allocations, contract] = await Promise.all([deps.store.getAllocations(id), deps.store.getContract(exchange.usecaseContractId)]);
  return { exchange, allocations, object: exchangeObject(exchange, allocations, contract?.orchestratorId ?? null, label) };
}

export interface LoadedExchange {
  exchange: ExchangeRecord;
  allocations: AllocationRecord[];
  object: AuthzObject;
}

/** The exchange when the caller may do `action` on it; 404 when it does not exist or is not the caller's to see, 403 when it is but the action is not. */
export async function authorizedExchange(c: Context<AppEnv>, action: Action, id: string, deps: ApiDeps): Promise<LoadedExchange> {
  const loaded = await loadExchange(id, deps);
  if (!loaded) throw notFound({ label: `exchange ${id}` });
  authorize(c, action, loaded.object);
  return loaded;
}

/** The `{id}` of /v1/exchanges/{id} and the routes under it. */
export const exchangeIdParams = z.object({ id: z.string().min(1).max(256).openapi({ param: { name: 'id', in: 'path' } }) });

async function liveProgress(exchange: ExchangeRecord, deps: ApiDeps): Promise<ExchangeProgress | null> {
  if (exchange.status !== 'running') return null;
  try {
    return await deps.workflows.progress(exchange.workflowId, PROGRESS_TIMEOUT_MS);
  } catch (err) {
    deps.log.warn({ exchangeId: exchange.id, workflowId: exchange.workflowId, err }, 'progress query failed; answering from the database');
    return null;
  }
}

/** The exchange as the caller may see it (GET /v1/exchanges/{id}). */
export async function exchangeView(c: Context<AppEnv>, id: string, deps: FederatedApiDeps): Promise<ExchangeView> {
  const { store, workflows, config } = deps;
  const { exchange, allocations } = await authorizedExchange(c, 'exchanges:read', id, deps);
  const principal = c.get('principal');

  const [progress, notifications, incidents, peerUpdates] = await Promise.all([
    liveProgress(exchange, deps),
    store.listNotifications({ subjectId: id }),
    store.listIncidents({ exchangeId: id }, { limit: INCIDENTS_SHOWN }),
    store.peerUpdatesOf(id),
  ]);
  const nodeUrl = nodeUrlFor(deps.directory);
  const consumedNodeId = exchange.consumedNodeId ?? progress?.nodes?.consumedNodeId ?? null;
  const outputNodeId = exchange.outputNodeId ?? progress?.nodes?.outputNodeId ?? null;
  // The exchange's nodes as the caller may see them: links and metadata of other exchanges only where those are visible too.
  const scope = await lineageScopeOf(principal, store);
  const nodeView = async (nodeId: string | null) => {
    const node = nodeId ? await store.getNode(nodeId) : null;
    return node ? store.getNodeView(node.nodeId, nodeUrl, scope.viewFilter(node)) : null;
  };
  const [consumed, output] = await Promise.all([nodeView(consumedNodeId), nodeView(outputNodeId)]);
  const distribution = progress?.distribution ?? exchange.distribution;
  const viewer = principal.kind === 'operator' ? null : actorOf(principal);

  return {
    exchangeId: exchange.id,
    kind: exchange.kind,
    status: exchange.status,
    stage: progress?.stage ?? exchange.stage,
    report: exchange.report,
    settlementRound: exchange.settlementRound,
    workflowId: exchange.workflowId,
    runId: exchange.runId,
    temporalUiUrl: workflows.runUrl(exchange.workflowId, exchange.runId),
    nodes: { consumed, output },
    distribution: distribution ? distributionView(distribution) : null,
    allocations: allocations.map(allocationView),
    // The worker stores what detection produced: a DetectionResult.
    detection: progress?.detection ?? (exchange.detection as DetectionResult | null),
    error: progress?.error ?? exchange.error,
    notifications: notifications.filter((n) => viewer === null || n.participantId === viewer).map(notificationView),
    incidents: incidents.map((i) => ({ id: i.id, status: i.status, url: incidentUrl(i.id) })),
    propagation: {
      pending: peerUpdates.filter((u) => u.status === 'pending').map(peerUpdateView),
      delivered: peerUpdates.filter((u) => u.status === 'delivered').map(peerUpdateView),
    },
    live: progress !== null,
    createdAt: exchange.createdAt.toISOString(),
    updatedAt: exchange.updatedAt.toISOString(),
  };
}
