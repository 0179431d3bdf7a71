import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Notification } from '../../db/entities';
import type { NewNotification } from '../../db/records';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { countRows, tenTimes } from './fixtures';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

function message(subjectId: string, participantId: string, overrides: Partial<NewNotification> = {}): NewNotification {
  return {
    id: `${subjectId}:${participantId}:exchange-completed`,
    subjectId,
    participantId,
    kind: 'exchange-completed',
    payload: { subjectId, receives: [{ amount: '5000000000000000000' }] },
    webhookUrl: `https://hooks.example/${participantId}`,
    ...overrides,
  };
}

describe('notifications', () => {
  it('are created once per subject, participant and kind, also concurrently', async () => {
    const list = [message('ex-1', 'prov'), message('ex-1', 'cons', { webhookUrl: null })];
    const results = await tenTimes(() => db.store.createNotifications(list));
    expect(await countRows(db, Notification, { subjectId: 'ex-1' })).toBe(2);
    for (const records of results) expect(records.map((r) => r.id)).toEqual(list.map((m) => m.id));
    const [prov, cons] = results[0]!;
    expect(prov).toMatchObject({ deliveryStatus: 'pending', attempts: 0, payload: list[0]!.payload, webhookUrl: 'https://hooks.example/prov' });
    expect(cons).toMatchObject({ deliveryStatus: 'not-applicable', webhookUrl: null });
  });

  it('come back unchanged when created again', async () => {
    const [first] = await db.store.createNotifications([message('ex-2', 'prov')]);
    await db.store.recordDeliveryAttempt(first!.id, { ok: false, statusCode: 503, error: 'HTTP 503' });
    const [again] = await db.store.createNotifications([message('ex-2', 'prov', { payload: { other: true } })]);
    expect(again).toMatchObject({ attempts: 1, payload: first!.payload, lastStatusCode: 503 });
  });

  it('refuse an id already used for another subject, participant or kind', async () => {
    await db.store.createNotifications([message('ex-3', 'prov')]);
    await expect(db.store.createNotifications([message('ex-3', 'prov', { kind: 'other-kind' })])).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('count every delivery attempt until one succeeds', async () => {
    const [n] = await db.store.createNotifications([message('ex-4', 'prov')]);
    await Promise.all([
      db.store.recordDeliveryAttempt(n!.id, { ok: false, error: 'connect ECONNREFUSED' }),
      db.store.recordDeliveryAttempt(n!.id, { ok: false, statusCode: 500, error: 'HTTP 500' }),
    ]);
    expect(await db.store.getNotification(n!.id)).toMatchObject({ deliveryStatus: 'pending', attempts: 2, deliveredAt: null });

    const delivered = await db.store.recordDeliveryAttempt(n!.id, { ok: true, statusCode: 204 });
    expect(delivered).toMatchObject({ deliveryStatus: 'delivered', attempts: 3, lastStatusCode: 204, lastError: null });
    expect(delivered.deliveredAt).toBeInstanceOf(Date);

    // A late report of an earlier attempt does not undo the delivery.
    expect(await db.store.recordDeliveryAttempt(n!.id, { ok: false, error: 'late' })).toEqual(delivered);
    await db.store.markDeliveryFailed(n!.id, 'gave up');
    expect(await db.store.getNotification(n!.id)).toEqual(delivered);
  });

  it('can be given up on', async () => {
    const [n] = await db.store.createNotifications([message('ex-5', 'prov')]);
    await db.store.markDeliveryFailed(n!.id, 'HTTP 410 five times');
    expect(await db.store.getNotification(n!.id)).toMatchObject({ deliveryStatus: 'failed', lastError: 'HTTP 410 five times' });
    await expect(db.store.markDeliveryFailed('missing', 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(db.store.recordDeliveryAttempt('missing', { ok: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await db.store.getNotification('missing')).toBeNull();
  });

  it('are listed by subject or by participant, oldest first', async () => {
    await db.store.createNotifications([message('ex-6', 'a'), message('ex-6', 'b'), message('ex-7', 'a')]);
    expect((await db.store.listNotifications({ subjectId: 'ex-6' })).map((n) => n.participantId)).toEqual(['a', 'b']);
    expect((await db.store.listNotifications({ participantId: 'a' })).map((n) => n.subjectId)).toEqual(['ex-6', 'ex-7']);
    expect(await db.store.listNotifications({ subjectId: 'ex-6', participantId: 'b' })).toHaveLength(1);
  });

  it('form a participant\'s feed: newest first, ties by id, after `since`, at most `limit`', async () => {
    const at = (second: number) => new Date(Date.UTC(2026, 5, 1, 12, 0, second));
    const em = db.orm.em.fork();
    for (const [id, second, participantId] of [
      ['feed-a', 1, 'feed-p'],
      ['feed-b', 2, 'feed-p'],
      ['feed-c', 2, 'feed-p'],
      ['feed-d', 3, 'feed-p'],
      ['feed-e', 4, 'feed-other'],
    ] as const) {
      await em.insert(Notification, {
        ...message(`subject-${id}`, participantId, { id }),
        deliveryStatus: 'not-applicable',
        attempts: 0,
        createdAt: at(second),
      });
    }
    const ids = async (page: { since?: Date; limit: number }) => (await db.store.notificationFeed('feed-p', page)).map((n) => n.id);
    expect(await ids({ limit: 10 })).toEqual(['feed-d', 'feed-c', 'feed-b', 'feed-a']);
    expect(await ids({ limit: 2 })).toEqual(['feed-d', 'feed-c']);
    // `since` is exclusive: a poller passes the newest createdAt it has seen.
    expect(await ids({ since: at(2), limit: 10 })).toEqual(['feed-d']);
    expect(await ids({ since: at(1), limit: 10 })).toEqual(['feed-d', 'feed-c', 'feed-b']);
    expect(await ids({ since: at(3), limit: 10 })).toEqual([]);
    expect(await db.store.notificationFeed('nobody', { limit: 10 })).toEqual([]);
  });
});
