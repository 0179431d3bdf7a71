import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** The audit trail's head as written on chain: the hash of the entry `seq`, and the transaction. */
export const AuditAnchor = defineEntity({
  name: 'AuditAnchor',
  properties: {
    seq: p.integer().primary().autoincrement(false),
    head: p.text(),
    txHash: p.text(),
    anchoredAt: p.datetime(),
  },
});

export type AuditAnchorRow = InferEntity<typeof AuditAnchor>;
