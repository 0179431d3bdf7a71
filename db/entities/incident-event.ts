import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { IncidentStep } from '../../domain/incidents';
import { Incident } from './incident';

/**
 * One step of an incident's timeline. `key` makes recording idempotent (a retried activity finds
 * its event); `seq` orders the timeline and is unique per incident, so two writers cannot share one.
 */
export const IncidentEvent = defineEntity({
  name: 'IncidentEvent',
  properties: {
    id: p.integer().primary().autoincrement(),
    incidentId: () => p.manyToOne(Incident).mapToPk().fieldName('incident_id'),
    seq: p.integer(),
    step: p.text().$type<IncidentStep>(),
    key: p.text(),
    summary: p.text(),
    details: p.json<unknown>().nullable(),
    txHashes: p.json<string[]>(),
    at: p.datetime(),
  },
  uniques: [{ properties: ['incidentId', 'key'] }, { properties: ['incidentId', 'seq'] }],
});

export type IncidentEventRow = InferEntity<typeof IncidentEvent>;
