import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MikroORM as CoreMikroORM, type MikroORM, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM as PostgreSqlMikroORM } from '@mikro-orm/postgresql';
import { NodeSqliteDialect, SqliteDriver, type AbstractSqlDriver, type SqlEntityManager } from '@mikro-orm/sql';
import type { Config } from '../config/config';
import { createLogger } from '../lib/logger';
import { dialectOf } from './dialect';
import { entities } from './entities';
import { migrations } from './migrations';

/** The ORM as the rest of db/ uses it: a SQL driver, whichever database is configured. */
export type Orm = MikroORM<AbstractSqlDriver, SqlEntityManager<AbstractSqlDriver>>;

/** The API and the worker share the SQLite file: a writer waits this long for the other one's lock. */
const SQLITE_BUSY_TIMEOUT_MS = 10_000;

const log = createLogger('db');

function commonOptions(debug: boolean): Partial<Options<AbstractSqlDriver, SqlEntityManager<AbstractSqlDriver>>> {
  return {
    entities,
    // Every caller forks its own EntityManager; touching the global one is a bug worth failing on.
    allowGlobalContext: false,
    debug,
    logger: (message) => log.debug(message),
    extensions: [Migrator],
    migrations: {
      migrationsList: migrations,
      // Schema comes only from the checked-in migrations; a snapshot file would be written into the
      // working directory at run time and is not needed by db/create-migration.ts.
      snapshot: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
    },
  };
}

/** Opens the configured database. SQLite gets WAL and a busy timeout so two processes can share it. */
export async function openOrm(database: Config['database'], opts: { debug?: boolean } = {}): Promise<Orm> {
  const debug = opts.debug ?? false;
  if (database.kind === 'postgresql') {
    return PostgreSqlMikroORM.init({ ...commonOptions(debug), clientUrl: database.url });
  }
  const path = resolve(database.path);
  await mkdir(dirname(path), { recursive: true });
  // Node's own SQLite (node:sqlite): no native module to install, and a statement that fails
  // (e.g. SQLITE_BUSY after the lock timeout) is reset at once — with libSQL it stayed "in
  // progress" until garbage-collected, and every COMMIT on the connection failed meanwhile.
  // Opening the file creates it, so the ORM's "does the database exist" probe is not needed: it
  // would be the connection's first query, a read of the schema that runs before the busy timeout
  // below is set and so fails at once while the other process migrates.
  const orm: Orm = await CoreMikroORM.init<AbstractSqlDriver, SqlEntityManager<AbstractSqlDriver>>({
    ...commonOptions(debug),
    driver: SqliteDriver,
    dbName: path,
    driverOptions: new NodeSqliteDialect(path),
    ensureDatabase: false,
  });
  // The file keeps one connection for the ORM's lifetime, so per-connection pragmas set once hold
  // (the driver itself switches foreign keys on). The timeout goes first: switching a fresh file
  // to WAL takes a lock the other process may be holding. The connection opens lazily, on the
  // first of these statements, so that one is retried as well.
  const connection = orm.em.getConnection();
  await retryWhileLocked(() => connection.execute(`pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`));
  await retryWhileLocked(() => connection.execute('pragma journal_mode = wal'));
  return orm;
}

/**
 * SQLite does not call its busy handler on every path: switching a fresh file to WAL, or taking
 * the write lock while another process commits its own, can answer "database is locked" at once.
 * Both happen only when two processes start together — one of them then waits for the other's
 * migrations, which on a busy machine can take several seconds — so a bounded retry is enough.
 */
const LOCKED_RETRY_MS = 30_000;

async function retryWhileLocked<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCKED_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (Date.now() > deadline || !/database is locked|SQLITE_BUSY/i.test(String((err as Error)?.message ?? err))) throw err;
      await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
    }
  }
}

/**
 * Brings the schema to the newest checked-in migration. Safe when the API and the worker start at
 * the same moment: the pending list is read and applied while holding a database-wide lock, so the
 * second process waits and then finds nothing to do.
 */
export async function migrateToLatest(orm: Orm): Promise<void> {
  const migrator = orm.migrator;
  // The first call creates the bookkeeping table outside any transaction; a process racing another
  // one's first start can lose that CREATE, and then simply finds the table made.
  await retryWhileLocked(() => migrator.getPending().catch(() => migrator.getPending()));
  const connection = orm.em.getConnection();
  await retryWhileLocked(() =>
    connection.transactional(async (trx) => {
      await connection.execute(migrationLockSql(orm), [], 'run', trx);
      await migrator.up({ transaction: trx });
    }),
  );
}

function migrationLockSql(orm: Orm): string {
  if (dialectOf(orm.em.getPlatform()) === 'postgresql') {
    // Held until the transaction ends; the key is an arbitrary constant private to DVCT's migrations.
    return 'select pg_advisory_xact_lock(7426110001)';
  }
  // SQLite: a write as the transaction's first statement takes the database's write lock at once
  // (a read first would let both processes in and make one fail on commit).
  return 'delete from mikro_orm_migrations where 1 = 0';
}
