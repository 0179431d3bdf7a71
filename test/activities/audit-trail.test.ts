import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAuditTrail } from '../../activities/audit';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { node } from '../db/fixtures';

/**
 * The worker's audit wrapper on a real database. A database-only activity's effect and its entry
 * commit together, so an entry that cannot be written undoes the effect; an activity that also
 * talks to the chain keeps its effect and fails, and its retry (which finds the effect done)
 * appends the entry then. The activities here are stand-ins that write a node through the real
 * store; JSON cannot hold a bigint, which makes their entries unwritable.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

type Activities = Parameters<typeof withAuditTrail>[0];

describe('the worker audit trail', () => {
  it('a database-only activity and its entry commit together: no entry, no effect', async () => {
    const activities = withAuditTrail(
      {
        createNodes: async () => {
          await db.store.upsertNode(node('n-atomic', { dataId: 'atomic' }));
          return { consumedNodeId: 'n-atomic', outputNodeId: 1n as unknown as string };
        },
      } as unknown as Activities,
      db.store,
    ) as unknown as { createNodes: (a: { exchangeId: string }) => Promise<unknown> };

    await expect(activities.createNodes({ exchangeId: 'ex-atomic' })).rejects.toThrow();
    expect(await db.store.getNode('n-atomic')).toBeNull();
    expect(await db.store.listAudit({ object: 'exchange:ex-atomic' }, 10)).toEqual([]);
  });

  it('a database-only activity that succeeds leaves its effect and one entry', async () => {
    const activities = withAuditTrail(
      {
        createNodes: async () => {
          await db.store.upsertNode(node('n-ok', { dataId: 'ok' }));
          return { consumedNodeId: 'n-ok', outputNodeId: 'n-ok-out' };
        },
      } as unknown as Activities,
      db.store,
    ) as unknown as { createNodes: (a: { exchangeId: string }) => Promise<unknown> };

    await activities.createNodes({ exchangeId: 'ex-ok' });
    expect(await db.store.getNode('n-ok')).not.toBeNull();
    expect((await db.store.listAudit({ object: 'exchange:ex-ok' }, 10)).map((e) => e.action)).toEqual(['lineage.create-nodes']);
  });

  it('(contrast) an activity that also talks to the chain keeps its effect when its entry fails', async () => {
    const activities = withAuditTrail(
      {
        releaseAllocations: async () => {
          await db.store.upsertNode(node('n-chain', { dataId: 'chain' }));
          return { txHash: null };
        },
      } as unknown as Activities,
      db.store,
    ) as unknown as { releaseAllocations: (a: { subjectId: string; round: unknown }) => Promise<unknown> };

    await expect(activities.releaseAllocations({ subjectId: 'ex-chain', round: 1n })).rejects.toThrow();
    expect(await db.store.getNode('n-chain')).not.toBeNull();
  });
});
