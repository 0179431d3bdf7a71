import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, expectProblemShape, type Harness } from './harness';

/** GET /v1/participants/{id}/notifications: a participant's own feed, newest first. */
let h: Harness;
let reader: { apiKey: string };
let other: { apiKey: string };

beforeAll(async () => {
  h = await createHarness();
  reader = await h.register('org-feed', ['data-provider'], { webhookUrl: 'https://hooks.example/feed' });
  other = await h.register('org-other', ['data-provider']);
  // Created one by one, so each has its own createdAt.
  for (const [subjectId, kind] of [
    ['ex-1', 'distribution-allocated'],
    ['ex-2', 'distribution-allocated'],
    ['ex-1-org-c-org-feed', 'allocation-revoked'],
  ] as const) {
    await h.db.store.createNotifications([
      { id: `ntf-${subjectId}`, subjectId, participantId: 'org-feed', kind, payload: { subjectId }, webhookUrl: 'https://hooks.example/feed' },
    ]);
    await new Promise((r) => setTimeout(r, 5));
  }
  await h.db.store.createNotifications([
    { id: 'ntf-other', subjectId: 'ex-1', participantId: 'org-other', kind: 'distribution-allocated', payload: {}, webhookUrl: null },
  ]);
  await h.db.store.recordDeliveryAttempt('ntf-ex-1', { ok: true, statusCode: 204 });
});
afterAll(() => h?.close());

function feed(key: string, query = '', id = 'org-feed') {
  return h.request('GET', `/v1/participants/${id}/notifications${query}`, { key });
}

describe('GET /v1/participants/{id}/notifications', () => {
  it('shows the participant\'s own notifications, newest first, with kind, subject, payload and delivery', async () => {
    const res = await feed(reader.apiKey);
    expect(res.status).toBe(200);
    expect(res.body.participantId).toBe('org-feed');
    expect(res.body.hasMore).toBe(false);
    expect(res.body.notifications.map((n: { id: string }) => n.id)).toEqual(['ntf-ex-1-org-c-org-feed', 'ntf-ex-2', 'ntf-ex-1']);
    expect(res.body.notifications[0]).toEqual({
      id: 'ntf-ex-1-org-c-org-feed',
      subjectId: 'ex-1-org-c-org-feed',
      participantId: 'org-feed',
      kind: 'allocation-revoked',
      payload: { subjectId: 'ex-1-org-c-org-feed' },
      deliveryStatus: 'pending',
      attempts: 0,
      lastError: null,
      deliveredAt: null,
      createdAt: expect.any(String),
    });
    expect(res.body.notifications[2]).toMatchObject({ deliveryStatus: 'delivered', attempts: 1, deliveredAt: expect.any(String) });
  });

  it('pages with limit and since', async () => {
    const firstPage = await feed(reader.apiKey, '?limit=2');
    expect(firstPage.body.notifications.map((n: { id: string }) => n.id)).toEqual(['ntf-ex-1-org-c-org-feed', 'ntf-ex-2']);
    expect(firstPage.body.hasMore).toBe(true);

    const oldest = (await feed(reader.apiKey)).body.notifications[2];
    const newer = await feed(reader.apiKey, `?since=${encodeURIComponent(oldest.createdAt)}`);
    expect(newer.body.notifications.map((n: { id: string }) => n.id)).toEqual(['ntf-ex-1-org-c-org-feed', 'ntf-ex-2']);
    expect(newer.body.hasMore).toBe(false);
  });

  it('is the operator\'s or the participant\'s own: another organisation\'s key and an unknown id get 404', async () => {
    expect((await feed(h.operatorKey)).body.notifications).toHaveLength(3);
    expectProblemShape(await feed(other.apiKey), 404, 'NOT_FOUND');
    expectProblemShape(await feed(h.operatorKey, '', 'org-missing'), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/participants/org-feed/notifications'), 401, 'UNAUTHENTICATED');
  });

  it('refuses a limit outside 1..200 and a since that is not an ISO date-time', async () => {
    for (const query of ['?limit=0', '?limit=201', '?limit=two', '?since=yesterday']) {
      expectProblemShape(await feed(reader.apiKey, query), 400, 'VALIDATION_FAILED');
    }
  });
});
