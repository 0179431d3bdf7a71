import type { EntityName, FilterQuery } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Participant, Setting, UseCaseContract } from '../../db/entities';
import { DvctError } from '../../domain/errors';
import { DEFAULT_REVIEW_POLICY } from '../../domain/incidents';
import { openOrm } from '../../db/orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { contract, countRows, participant, tenTimes, tenTimesSettled } from './fixtures';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const count = <T extends object>(entity: EntityName<T>, where: FilterQuery<NoInfer<T>>) => countRows(db, entity, where);

describe('participants', () => {
  it('are created once: a second registration of the id is a CONFLICT, also under concurrency', async () => {
    const results = await tenTimesSettled(() => db.store.createParticipant(participant('p-race')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(DvctError);
      expect((r.reason as DvctError).code).toBe('CONFLICT');
    }
    expect(await count(Participant, { id: 'p-race' })).toBe(1);
  });

  it('read back as stored, with the wallet address in lowercase', async () => {
    const created = await db.store.createParticipant(
      participant('p-read', { roles: ['data-provider', 'orchestrator'], webhookUrl: 'https://hooks.example/p' }),
    );
    expect(created.walletAddress).toBe('0xabcdef0000000000000000000000000000000001');
    expect(await db.store.getParticipant('p-read')).toEqual(created);
    expect(await db.store.getParticipant('nobody')).toBeNull();
  });

  it('are looked up in bulk, leaving unknown ids out', async () => {
    await db.store.createParticipant(participant('p-bulk-b'));
    await db.store.createParticipant(participant('p-bulk-a'));
    const found = await db.store.getParticipants(['p-bulk-b', 'unknown', 'p-bulk-a', 'p-bulk-b']);
    expect(found.map((p) => p.id)).toEqual(['p-bulk-a', 'p-bulk-b']);
    expect(await db.store.getParticipants([])).toEqual([]);
  });
});

describe('settings', () => {
  it('keep the first value written; concurrent writers all get that one back', async () => {
    const values = await Promise.all(Array.from({ length: 10 }, (_, i) => db.store.setSettingIfAbsent('operator-key', `hash-${i}`)));
    expect(new Set(values).size).toBe(1);
    expect(await db.store.getSetting('operator-key')).toBe(values[0]);
    expect(await db.store.setSettingIfAbsent('operator-key', 'later')).toBe(values[0]);
    expect(await count(Setting, { key: 'operator-key' })).toBe(1);
    expect(await db.store.getSetting('unset')).toBeNull();
  });
});

describe('a database that stays locked', () => {
  // SQLite only: PostgreSQL waits for row locks without a timeout of its own.
  it.skipIf(Boolean(process.env.DATABASE_URL))('is DEPENDENCY_UNAVAILABLE (retryable) once the lock wait times out, not a driver error', async () => {
    const other = await openOrm(db.config);
    const connection = other.em.getConnection();
    await connection.execute('begin immediate');
    try {
      const err = await db.store.setSettingIfAbsent('while-locked', 'x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DvctError);
      expect((err as DvctError).code).toBe('DEPENDENCY_UNAVAILABLE');
      expect((err as DvctError).retryable).toBe(true);
    } finally {
      await connection.execute('rollback');
      await other.close();
    }
    expect(await db.store.setSettingIfAbsent('while-locked', 'y')).toBe('y');
  }, 30_000);
});

describe('use-case contracts', () => {
  it('are saved once; a replay with the same content is not created again', async () => {
    const results = await tenTimes(() => db.store.saveContract(contract('uc-race')));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.every((r) => r.contract.id === 'uc-race')).toBe(true);
    expect(await count(UseCaseContract, { id: 'uc-race' })).toBe(1);
  });

  it('read back exactly, instants normalised to ISO-8601 UTC', async () => {
    const saved = await db.store.saveContract(
      contract('uc-read', { validFrom: '2025-03-01T10:00:00+02:00', validUntil: '2026-01-01T00:00:00Z', rewardPool: { numPoints: 100, weights: [{ participantId: 'prov', weight: 3 }] } }),
    );
    expect(saved.contract.validFrom).toBe('2025-03-01T08:00:00.000Z');
    expect(saved.contract.validUntil).toBe('2026-01-01T00:00:00.000Z');
    expect(await db.store.getContract('uc-read')).toEqual(saved.contract);
    // The same instant written differently is the same content.
    expect(
      (await db.store.saveContract(contract('uc-read', { validFrom: '2025-03-01T08:00:00Z', validUntil: '2026-01-01T00:00:00.000Z', rewardPool: { numPoints: 100, weights: [{ participantId: 'prov', weight: 3 }] } })))
        .created,
    ).toBe(false);
    expect(await db.store.getContract('missing')).toBeNull();
  });

  it('with the same id and other content are a CONFLICT', async () => {
    await db.store.saveContract(contract('uc-conflict'));
    await expect(
      db.store.saveContract(contract('uc-conflict', { incentiveForDataProvider: { numPoints: 6, factor: 1, factorCheck: false } })),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('with an unreadable instant are refused before anything is stored', async () => {
    await expect(db.store.saveContract(contract('uc-bad-date', { validFrom: 'soon' }))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await db.store.getContract('uc-bad-date')).toBeNull();
  });
});

describe('review policy and validation rules of a contract', () => {
  const manual = { mode: 'manual' as const, deadlineSeconds: 30, onDeadline: 'reject' as const, tolerancePoints: 0.5 };

  it('are stored and read back with the contract', async () => {
    const { contract: saved } = await db.store.saveContract(contract('uc-review', { review: manual, validationRules: ['reported-terms-match-contract'] }));
    expect(saved).toMatchObject({ review: manual, validationRules: ['reported-terms-match-contract'] });
    expect(await db.store.getContract('uc-review')).toEqual(saved);
  });

  it('read as the default policy on a contract stored before incidents existed', async () => {
    await db.store.saveContract(contract('uc-legacy'));
    await db.orm.em.fork().nativeUpdate(UseCaseContract, { id: 'uc-legacy' }, { review: null });
    expect((await db.store.getContract('uc-legacy'))?.review).toEqual(DEFAULT_REVIEW_POLICY);
    expect((await db.store.saveContract(contract('uc-legacy', { review: { ...DEFAULT_REVIEW_POLICY } }))).created).toBe(false);
    await expect(db.store.saveContract(contract('uc-legacy', { review: manual }))).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('gain a rule once, however often and concurrently it is added', async () => {
    await db.store.saveContract(contract('uc-rule'));
    const results = await tenTimes(() => db.store.addValidationRule('uc-rule', 'reported-terms-match-contract'));
    expect(results.every((c) => c.validationRules.length === 1)).toBe(true);
    expect((await db.store.getContract('uc-rule'))?.validationRules).toEqual(['reported-terms-match-contract']);
    await expect(db.store.addValidationRule('uc-none', 'reported-terms-match-contract')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('stay the same contract when it is posted again: rules only grow', async () => {
    await db.store.saveContract(contract('uc-repost'));
    await db.store.addValidationRule('uc-repost', 'reported-terms-match-contract');
    // The orchestrator's original document, without the rule added since: a replay, the rule stays.
    const again = await db.store.saveContract(contract('uc-repost'));
    expect(again).toMatchObject({ created: false, contract: { validationRules: ['reported-terms-match-contract'] } });

    // A replay that names a new rule adds it, like addValidationRule.
    await db.store.saveContract(contract('uc-repost-rule'));
    const withRule = await db.store.saveContract(contract('uc-repost-rule', { validationRules: ['reported-terms-match-contract'] }));
    expect(withRule).toMatchObject({ created: false, contract: { validationRules: ['reported-terms-match-contract'] } });
    expect((await db.store.getContract('uc-repost-rule'))?.validationRules).toEqual(['reported-terms-match-contract']);
  });
});
