import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { DvctError } from '../../domain/errors';
import { chainEntry, type ChainLink } from '../../lib/audit-chain';
import { dialectOf } from '../dialect';
import { AuditAnchor, type AuditAnchorRow } from '../entities/audit-anchor';
import { AuditEntry, type AuditEntryRow } from '../entities/audit-entry';
import type { Orm } from '../orm';
import type { AuditAnchorRecord, AuditEntryRecord, AuditFilter, NewAuditEntry } from '../records';
import { asDriverException, insertOnce, session, type Em } from './support';

export interface AuditStore {
  /**
   * Appends one entry after the current last one, chained to its hash. Appends are serialised
   * across processes (the API and the worker both write): each batch takes a lock for its
   * transaction, so every entry is chained to the one before it. With a dedupKey, a second append
   * returns the first. Resolves once the entry is committed.
   */
  appendAudit(e: NewAuditEntry): Promise<AuditEntryRecord>;
  /**
   * Makes a change and appends the entry that describes it in one transaction: both are committed,
   * or neither (an entry that cannot be appended undoes the change; a change that fails leaves no
   * entry). Every store call `change` makes joins the transaction. The transaction takes the
   * trail's lock first, so audited changes are serialised with each other and with appends.
   */
  recordWithAudit<T>(change: () => Promise<T>, describe: (result: T) => NewAuditEntry): Promise<T>;
  /** Oldest first; `afterSeq` pages on. */
  listAudit(filter: AuditFilter, limit: number): Promise<AuditEntryRecord[]>;
  auditHead(): Promise<ChainLink | null>;
  /** Records a head written on chain; the same seq again is a no-op. */
  recordAuditAnchor(a: AuditAnchorRecord): Promise<void>;
  /** Oldest first. */
  listAuditAnchors(): Promise<AuditAnchorRecord[]>;
}

/** A unique violation on seq cannot happen under the lock; this only bounds a surprise. */
const APPEND_ATTEMPTS = 5;

/** Entries one transaction appends at most (a bound on its statement size and lock time). */
const MAX_GROUP = 200;

interface PendingAppend {
  entry: NewAuditEntry;
  resolve: (record: AuditEntryRecord) => void;
  reject: (error: unknown) => void;
}

export function auditStore(orm: Orm): AuditStore {
  // PostgreSQL: an advisory lock held until the transaction ends (key private to the audit trail).
  // SQLite: a write as the first statement takes the database's write lock at once.
  const lockSql =
    dialectOf(orm.em.getPlatform()) === 'postgresql' ? 'select pg_advisory_xact_lock(7426110002)' : 'delete from audit_entry where 1 = 0';

  /**
   * Chains `group` after the current head in one locked transaction: entries whose dedupKey is
   * already in the trail (or earlier in the group) get that entry back; the rest are inserted in
   * one statement. Answers each entry's record, in order.
   */
  const takeLock = (tx: Em) => tx.getConnection().execute(lockSql, [], 'run', tx.getTransactionContext());

  async function appendGroupLocked(tx: Em, group: readonly NewAuditEntry[]): Promise<AuditEntryRecord[]> {
    await takeLock(tx);
    const dedupKeys = [...new Set(group.flatMap((e) => (e.dedupKey ? [e.dedupKey] : [])))];
    const known = new Map<string, AuditEntryRecord>();
    if (dedupKeys.length > 0) {
      for (const row of await tx.find(AuditEntry, { dedupKey: { $in: dedupKeys } })) known.set(row.dedupKey!, toEntryRecord(row));
    }
    let last: ChainLink | null = await tx.findOne(AuditEntry, { seq: { $gt: 0 } }, { orderBy: { seq: 'desc' }, fields: ['seq', 'hash'] });
    const at = new Date();
    const rows: (AuditEntryRecord & { dedupKey: string | null })[] = [];
    const records = group.map((e) => {
      const seen = e.dedupKey ? known.get(e.dedupKey) : undefined;
      if (seen) return seen;
      const entry = chainEntry(
        {
          at,
          actor: e.actor,
          keyId: e.keyId ?? null,
          action: e.action,
          object: e.object,
          // As JSON will give it back (dates as strings, no undefined), so the hash recomputes the same.
          before: asJson(e.before),
          after: asJson(e.after),
          workflowId: e.workflowId ?? null,
          txHash: e.txHash ?? null,
          requestId: e.requestId ?? null,
        },
        last,
      );
      last = { seq: entry.seq, hash: entry.hash };
      rows.push({ ...entry, dedupKey: e.dedupKey ?? null });
      if (e.dedupKey) known.set(e.dedupKey, entry);
      return entry;
    });
    if (rows.length > 0) await tx.insertMany(AuditEntry, rows);
    return records;
  }

  async function appendGroup(group: readonly NewAuditEntry[]): Promise<AuditEntryRecord[]> {
    for (let attempt = 1; ; attempt++) {
      // A transaction of its own, never the one of whichever caller started the group.
      const em = orm.em.fork();
      try {
        return await em.transactional((tx) => appendGroupLocked(tx, group));
      } catch (error) {
        if (!(asDriverException(em, error) instanceof UniqueConstraintViolationException)) throw error;
        if (attempt >= APPEND_ATTEMPTS) {
          const what = group.map((e) => `${e.action} on ${e.object}`).join(', ');
          throw new DvctError('CONFLICT', `Could not append ${what} to the audit trail`, { entries: group.length });
        }
      }
    }
  }

  // Group commit: appends that arrive while a transaction is being written go together into the
  // next one. Every state-changing activity and request appends an entry, so under load this turns
  // many small locked transactions (each with its own fsync on SQLite) into a few larger ones,
  // while a lone append is written at once.
  const pending: PendingAppend[] = [];
  let writing = false;

  async function drain(): Promise<void> {
    writing = true;
    try {
      while (pending.length > 0) {
        const group = pending.splice(0, MAX_GROUP);
        try {
          const records = await appendGroup(group.map((p) => p.entry));
          group.forEach((p, i) => p.resolve(records[i]!));
        } catch (groupError) {
          // One bad entry must not fail the others: each is tried alone, and fails alone.
          if (group.length === 1) {
            group[0]!.reject(groupError);
            continue;
          }
          for (const p of group) await appendGroup([p.entry]).then(([record]) => p.resolve(record!), p.reject);
        }
      }
    } finally {
      writing = false;
    }
  }

  return {
    appendAudit(entry) {
      return new Promise<AuditEntryRecord>((resolve, reject) => {
        pending.push({ entry, resolve, reject });
        if (!writing) void drain();
      });
    },

    async recordWithAudit(change, describe) {
      return session(orm).transactional(async (tx) => {
        // The lock before anything else: on SQLite a transaction that reads first and writes later
        // can be refused its write lock when another process wrote meanwhile.
        await takeLock(tx);
        const result = await change();
        await appendGroupLocked(tx, [describe(result)]);
        return result;
      });
    },

    async listAudit(filter, limit) {
      const where = {
        ...(filter.actor !== undefined ? { actor: filter.actor } : {}),
        ...(filter.action !== undefined ? { action: filter.action } : {}),
        ...(filter.object !== undefined ? { object: filter.object } : {}),
        ...(filter.afterSeq !== undefined ? { seq: { $gt: filter.afterSeq } } : {}),
        ...(filter.from || filter.to ? { at: { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lt: filter.to } : {}) } } : {}),
      };
      const rows = await session(orm).find(AuditEntry, where, { orderBy: { seq: 'asc' }, limit });
      return rows.map(toEntryRecord);
    },

    async auditHead() {
      const last = await session(orm).findOne(AuditEntry, { seq: { $gt: 0 } }, { orderBy: { seq: 'desc' }, fields: ['seq', 'hash'] });
      return last ? { seq: last.seq, hash: last.hash } : null;
    },

    async recordAuditAnchor(a) {
      await insertOnce(session(orm), AuditAnchor, a);
    },

    async listAuditAnchors() {
      const rows = await session(orm).find(AuditAnchor, {}, { orderBy: { seq: 'asc' } });
      return rows.map(toAnchorRecord);
    },
  };
}

function asJson(value: unknown): unknown {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
}

function toEntryRecord(row: AuditEntryRow): AuditEntryRecord {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    keyId: row.keyId ?? null,
    action: row.action,
    object: row.object,
    before: row.before ?? null,
    after: row.after ?? null,
    workflowId: row.workflowId ?? null,
    txHash: row.txHash ?? null,
    requestId: row.requestId ?? null,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

function toAnchorRecord(row: AuditAnchorRow): AuditAnchorRecord {
  return { seq: row.seq, head: row.head, txHash: row.txHash, anchoredAt: row.anchoredAt };
}
