import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEntry } from '../../db/entities';
import { ChainVerifier, GENESIS_HASH } from '../../lib/audit-chain';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { countRows, exchange, participant, refuseAuditEntries, REFUSED_AUDIT_REQUEST, startProcess } from './fixtures';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await refuseAuditEntries(db);
});
afterAll(async () => {
  await db?.close();
});

async function verify(anchors: { seq: number; head: string }[] = []) {
  const verifier = new ChainVerifier(anchors);
  verifier.feed(await db.store.listAudit({}, 100_000));
  return verifier.result();
}

describe(`the audit trail (${process.env.DATABASE_URL ? 'postgresql' : 'sqlite'})`, () => {
  it('chains each entry to the one before, and reads back exactly what it hashed', async () => {
    const first = await db.store.appendAudit({ actor: 'operator', action: 'participant.register', object: 'participant:org-a', after: { id: 'org-a', at: new Date(0), n: 1.5 } });
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, after: { id: 'org-a', at: '1970-01-01T00:00:00.000Z', n: 1.5 } });
    const second = await db.store.appendAudit({ actor: 'worker', action: 'allocation', object: 'exchange:ex-1', txHash: `0x${'ab'.repeat(32)}`, workflowId: 'exchange-ex-1' });
    expect(second.prevHash).toBe(first.hash);
    const read = await db.store.listAudit({}, 10);
    expect(read).toEqual([first, second]);
    expect(await verify()).toMatchObject({ ok: true, checked: 2, head: { seq: 2, hash: second.hash } });
  });

  it('serialises concurrent appends: no seq twice, no gap, one chain', async () => {
    await Promise.all(Array.from({ length: 25 }, (_, i) => db.store.appendAudit({ actor: `org-${i}`, action: 'concurrent', object: `thing:${i}` })));
    const all = await db.store.listAudit({}, 1000);
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect((await verify()).ok).toBe(true);
  });

  it('serialises appends from two processes sharing the database', async () => {
    const outputs = await Promise.all([startProcess(db.config, { auditAppends: 15 }), startProcess(db.config, { auditAppends: 15 })]);
    expect(outputs.reduce((sum, o) => sum + (o.audited ?? 0), 0)).toBe(30);
    expect((await verify()).ok).toBe(true);
  }, 60_000);

  it('records an action with a dedup key once, however often it is appended', async () => {
    const entries = await Promise.all(Array.from({ length: 5 }, () => db.store.appendAudit({ actor: 'worker', action: 'release', object: 'exchange:ex-2', dedupKey: 'wf/run/7' })));
    expect(new Set(entries.map((e) => e.seq)).size).toBe(1);
    expect(await countRows(db, AuditEntry, { dedupKey: 'wf/run/7' })).toBe(1);
  });

  it('a burst larger than one transaction takes stays one chain, each dedup key once', async () => {
    const before = (await db.store.auditHead())!.seq;
    const burst = Array.from({ length: 450 }, (_, i) =>
      db.store.appendAudit({ actor: 'worker', action: 'burst', object: `thing:${i % 300}`, dedupKey: `burst/${i % 300}` }),
    );
    const entries = await Promise.all(burst);
    // Entry i and entry i + 300 share a dedup key: both callers get the one entry.
    entries.slice(300).forEach((e, i) => expect(e).toEqual(entries[i]));
    expect(await countRows(db, AuditEntry, { action: 'burst' })).toBe(300);
    expect((await db.store.auditHead())!.seq).toBe(before + 300);
    expect((await verify()).ok).toBe(true);
  });

  it('an entry that cannot be recorded fails alone, not the appends written with it', async () => {
    const unrecordable = { amount: 1n }; // JSON has no bigint
    const results = await Promise.allSettled([
      db.store.appendAudit({ actor: 'worker', action: 'with-bad', object: 'thing:a' }),
      db.store.appendAudit({ actor: 'worker', action: 'with-bad', object: 'thing:bad', after: unrecordable }),
      db.store.appendAudit({ actor: 'worker', action: 'with-bad', object: 'thing:b' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await countRows(db, AuditEntry, { action: 'with-bad' })).toBe(2);
    expect((await verify()).ok).toBe(true);
  });

  it('filters by actor, action, object and time, and pages by seq', async () => {
    const byActor = await db.store.listAudit({ actor: 'worker' }, 100);
    expect(byActor.every((e) => e.actor === 'worker')).toBe(true);
    expect((await db.store.listAudit({ action: 'concurrent' }, 100)).length).toBe(25);
    expect(await db.store.listAudit({ object: 'exchange:ex-1' }, 100)).toHaveLength(1);
    const page = await db.store.listAudit({ action: 'concurrent' }, 10);
    const next = await db.store.listAudit({ action: 'concurrent', afterSeq: page.at(-1)!.seq }, 100);
    expect(page.length + next.length).toBe(25);
    expect(await db.store.listAudit({ from: new Date(Date.now() + 60_000) }, 10)).toEqual([]);
    expect((await db.store.listAudit({ to: new Date(Date.now() + 60_000) }, 1000)).length).toBeGreaterThan(25);
  });

  it('names the first edited, deleted or relinked row, and a truncation the anchor catches', async () => {
    const head = (await db.store.auditHead())!;
    const em = () => db.orm.em.fork();
    const original = (await db.store.listAudit({}, 1000)).find((e) => e.seq === 5)!;

    await em().nativeUpdate(AuditEntry, { seq: 5 }, { actor: 'somebody-else' });
    expect((await verify()).firstBroken).toMatchObject({ seq: 5, reason: 'edited' });
    // Rewritten with a fresh hash: the next row no longer chains to it.
    const rewritten = { ...original, actor: 'somebody-else' };
    const { auditHash } = await import('../../lib/audit-chain');
    await em().nativeUpdate(AuditEntry, { seq: 5 }, { hash: auditHash(rewritten, rewritten.prevHash) });
    expect((await verify()).firstBroken).toMatchObject({ seq: 5, reason: 'relinked' });
    await em().nativeUpdate(AuditEntry, { seq: 5 }, { actor: original.actor, hash: original.hash });
    expect((await verify()).ok).toBe(true);

    const row7 = (await db.store.listAudit({ afterSeq: 6 }, 1))[0]!;
    await em().nativeDelete(AuditEntry, { seq: 7 });
    expect((await verify()).firstBroken).toMatchObject({ seq: 7, reason: 'missing' });
    await em().insert(AuditEntry, { ...row7, dedupKey: null });
    expect((await verify()).ok).toBe(true);

    // Deleting the newest rows leaves a valid but shorter chain: only the anchored head shows it.
    await em().nativeDelete(AuditEntry, { seq: head.seq });
    expect((await verify()).ok).toBe(true);
    expect((await verify([{ seq: head.seq, head: head.hash }])).firstBroken).toMatchObject({ seq: head.seq, reason: 'truncated' });
    expect((await verify([{ seq: 3, head: 'f'.repeat(64) }])).firstBroken).toMatchObject({ seq: 3, reason: 'anchor-mismatch' });
  });

  it('keeps anchors once per seq', async () => {
    const anchor = { seq: 3, head: 'a'.repeat(64), txHash: `0x${'1'.repeat(64)}`, anchoredAt: new Date() };
    await db.store.recordAuditAnchor(anchor);
    await db.store.recordAuditAnchor({ ...anchor, txHash: `0x${'2'.repeat(64)}` });
    expect(await db.store.listAuditAnchors()).toEqual([anchor]);
  });
});

describe(`a change and its audit entry (${process.env.DATABASE_URL ? 'postgresql' : 'sqlite'})`, () => {
  const register = (id: string, requestId: string) =>
    db.store.recordWithAudit(
      () => db.store.createParticipant(participant(id)),
      (p) => ({ actor: 'operator', action: 'participant.register', object: `participant:${p.id}`, after: { id: p.id }, requestId }),
    );

  it('commits both together', async () => {
    await register('org-atomic', 'req-atomic');
    expect(await db.store.getParticipant('org-atomic')).not.toBeNull();
    expect(await db.store.listAudit({ object: 'participant:org-atomic' }, 10)).toMatchObject([{ action: 'participant.register', requestId: 'req-atomic' }]);
    expect((await verify()).ok).toBe(true);
  });

  it('undoes the change when its entry cannot be appended', async () => {
    await expect(register('org-unaudited', `${REFUSED_AUDIT_REQUEST}1`)).rejects.toThrow(/audit trail is unavailable/);
    expect(await db.store.getParticipant('org-unaudited')).toBeNull();
    expect(await db.store.listAudit({ object: 'participant:org-unaudited' }, 10)).toEqual([]);
    // The trail and the database go on as before.
    await register('org-after', 'req-after');
    expect((await verify()).ok).toBe(true);
  });

  it('appends no entry when the change fails', async () => {
    await expect(register('org-atomic', 'req-again')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await db.store.listAudit({ object: 'participant:org-atomic' }, 10)).toHaveLength(1);
  });

  it('takes an "already there" answer inside the transaction, and keeps its entry', async () => {
    // The second insert hits the unique key: inside a PostgreSQL transaction that needs its savepoint.
    const report = () =>
      db.store.recordWithAudit(
        () => db.store.insertExchangeIfAbsent(exchange('ex-atomic')),
        (r) => ({ actor: 'cons', action: r.created ? 'exchange.report' : 'exchange.report-again', object: 'exchange:ex-atomic' }),
      );
    expect((await report()).created).toBe(true);
    expect((await report()).created).toBe(false);
    expect((await db.store.listAudit({ object: 'exchange:ex-atomic' }, 10)).map((e) => e.action)).toEqual(['exchange.report', 'exchange.report-again']);
  });

  it('keeps one chain while changes and plain appends run side by side', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0 ? register(`org-side-${i}`, `req-side-${i}`) : db.store.appendAudit({ actor: 'worker', action: 'side', object: `thing:${i}` }),
      ),
    );
    expect(await db.store.getParticipants(Array.from({ length: 12 }, (_, i) => `org-side-${i}`))).toHaveLength(6);
    expect((await verify()).ok).toBe(true);
  });
});
