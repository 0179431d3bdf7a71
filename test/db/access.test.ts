import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessGrant, ApiKey, Participant } from '../../db/entities';
import { migrateToLatest, openOrm } from '../../db/orm';
import type { NewApiKey } from '../../db/records';
import { createScratchDatabase } from '../../db/scratch-database';
import { createStore } from '../../db/store';
import { dialectOf } from '../../db/dialect';
import { defaultGrantTerms, type GrantTerms } from '../../domain/authority';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { countRows, participant } from './fixtures';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const key = (participantId: string, keyId: string, over: Partial<NewApiKey> = {}): NewApiKey => ({
  keyId,
  participantId,
  secretHash: 'b'.repeat(64),
  label: null,
  restricted: false,
  createdBy: 'operator',
  ...over,
});

const terms = (over: Partial<GrantTerms> = {}): GrantTerms => ({
  role: 'connector',
  scope: '*',
  permission: 'exchanges:read',
  validFrom: new Date('2026-01-01T00:00:00.000Z'),
  validUntil: null,
  ...over,
});

describe(`keys and grants (${process.env.DATABASE_URL ? 'postgresql' : 'sqlite'})`, () => {
  it('register an organisation with its first key and grants all at once, or not at all', async () => {
    const grants = defaultGrantTerms(['connector'], new Date());
    await db.store.registerParticipant(participant('acc-a'), key('acc-a', 'k-acc-a'), grants);
    expect(await db.store.findApiKey('k-acc-a')).toMatchObject({ participantId: 'acc-a', restricted: false, revokedAt: null });
    expect(await db.store.grantsOfKey({ participantId: 'acc-a', keyId: 'k-acc-a', restricted: false })).toHaveLength(grants.length);

    // The key id is taken: nothing of the second organisation stays behind.
    await expect(db.store.registerParticipant(participant('acc-b'), key('acc-b', 'k-acc-a'), grants)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await countRows(db, Participant, { id: 'acc-b' })).toBe(0);
    expect(await countRows(db, AccessGrant, { participantId: 'acc-b' })).toBe(0);
  });

  it('tell which organisations hold a permission at a given time: every grant in effect, on the organisation or one of its keys', async () => {
    const at = new Date('2026-06-01T00:00:00.000Z');
    const review = (over: Partial<GrantTerms>) => terms({ role: 'reviewer', permission: 'incidents:review', ...over });
    await db.store.registerParticipant(participant('acc-rev-org'), key('acc-rev-org', 'k-rev-org'), [review({})]);
    await db.store.registerParticipant(participant('acc-rev-key'), key('acc-rev-key', 'k-rev-key'), []);
    await db.store.createApiKey(key('acc-rev-key', 'k-rev-key-2', { restricted: true }), [review({})]);
    await db.store.registerParticipant(participant('acc-rev-ended'), key('acc-rev-ended', 'k-rev-ended'), [review({ validUntil: new Date('2026-05-01T00:00:00.000Z') })]);
    await db.store.registerParticipant(participant('acc-rev-later'), key('acc-rev-later', 'k-rev-later'), [review({ validFrom: new Date('2026-07-01T00:00:00.000Z') })]);
    const [revoked] = await db.store.createGrants([{ ...review({}), participantId: 'acc-rev-later', keyId: null, createdBy: 'operator' }]);
    await db.store.revokeGrant('acc-rev-later', revoked!.id);
    expect((await db.store.participantsGranted('incidents:review', at)).filter((id) => id.startsWith('acc-rev-'))).toEqual(['acc-rev-key', 'acc-rev-org']);
  });

  it('give a restricted key only its own grants, an unrestricted one its organisation\'s too, never revoked ones', async () => {
    await db.store.createApiKey(key('acc-a', 'k-restricted', { restricted: true }), [terms({ permission: 'lineage:read' })]);
    const restricted = await db.store.grantsOfKey({ participantId: 'acc-a', keyId: 'k-restricted', restricted: true });
    expect(restricted.map((g) => g.permission)).toEqual(['lineage:read']);

    const [extra] = await db.store.createGrants([{ ...terms({ permission: 'exchanges:dispute', scope: 'contract:uc-9' }), participantId: 'acc-a', keyId: 'k-acc-a', createdBy: 'k-acc-a' }]);
    const open = await db.store.grantsOfKey({ participantId: 'acc-a', keyId: 'k-acc-a', restricted: false });
    expect(open.map((g) => g.id)).toContain(extra!.id);
    expect(open.map((g) => g.keyId)).not.toContain('k-restricted');

    const revoked = await db.store.revokeGrant('acc-a', extra!.id);
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    expect(await db.store.revokeGrant('acc-a', extra!.id)).toEqual(revoked);
    expect((await db.store.grantsOfKey({ participantId: 'acc-a', keyId: 'k-acc-a', restricted: false })).map((g) => g.id)).not.toContain(extra!.id);
    expect(await db.store.revokeGrant('someone-else', extra!.id)).toBeNull();
  });

  it('rotate a key once: the new key carries the old key\'s own grants, the old one is revoked', async () => {
    await db.store.createApiKey(key('acc-a', 'k-rot', { restricted: true }), [terms({ permission: 'lineage:read', validUntil: new Date('2027-01-01T00:00:00.000Z') })]);
    const rotations = await Promise.all(['k-rot-1', 'k-rot-2', 'k-rot-3'].map((id) => db.store.rotateApiKey('acc-a', 'k-rot', key('acc-a', id, { restricted: true, createdBy: 'k-rot' }))));
    const winners = rotations.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    const fresh = winners[0]!;
    expect(await db.store.findApiKey('k-rot')).toMatchObject({ replacedBy: fresh.keyId, revokedAt: expect.any(Date) });
    const carried = await db.store.grantsOfKey(fresh);
    expect(carried).toMatchObject([{ permission: 'lineage:read', validUntil: new Date('2027-01-01T00:00:00.000Z'), keyId: fresh.keyId }]);
    expect(await countRows(db, ApiKey, { keyId: { $in: ['k-rot-1', 'k-rot-2', 'k-rot-3'] } })).toBe(1);
    expect(await db.store.rotateApiKey('acc-a', 'k-rot', key('acc-a', 'k-rot-4'))).toBeNull();
  });

  it('revoke a key once and list every key of the organisation', async () => {
    const first = await db.store.revokeApiKey('acc-a', 'k-restricted');
    expect(first?.revokedAt).toBeInstanceOf(Date);
    expect(await db.store.revokeApiKey('acc-a', 'k-restricted')).toEqual(first);
    expect(await db.store.revokeApiKey('acc-b', 'k-restricted')).toBeNull();
    expect((await db.store.listApiKeys('acc-a')).map((k) => k.keyId)).toEqual(expect.arrayContaining(['k-acc-a', 'k-restricted', 'k-rot']));
  });
});

describe('the migration to keys and grants', () => {
  it('keeps every existing participant\'s key and gives it the default grants of its roles, open-ended', async () => {
    const serverUrl = process.env.DATABASE_URL;
    const scratch = await createScratchDatabase({ label: 'test', ...(serverUrl ? { postgresServerUrl: serverUrl } : {}) });
    const orm = await openOrm(scratch.config);
    try {
      await orm.migrator.up({ to: 'Migration20261121112046_incidents' });
      const q = dialectOf(orm.em.getPlatform()) === 'postgresql' ? (n: string) => `"${n}"` : (n: string) => `\`${n}\``;
      const created = new Date('2026-06-01T10:00:00.000Z');
      await orm.em.fork().getConnection().execute(
        `insert into ${q('participant')} (${['id', 'name', 'roles', 'wallet_address', 'webhook_url', 'webhook_secret', 'api_key_id', 'api_key_hash', 'created_at'].map(q).join(', ')}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ['old-org', 'Old', JSON.stringify(['data-provider', 'data-consumer', 'reviewer']), '0x00', null, 's', 'oldkey00000a', 'c'.repeat(64), created],
      );
      await migrateToLatest(orm);
      const store = createStore(orm);
      const migrated = await store.findApiKey('oldkey00000a');
      expect(migrated).toMatchObject({ participantId: 'old-org', secretHash: 'c'.repeat(64), restricted: false, revokedAt: null });
      const grants = await store.grantsOfKey(migrated!);
      const expected = defaultGrantTerms(['connector', 'reviewer'], created);
      expect(grants.map((g) => `${g.role} ${g.permission} ${g.scope}`).sort()).toEqual(expected.map((g) => `${g.role} ${g.permission} ${g.scope}`).sort());
      expect(grants.every((g) => g.validUntil === null && g.validFrom.getTime() === created.getTime())).toBe(true);
    } finally {
      await orm.close();
      await scratch.drop();
    }
  });
});
