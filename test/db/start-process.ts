/**
 * One "process start" for migrations.test.ts and audit.test.ts: opens the database given in
 * DVCT_TEST_DB (JSON of Config['database']), migrates it, registers the same node five times and
 * appends DVCT_TEST_AUDIT_APPENDS audit entries concurrently, and prints how many of those calls
 * created the node and how many entries it appended. Run as a child process so two of them really
 * are two processes.
 */
import { migrateToLatest, openOrm } from '../../db/orm';
import { createStore } from '../../db/store';
import { node } from './fixtures';

const orm = await openOrm(JSON.parse(process.env.DVCT_TEST_DB!));
try {
  await migrateToLatest(orm);
  const store = createStore(orm);
  const results = await Promise.all(Array.from({ length: 5 }, () => store.upsertNode(node('n-shared'))));
  const appends = Number(process.env.DVCT_TEST_AUDIT_APPENDS ?? 0);
  const audited = await Promise.all(Array.from({ length: appends }, (_, i) => store.appendAudit({ actor: `process-${process.pid}`, action: 'process-append', object: `n:${i}` })));
  process.stdout.write(JSON.stringify({ created: results.filter((r) => r.created).length, audited: audited.length }));
} finally {
  await orm.close();
}
