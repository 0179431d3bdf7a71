import type { Config } from '../../config/config';
import { migrateToLatest, openOrm, type Orm } from '../../db/orm';
import { createScratchDatabase } from '../../db/scratch-database';
import { createStore, type Store } from '../../db/store';

export interface TestDatabase {
  config: Config['database'];
  orm: Orm;
  store: Store;
  /** Closes the ORM and deletes the database. */
  close(): Promise<void>;
}

/**
 * A fresh, migrated database of its own for one test file. With DATABASE_URL (a PostgreSQL server,
 * e.g. postgres://postgres@127.0.0.1:5433/postgres) it is a new `dvct_test_<random>` database on
 * that server; without, a SQLite file in a new temp folder.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  const scratch = await createScratchDatabase({ label: 'test', ...(serverUrl ? { postgresServerUrl: serverUrl } : {}) });
  let orm: Orm | undefined;
  try {
    orm = await openOrm(scratch.config);
    await migrateToLatest(orm);
  } catch (error) {
    await orm?.close();
    await scratch.drop();
    throw error;
  }
  const opened = orm;
  return {
    config: scratch.config,
    orm: opened,
    store: createStore(opened),
    async close() {
      await opened.close();
      await scratch.drop();
    },
  };
}
