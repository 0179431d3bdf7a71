import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { Distribution, ExchangeReport, ExchangeStage, ExchangeStatus } from '../../domain/types';
import type { DistributionBasis, ExchangeError, ExchangeKind } from '../records';

/**
 * One exchange run (or pool settlement) as the API and the workflow see it. Stage and status are
 * domain unions kept as text: the domain owns their lists, so a new stage needs no migration.
 */
export const Exchange = defineEntity({
  name: 'Exchange',
  properties: {
    id: p.text().primary(),
    kind: p.enum(['exchange', 'settlement'] as const satisfies readonly ExchangeKind[]),
    workflowId: p.text().unique(),
    runId: p.text().nullable(),
    usecaseContractId: p.text().index(),
    consumerId: p.text().nullable(),
    providerId: p.text().nullable().index(),
    report: p.json<ExchangeReport>().nullable(),
    settlementRound: p.text().nullable(),
    /** sha256 of the canonical request: tells a replay from a different request under the same Idempotency-Key. */
    requestHash: p.text(),
    idempotencyKey: p.text().nullable(),
    status: p.text().$type<ExchangeStatus>(),
    stage: p.text().$type<ExchangeStage>(),
    error: p.json<ExchangeError>().nullable(),
    distribution: p.json<Distribution>().nullable(),
    basis: p.json<DistributionBasis>().nullable(),
    detection: p.json<unknown>().nullable(),
    consumedNodeId: p.text().nullable(),
    outputNodeId: p.text().nullable(),
    allocationTxHash: p.text().nullable(),
    releaseTxHash: p.text().nullable(),
    releaseAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  // The unique (consumer, key) index also serves lookups by consumer; provider has its own.
  uniques: [{ properties: ['consumerId', 'idempotencyKey'] }],
});

export type ExchangeRow = InferEntity<typeof Exchange>;
