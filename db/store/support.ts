import {
  DriverException,
  ForeignKeyConstraintViolationException,
  UniqueConstraintViolationException,
  type EntityName,
  type RequiredEntityData,
} from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { DvctError } from '../../domain/errors';
import type { Orm } from '../orm';
import type { Period } from '../records';

export type Em = SqlEntityManager;

/**
 * The EntityManager every store method works with: a fresh identity map that joins the
 * transaction Store.recordWithAudit runs a change in (MikroORM carries it in an AsyncLocalStorage
 * context), else none. Everything a change does must go through it: on SQLite, whose one
 * connection a transaction holds, a query beside the transaction would wait for it forever.
 */
export function session(orm: Orm): Em {
  return orm.em.fork({ keepTransactionContext: true });
}

/** A sub-fork of a session, still in its transaction. */
export function subSession(em: Em): Em {
  return em.fork({ keepTransactionContext: true });
}

/**
 * Inserts a row unless one with the same unique key exists; true when this call inserted it.
 * Race-safe by construction: the database's unique constraint decides, not an earlier read, so
 * concurrent callers (threads, processes) end with exactly one row and each learns whether it won.
 */
export async function insertOnce<T extends object>(em: Em, entity: EntityName<T>, data: RequiredEntityData<T>): Promise<boolean> {
  try {
    // Inside a transaction the insert gets a savepoint: on PostgreSQL a failed statement would
    // otherwise abort the whole transaction, and the caller's "it exists already" path with it.
    if (em.isInTransaction()) await em.transactional((tx) => tx.insert(entity, data));
    else await em.insert(entity, data);
    return true;
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) return false;
    if (error instanceof ForeignKeyConstraintViolationException) {
      throw new DvctError('NOT_FOUND', 'A record this one refers to does not exist', { cause: error.message });
    }
    throw error;
  }
}

/** Query-builder calls reject with the driver's own error; this gives it MikroORM's exception class. */
export function asDriverException(em: Em, error: unknown): unknown {
  if (error instanceof DriverException || error instanceof DvctError || !(error instanceof Error)) return error;
  return em.getDriver().convertException(error);
}

/** Order-independent deep comparison of JSON-shaped values (jsonb reorders object keys). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

/** Bound on values per IN (…) list, well inside both databases' limits on query parameters. */
const IN_LIST_LIMIT = 5_000;

/** Runs `query` over `ids` in slices of at most IN_LIST_LIMIT and concatenates the results. */
export async function whereIdIn<Id, T>(ids: readonly Id[], query: (slice: Id[]) => Promise<T[]>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < ids.length; i += IN_LIST_LIMIT) results.push(...(await query(ids.slice(i, i + IN_LIST_LIMIT))));
  return results;
}

/** The createdAt condition of a period, as a filter to spread in; an open period adds none. */
export function createdWithin(period: Period): { createdAt?: { $gte?: Date; $lt?: Date } } {
  if (!period.from && !period.to) return {};
  return { createdAt: { ...(period.from ? { $gte: period.from } : {}), ...(period.to ? { $lt: period.to } : {}) } };
}
