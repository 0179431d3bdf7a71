import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { Units } from '../../domain/types';
import type { RevokeCause } from '../../domain/due';
import { INCIDENT_ROUND_INITIAL } from '../../domain/incidents';
import type { AllocationStatus } from '../records';
import { Exchange } from './exchange';

const ALLOCATION_STATUSES = ['allocated', 'released', 'revoked'] as const satisfies readonly AllocationStatus[];

/**
 * One line allocated on chain for an exchange: revocable until releaseAt, then released. The
 * exchange's own allocation is round 'initial'; an incident's correction allocates its difference
 * as new lines in a round named by the incident, so the first lines stay as they were recorded.
 */
export const Allocation = defineEntity({
  name: 'Allocation',
  properties: {
    id: p.integer().primary().autoincrement(),
    exchangeId: () => p.manyToOne(Exchange).mapToPk().fieldName('exchange_id'),
    round: p.text().default(INCIDENT_ROUND_INITIAL),
    payerId: p.text().index(),
    recipientId: p.text().index(),
    /** Token base units as a decimal string: up to 78 digits, summed with BigInt. */
    amount: p.text().$type<Units>(),
    status: p.enum(ALLOCATION_STATUSES),
    allocationTxHash: p.text().nullable(),
    releaseTxHash: p.text().nullable(),
    revokeTxHash: p.text().nullable(),
    revokeReason: p.text().nullable(),
    /** Why it was revoked, as a name: a deliberate revocation changes what is due, a correction does not. */
    revokeCause: p.text().$type<RevokeCause>().nullable(),
    revokedAt: p.datetime().nullable(),
    releaseAt: p.datetime(),
    /** Indexed: the reconciliation looks at what was allocated recently. */
    createdAt: p.datetime().index(),
    updatedAt: p.datetime(),
  },
  uniques: [{ properties: ['exchangeId', 'round', 'payerId', 'recipientId'] }],
});

export type AllocationRow = InferEntity<typeof Allocation>;
