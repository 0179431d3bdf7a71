import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Incident, IncidentEvent } from '../../db/entities';
import type { NewIncident } from '../../db/records';
import type { Decided, Finding } from '../../domain/incidents';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { countRows, exchange, tenTimes, tenTimesSettled } from './fixtures';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  for (const id of ['ex-a', 'ex-b', 'ex-c']) await db.store.insertExchangeIfAbsent(exchange(id));
});
afterAll(async () => {
  await db?.close();
});

function incident(id: string, overrides: Partial<NewIncident> = {}): NewIncident {
  return { id, exchangeId: 'ex-a', source: 'detection', workflowId: `incident-${id}`, dispute: null, ...overrides };
}

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('opening an incident', () => {
  it('records it once per id, open and not yet assessed, also under concurrency', async () => {
    const results = await tenTimes(() => db.store.openIncident(incident('inc-open')));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await countRows(db, Incident, { id: 'inc-open' })).toBe(1);
    const stored = await db.store.getIncident('inc-open');
    expect(stored).toMatchObject({
      id: 'inc-open',
      exchangeId: 'ex-a',
      source: 'detection',
      status: 'open',
      rule: null,
      cause: '',
      findings: [],
      dispute: null,
      decision: null,
      suggestedValidationRule: null,
      workflowId: 'incident-inc-open',
      reviewDeadline: null,
      closedAt: null,
    });
    expect(results.every((r) => r.incident.openedAt.getTime() === stored!.openedAt.getTime())).toBe(true);
  });

  it('gives an existing one back unchanged', async () => {
    const dispute = { participantId: 'prov', expectedPoints: '15', reason: 'I was promised 15 points' };
    const first = await db.store.openIncident(incident('inc-dispute', { source: 'dispute', dispute }));
    await db.store.updateIncident('inc-dispute', { status: 'awaiting-review' });
    const again = await db.store.openIncident(incident('inc-dispute', { source: 'dispute', dispute }));
    expect(again.created).toBe(false);
    expect(again.incident).toMatchObject({ status: 'awaiting-review', dispute, openedAt: first.incident.openedAt });
  });

  it('refuses the same id on another exchange, and an unknown exchange', async () => {
    await db.store.openIncident(incident('inc-owned'));
    await expect(db.store.openIncident(incident('inc-owned', { exchangeId: 'ex-b' }))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(db.store.openIncident(incident('inc-orphan', { exchangeId: 'ex-none' }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await db.store.getIncident('inc-orphan')).toBeNull();
  });
});

describe('updating an incident', () => {
  it('sets the given fields, JSON and dates included, and returns the incident', async () => {
    await db.store.openIncident(incident('inc-update'));
    const findings: Finding[] = [{ payerId: 'orch', recipientId: 'cons', held: '0', due: '10000000000000000000' }];
    const decision: Decided = { decision: 'approve-correction', comment: 'Automatic correction', decidedBy: 'automatic', decidedAt: '2026-11-21T10:00:00.000Z' };
    const reviewDeadline = new Date('2026-11-28T10:00:00.123Z');
    const updated = await db.store.updateIncident('inc-update', {
      status: 'awaiting-review',
      rule: 'allocation-matches-contract',
      cause: 'extraIncentiveForAIProvider.numPoints: reported 0, contract 10',
      findings,
      suggestedValidationRule: 'reported-terms-match-contract',
      reviewDeadline,
    });
    expect(updated).toMatchObject({ status: 'awaiting-review', rule: 'allocation-matches-contract', findings, reviewDeadline });
    const closedAt = new Date('2026-11-21T10:05:00.000Z');
    await db.store.updateIncident('inc-update', { status: 'resolved', decision, reviewDeadline: null, closedAt });
    expect(await db.store.getIncident('inc-update')).toMatchObject({
      status: 'resolved',
      decision,
      findings,
      suggestedValidationRule: 'reported-terms-match-contract',
      reviewDeadline: null,
      closedAt,
    });
  });

  it('of an unknown id is NOT_FOUND', async () => {
    await expect(db.store.updateIncident('inc-missing', { status: 'resolved' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('listing incidents', () => {
  beforeAll(async () => {
    // Opened one after the other, so newest-first order is known: l1 oldest … l4 newest.
    await db.store.openIncident(incident('inc-l1', { exchangeId: 'ex-b' }));
    await later(5);
    await db.store.openIncident(incident('inc-l2', { exchangeId: 'ex-c' }));
    await later(5);
    await db.store.openIncident(incident('inc-l3', { exchangeId: 'ex-b', source: 'reconciliation' }));
    await later(5);
    await db.store.openIncident(incident('inc-l4', { exchangeId: 'ex-c' }));
    await db.store.updateIncident('inc-l2', { status: 'awaiting-review' });
    await db.store.updateIncident('inc-l3', { status: 'dismissed' });
  });

  const ids = (list: { id: string }[]) => list.map((i) => i.id);

  it('gives the newest first, by status, exchange or set of exchanges', async () => {
    expect(ids(await db.store.listIncidents({ exchangeIds: ['ex-b', 'ex-c'] }, { limit: 10 }))).toEqual(['inc-l4', 'inc-l3', 'inc-l2', 'inc-l1']);
    expect(ids(await db.store.listIncidents({ exchangeId: 'ex-b' }, { limit: 10 }))).toEqual(['inc-l3', 'inc-l1']);
    expect(ids(await db.store.listIncidents({ status: 'awaiting-review', exchangeId: 'ex-c' }, { limit: 10 }))).toEqual(['inc-l2']);
    expect(ids(await db.store.listIncidents({ status: 'open', exchangeIds: ['ex-c'] }, { limit: 10 }))).toEqual(['inc-l4']);
    expect(await db.store.listIncidents({ exchangeIds: [] }, { limit: 10 })).toEqual([]);
  });

  it('pages with limit and an exclusive `before`', async () => {
    const first = await db.store.listIncidents({ exchangeIds: ['ex-b', 'ex-c'] }, { limit: 2 });
    expect(ids(first)).toEqual(['inc-l4', 'inc-l3']);
    const next = await db.store.listIncidents({ exchangeIds: ['ex-b', 'ex-c'] }, { limit: 2, before: first.at(-1)!.openedAt });
    expect(ids(next)).toEqual(['inc-l2', 'inc-l1']);
  });

  it('finds the incidents of an exchange still being handled, oldest first', async () => {
    await db.store.updateIncident('inc-l4', { status: 'escalated' });
    expect(ids(await db.store.openIncidentsOf('ex-c'))).toEqual(['inc-l2', 'inc-l4']);
    expect(ids(await db.store.openIncidentsOf('ex-b'))).toEqual(['inc-l1']);
  });

  it('finds the incidents of an exchange whose decision stands, in the order they closed, with their yardsticks', async () => {
    const yardstick = [{ payerId: 'orch', recipientId: 'cons', amount: '40' }];
    await db.store.openIncident(incident('inc-d1', { exchangeId: 'ex-c' }));
    await db.store.openIncident(incident('inc-d2', { exchangeId: 'ex-c' }));
    await db.store.updateIncident('inc-d2', { status: 'resolved', heldAtDetection: yardstick, decidedDue: yardstick, closedAt: new Date('2026-02-01T00:00:00Z') });
    await db.store.updateIncident('inc-d1', { status: 'dismissed', decidedDue: [], closedAt: new Date('2026-03-01T00:00:00Z') });
    // A cancelled incident's decision was withdrawn with its correction: it does not stand.
    await db.store.openIncident(incident('inc-d3', { exchangeId: 'ex-c' }));
    await db.store.updateIncident('inc-d3', { status: 'cancelled', decidedDue: yardstick, closedAt: new Date('2026-04-01T00:00:00Z') });
    const decided = await db.store.decidedIncidentsOf('ex-c');
    expect(decided.map((i) => [i.id, i.decidedDue])).toEqual([
      ['inc-d2', yardstick],
      ['inc-d1', []],
    ]);
    expect(decided[0]!.heldAtDetection).toEqual(yardstick);
  });
});

describe('the timeline', () => {
  beforeAll(async () => {
    await db.store.openIncident(incident('inc-timeline'));
  });

  const event = (key: string, step: 'detection' | 'rollback' | 'review', txHashes: string[] = []) => ({
    incidentId: 'inc-timeline',
    key,
    step,
    summary: `${step}: ${key}`,
    details: { key, amounts: ['10000000000000000000'] },
    txHashes,
  });

  it('numbers each step in order and records it once per key', async () => {
    const detected = await db.store.appendIncidentEvent(event('detected', 'detection'));
    expect(detected).toMatchObject({ seq: 1, step: 'detection', summary: 'detection: detected', details: { key: 'detected' }, txHashes: [] });
    const again = await tenTimes(() => db.store.appendIncidentEvent({ ...event('detected', 'detection'), summary: 'a retry says it differently' }));
    expect(again.every((e) => e.seq === 1 && e.summary === 'detection: detected' && e.at.getTime() === detected.at.getTime())).toBe(true);
    await db.store.appendIncidentEvent(event('revoked', 'rollback', ['0xaaa', '0xbbb']));
    expect(await countRows(db, IncidentEvent, { incidentId: 'inc-timeline' })).toBe(2);
  });

  it('gives every concurrent writer its own seq', async () => {
    const written = await Promise.all(Array.from({ length: 8 }, (_, i) => db.store.appendIncidentEvent(event(`concurrent-${i}`, 'review'))));
    const timeline = await db.store.listIncidentEvents('inc-timeline');
    expect(timeline.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(new Set(written.map((e) => e.seq)).size).toBe(8);
    expect(timeline[1]).toMatchObject({ step: 'rollback', txHashes: ['0xaaa', '0xbbb'] });
  });

  it('needs the incident to exist', async () => {
    const results = await tenTimesSettled(() => db.store.appendIncidentEvent({ ...event('x', 'review'), incidentId: 'inc-none' }));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'NOT_FOUND')).toBe(true);
    expect(await db.store.listIncidentEvents('inc-none')).toEqual([]);
  });
});
