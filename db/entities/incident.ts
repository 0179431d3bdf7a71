import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { AllocationLine } from '../../domain/types';
import type { Decided, DetectionRule, Finding, IncidentDispute, IncidentSource, IncidentStatus, ValidationRuleId } from '../../domain/incidents';
import { Exchange } from './exchange';

/**
 * A wrong distribution found on an exchange, and what was done about it. Source, status and rule
 * are domain unions kept as text, like an exchange's stage: the domain owns their lists.
 */
export const Incident = defineEntity({
  name: 'Incident',
  properties: {
    /** Deterministic, chosen by whoever opens it, so a repeated dispute or detection finds the same row. */
    id: p.text().primary(),
    exchangeId: () => p.manyToOne(Exchange).mapToPk().fieldName('exchange_id'),
    source: p.text().$type<IncidentSource>(),
    status: p.text().$type<IncidentStatus>(),
    rule: p.text().$type<DetectionRule>().nullable(),
    cause: p.text(),
    findings: p.json<Finding[]>(),
    dispute: p.json<IncidentDispute>().nullable(),
    decision: p.json<Decided>().nullable(),
    /** What stood per pair when the incident was assessed: what a reject keeps. */
    heldAtDetection: p.json<AllocationLine[]>().nullable(),
    /** What its decision made due: the yardstick later incidents measure against, once it is resolved or dismissed. */
    decidedDue: p.json<AllocationLine[]>().nullable(),
    suggestedValidationRule: p.text().$type<ValidationRuleId>().nullable(),
    workflowId: p.text(),
    reviewDeadline: p.datetime().nullable(),
    openedAt: p.datetime(),
    updatedAt: p.datetime(),
    closedAt: p.datetime().nullable(),
  },
  // By exchange (an exchange's incidents, its open ones) and by status, newest first (the list).
  indexes: [{ properties: ['exchangeId', 'status'] }, { properties: ['status', 'openedAt'] }, { properties: ['openedAt'] }],
});

export type IncidentRow = InferEntity<typeof Incident>;
