import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { AllocationReason, Units } from '../../domain/types';
import { INCIDENT_ROUND_INITIAL } from '../../domain/incidents';
import { Exchange } from './exchange';

/**
 * One part of an exchange's distribution, kept so anyone can see where each unit came from; in the
 * same round as the allocation lines it was merged into ('initial', or the correcting incident's id).
 */
export const Award = defineEntity({
  name: 'Award',
  properties: {
    id: p.integer().primary().autoincrement(),
    exchangeId: () => p.manyToOne(Exchange).mapToPk().fieldName('exchange_id'),
    round: p.text().default(INCIDENT_ROUND_INITIAL),
    /** Position in Distribution.parts; `index` itself is an SQL keyword. */
    index: p.integer().fieldName('part_index'),
    payerId: p.text(),
    recipientId: p.text(),
    /** Token base units as a decimal string: up to 78 digits, summed with BigInt. */
    amount: p.text().$type<Units>(),
    reason: p.text().$type<AllocationReason>(),
    nodeId: p.text().nullable().index(),
    depth: p.integer(),
    /** The seed's contractId of the exchange; null for pool settlements. */
    contractId: p.text().nullable(),
  },
  uniques: [{ properties: ['exchangeId', 'round', 'index'] }],
});

export type AwardRow = InferEntity<typeof Award>;
