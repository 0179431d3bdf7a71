import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * The audit trail: one row per state-changing action, appended only, each row's hash covering its
 * content and the previous row's hash (lib/audit-chain.ts), so an edited or deleted row breaks the
 * chain from there on. `seq` is assigned by the appender, one after the last, under a lock.
 */
export const AuditEntry = defineEntity({
  name: 'AuditEntry',
  properties: {
    seq: p.integer().primary().autoincrement(false),
    at: p.datetime().index(),
    /** 'operator', 'worker' or the participant id behind the key. */
    actor: p.text().index(),
    keyId: p.text().nullable(),
    action: p.text().index(),
    /** What was acted on: `exchange:ex-…`, `participant:org-p1/key:…`, … */
    object: p.text().index(),
    before: p.json<unknown>().nullable(),
    after: p.json<unknown>().nullable(),
    workflowId: p.text().nullable(),
    txHash: p.text().nullable(),
    requestId: p.text().nullable(),
    /** Makes an append idempotent (a retried activity records its action once); not hashed. */
    dedupKey: p.text().nullable().unique(),
    prevHash: p.text(),
    hash: p.text(),
  },
});

export type AuditEntryRow = InferEntity<typeof AuditEntry>;
