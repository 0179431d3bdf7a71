import { z } from '@hono/zod-openapi';
import type { AllocationRecord, ExchangeRecord } from '../db/records';
import { unitsToPoints } from '../domain/amounts';
import { DvctError } from '../domain/errors';
import { INCIDENT_STATUSES } from '../domain/incidents';
import type { Distribution, ExchangeStatus } from '../domain/types';
import type { DetectionResult, ExchangeProgress } from '../workflows/definitions';
import { actorId, isOperator, type Principal } from './auth';
import type { ApiDeps } from './context';
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

/**
 * Who may see an exchange: the operator and its parties — provider and consumer, whoever pays or
 * is paid in one of its allocations (any round), and the contract's orchestrator. The same parties
 * as the store's exchangeIdsOfParty.
 */
export async function isVisibleTo(principal: Principal, exchange: ExchangeRecord, allocations: AllocationRecord[], deps: ApiDeps): Promise<boolean> {
  if (isOperator(principal)) return true;
  const id = actorId(principal);
  if (id === exchange.providerId || id === exchange.consumerId) return true;
  if (allocations.some((a) => a.recipientId === id || a.payerId === id)) return true;
  const contract = await deps.store.getContract(exchange.usecaseContractId);
  return contract?.orchestratorId === id;
}

/** The exchange and its allocations when `principal` may see it; NOT_FOUND otherwise, as for one that does not exist. */
export async function visibleExchange(principal: Principal, id: string, deps: ApiDeps): Promise<{ exchange: ExchangeRecord; allocations: AllocationRecord[] }> {
  const exchange = await deps.store.getExchange(id);
  const allocations = exchange ? await deps.store.getAllocations(id) : [];
  if (!exchange || !(await isVisibleTo(principal, exchange, allocations, deps))) throw new DvctError('NOT_FOUND', `There is no exchange ${id}.`);
  return { exchange, allocations };
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

/** The exchange as `principal` may see it, or null when it does not exist or is not theirs to see. */
export async function exchangeView(id: string, principal: Principal, deps: ApiDeps): Promise<ExchangeView | null> {
  const { store, workflows, config } = deps;
  const exchange = await store.getExchange(id);
  if (!exchange) return null;
  const allocations = await store.getAllocations(id);
  if (!(await isVisibleTo(principal, exchange, allocations, deps))) return null;

  const [progress, notifications, incidents] = await Promise.all([
    liveProgress(exchange, deps),
    store.listNotifications({ subjectId: id }),
    store.listIncidents({ exchangeId: id }, { limit: INCIDENTS_SHOWN }),
  ]);
  const nodeUrl = nodeUrlFor(config.api.publicUrl);
  const consumedNodeId = exchange.consumedNodeId ?? progress?.nodes?.consumedNodeId ?? null;
  const outputNodeId = exchange.outputNodeId ?? progress?.nodes?.outputNodeId ?? null;
  const [consumed, output] = await Promise.all([
    consumedNodeId ? store.getNodeView(consumedNodeId, nodeUrl) : null,
    outputNodeId ? store.getNodeView(outputNodeId, nodeUrl) : null,
  ]);
  const distribution = progress?.distribution ?? exchange.distribution;
  const viewer = actorId(principal);

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
    live: progress !== null,
    createdAt: exchange.createdAt.toISOString(),
    updatedAt: exchange.updatedAt.toISOString(),
  };
}
