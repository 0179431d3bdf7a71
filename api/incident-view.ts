import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { IncidentEventRecord, IncidentRecord } from '../db/records';
import { pointsToUnits, toUnits } from '../domain/amounts';
import {
  INCIDENT_STATUSES,
  INCIDENT_STEPS,
  REVIEW_DECISIONS,
  VALIDATION_RULES,
  type DetectionRule,
  type Finding,
  type IncidentSource,
} from '../domain/incidents';
import { authorize, notFound } from './authorize';
import type { ApiDeps, AppEnv } from './context';
import { loadExchange } from './exchange-view';
import { amountOf, incidentUrl, pointsField, unitsField } from './views';

/**
 * GET /v1/incidents and GET /v1/incidents/{id}: an incident as its record and timeline say, with
 * amounts in points and units like every other view.
 */

const DETECTION_RULES = ['chain-matches-allocation', 'allocation-matches-contract', 'participant-dispute'] as const satisfies readonly DetectionRule[];
const INCIDENT_SOURCES = ['detection', 'dispute', 'reconciliation'] as const satisfies readonly IncidentSource[];
// Fail to compile when the domain gains a rule or source these lists do not name.
true satisfies [Exclude<DetectionRule, (typeof DETECTION_RULES)[number]>] extends [never] ? true : never;
true satisfies [Exclude<IncidentSource, (typeof INCIDENT_SOURCES)[number]>] extends [never] ? true : never;

/** May the caller read this incident: a party of its exchange, a reviewer (every incident), the operator. */
export async function maySeeIncident(c: Context<AppEnv>, incident: IncidentRecord, deps: ApiDeps): Promise<void> {
  const loaded = await loadExchange(incident.exchangeId, deps, `incident ${incident.id}`);
  if (!loaded) throw notFound({ label: `incident ${incident.id}` });
  authorize(c, 'incidents:read', loaded.object);
}

export const incidentSummarySchema = z
  .object({
    id: z.string(),
    exchangeId: z.string(),
    source: z.enum(INCIDENT_SOURCES).openapi({ description: 'What opened it: detection after a distribution, a party\'s dispute, or the periodic reconciliation' }),
    status: z.enum(INCIDENT_STATUSES),
    rule: z.enum(DETECTION_RULES).nullable().openapi({ description: 'The check that failed; null until assessed' }),
    cause: z.string().openapi({ description: 'Why, in words; empty until assessed' }),
    url: z.string(),
    workflowId: z.string(),
    temporalUiUrl: z.string(),
    reviewDeadline: z.string().nullable().openapi({ description: 'While a reviewer is asked: when the incident escalates' }),
    openedAt: z.string(),
    updatedAt: z.string(),
    closedAt: z.string().nullable(),
  })
  .openapi('IncidentSummary');

const findingSchema = z
  .object({
    payerId: z.string(),
    recipientId: z.string(),
    held: pointsField.openapi({ description: 'What stands (allocated or released, every round)' }),
    heldUnits: unitsField,
    due: pointsField.openapi({ description: 'What is due: the contract and lineage, as amended by deliberate revocations and decided incidents' }),
    dueUnits: unitsField,
  })
  .openapi('IncidentFinding');

export const decisionSchema = z
  .object({
    decision: z.enum(REVIEW_DECISIONS),
    correctedMetrics: z
      .object({
        incentiveForDataProvider: z.object({ numPoints: z.number().optional(), factor: z.number().optional() }).optional(),
        extraIncentiveForAIProvider: z.object({ numPoints: z.number().optional(), factor: z.number().optional() }).optional(),
      })
      .optional(),
    comment: z.string(),
    decidedBy: z.string().openapi({ description: '`automatic`, `deadline` (the contract\'s default), `operator` or the reviewer\'s participant id' }),
    decidedAt: z.string(),
  })
  .openapi('ReviewDecision');

const eventSchema = z
  .object({
    seq: z.number().int(),
    step: z.enum(INCIDENT_STEPS),
    summary: z.string(),
    details: z.unknown(),
    txHashes: z.array(z.string()).openapi({ description: 'Transactions this step sent (revocations, the correction\'s allocation, its release)' }),
    at: z.string(),
  })
  .openapi('IncidentEvent');

export const incidentViewSchema = incidentSummarySchema
  .extend({
    exchangeUrl: z.string(),
    findings: z.array(findingSchema).openapi({ description: 'Per payer and recipient: what stood against what was due, where they differed' }),
    dispute: z
      .object({
        participantId: z.string(),
        expectedPoints: pointsField.nullable(),
        expectedUnits: unitsField.nullable(),
        reason: z.string(),
      })
      .nullable(),
    decision: decisionSchema.nullable(),
    suggestedValidationRule: z
      .enum(VALIDATION_RULES)
      .nullable()
      .openapi({ description: 'The rule that would have refused the input (the feedback step): add it with POST /v1/contracts/{id}/validation-rules' }),
    timeline: z.array(eventSchema).openapi({ description: 'detection → rollback → review → correction → re-distribution → notification, as they happened' }),
  })
  .openapi('Incident');

export type IncidentSummary = z.infer<typeof incidentSummarySchema>;
export type IncidentView = z.infer<typeof incidentViewSchema>;

export function incidentSummary(i: IncidentRecord, deps: ApiDeps): IncidentSummary {
  return {
    id: i.id,
    exchangeId: i.exchangeId,
    source: i.source,
    status: i.status,
    rule: i.rule,
    cause: i.cause,
    url: incidentUrl(i.id),
    workflowId: i.workflowId,
    temporalUiUrl: deps.workflows.runUrl(i.workflowId),
    reviewDeadline: i.reviewDeadline?.toISOString() ?? null,
    openedAt: i.openedAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
    closedAt: i.closedAt?.toISOString() ?? null,
  };
}

export function incidentView(i: IncidentRecord, events: IncidentEventRecord[], deps: ApiDeps): IncidentView {
  return {
    ...incidentSummary(i, deps),
    exchangeUrl: `/v1/exchanges/${encodeURIComponent(i.exchangeId)}`,
    findings: i.findings.map(findingView),
    dispute: i.dispute && {
      participantId: i.dispute.participantId,
      expectedPoints: i.dispute.expectedPoints,
      expectedUnits: i.dispute.expectedPoints === null ? null : toUnits(pointsToUnits(i.dispute.expectedPoints)),
      reason: i.dispute.reason,
    },
    decision: i.decision,
    suggestedValidationRule: i.suggestedValidationRule,
    timeline: events.map((e) => ({ seq: e.seq, step: e.step, summary: e.summary, details: e.details, txHashes: e.txHashes, at: e.at.toISOString() })),
  };
}

function findingView(f: Finding): z.infer<typeof findingSchema> {
  const held = amountOf(f.held);
  const due = amountOf(f.due);
  return { payerId: f.payerId, recipientId: f.recipientId, held: held.amount, heldUnits: held.amountUnits, due: due.amount, dueUnits: due.amountUnits };
}
