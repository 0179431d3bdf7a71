import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../db/entities';
import { migrateToLatest, openOrm } from '../../db/orm';
import { migrations } from '../../db/migrations';
import { createScratchDatabase } from '../../db/scratch-database';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startProcess } from './fixtures';


let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe(`migrations (${process.env.DATABASE_URL ? 'postgresql' : 'sqlite'})`, () => {
  it('produce exactly the schema of the entities', async () => {
    expect(await db.orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
  });

  it('are all applied, in order, and a second run has nothing to do', async () => {
    const executed = await db.orm.migrator.getExecuted();
    expect(executed.map((m) => m.name)).toEqual(migrations.map((m) => new m(db.orm.em.getDriver(), db.orm.config).name));
    await migrateToLatest(db.orm);
    expect(await db.orm.migrator.getPending()).toEqual([]);
  });

  it('let two processes that start together share one database', async () => {
    // The API and the worker both migrate at start-up and then write: two real processes, one fresh database.
    const serverUrl = process.env.DATABASE_URL;
    const scratch = await createScratchDatabase({ label: 'test', ...(serverUrl ? { postgresServerUrl: serverUrl } : {}) });
    try {
      const outputs = await Promise.all([startProcess(scratch.config), startProcess(scratch.config)]);
      expect(outputs.reduce((sum, o) => sum + o.created, 0)).toBe(1);

      const orm = await openOrm(scratch.config);
      try {
        expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
        expect(await orm.migrator.getExecuted()).toHaveLength(migrations.length);
        expect(await orm.em.fork().count(Node, {})).toBe(1);
      } finally {
        await orm.close();
      }
    } finally {
      await scratch.drop();
    }
  }, 60_000);

  it.runIf(!process.env.DATABASE_URL)('open SQLite in WAL mode with a busy timeout and foreign keys on', async () => {
    const connection = db.orm.em.getConnection();
    expect(await connection.execute('pragma journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await connection.execute('pragma busy_timeout')).toEqual([{ timeout: 10_000 }]);
    expect(await connection.execute('pragma foreign_keys')).toEqual([{ foreign_keys: 1 }]);
  });
});
