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

  it('give lines revoked before causes were recorded the cause the reason the DVCT wrote names, and decided incidents their yardstick', async () => {
    const serverUrl = process.env.DATABASE_URL;
    const scratch = await createScratchDatabase({ label: 'test', ...(serverUrl ? { postgresServerUrl: serverUrl } : {}) });
    try {
      const orm = await openOrm(scratch.config);
      try {
        await orm.migrator.up({ to: 'Migration20261121141004_federation' });
        const connection = orm.em.getConnection();
        const now = new Date();
        await connection.execute(
          'insert into exchange (id, kind, workflow_id, usecase_contract_id, request_hash, status, stage, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          ['ex-old', 'exchange', 'exchange-ex-old', 'uc-old', 'h', 'completed', 'completed', now, now],
        );
        const lines: [string, string, string | null][] = [
          ['a-cancelled', 'revoked', 'the run was cancelled'],
          ['b-rollback', 'revoked', 'incident inc-1: over-allocation rolled back'],
          ['c-outside', 'revoked', 'revoked on chain outside the DVCT (observed by detection)'],
          ['d-orchestrator', 'revoked', 'Output was shared outside the use case'],
          ['e-held', 'allocated', null],
        ];
        for (const [payer, status, reason] of lines) {
          await connection.execute(
            'insert into allocation (exchange_id, round, payer_id, recipient_id, amount, status, revoke_reason, release_at, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            ['ex-old', 'initial', payer, 'r', '1', status, reason, now, now, now],
          );
        }
        // A decided incident keeps the target its correction step recorded as its yardstick.
        const target = [{ payerId: 'd-orchestrator', recipientId: 'r', amount: '1' }];
        for (const [id, status] of [['inc-decided', 'dismissed'], ['inc-cancelled', 'cancelled']]) {
          await connection.execute(
            'insert into incident (id, exchange_id, source, status, cause, findings, workflow_id, opened_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [id, 'ex-old', 'dispute', status, 'c', '[]', `incident-${id}`, now, now],
          );
          await connection.execute(
            'insert into incident_event (incident_id, seq, step, key, summary, details, tx_hashes, at) values (?, ?, ?, ?, ?, ?, ?, ?)',
            [id, 1, 'correction', 'correction', 's', JSON.stringify({ decision: { decision: 'reject' }, target, plan: {} }), '[]', now],
          );
        }
        await migrateToLatest(orm);
        const yardsticks = await connection.execute<{ id: string; decided_due: unknown }[]>('select id, decided_due from incident order by id');
        // SQLite hands JSON back as text, PostgreSQL parsed.
        expect(yardsticks.map((r) => [r.id, typeof r.decided_due === 'string' ? JSON.parse(r.decided_due) : r.decided_due])).toEqual([
          ['inc-cancelled', null],
          ['inc-decided', target],
        ]);
        const rows = await connection.execute<{ payer_id: string; revoke_cause: string | null }[]>('select payer_id, revoke_cause from allocation order by payer_id');
        expect(rows.map((r) => [r.payer_id, r.revoke_cause])).toEqual([
          ['a-cancelled', 'cancellation'],
          ['b-rollback', 'correction'],
          ['c-outside', 'outside'],
          ['d-orchestrator', 'revocation'],
          ['e-held', null],
        ]);
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
