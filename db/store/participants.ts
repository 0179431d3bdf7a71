import type { FilterQuery } from '@mikro-orm/core';
import { DvctError } from '../../domain/errors';
import { Participant, type ParticipantRow } from '../entities/participant';
import { Setting } from '../entities/setting';
import type { Orm } from '../orm';
import type { NewParticipant, ParticipantChanges, ParticipantRecord } from '../records';
import { insertOnce, session } from './support';

export interface ParticipantStore {
  /** Records a participant alone (registration goes through AccessStore.registerParticipant); an existing id → DvctError CONFLICT. */
  createParticipant(p: NewParticipant): Promise<ParticipantRecord>;
  getParticipant(id: string): Promise<ParticipantRecord | null>;
  /** The registered ones among `ids`, in id order; unknown ids are left out. */
  getParticipants(ids: string[]): Promise<ParticipantRecord[]>;
  /** Changes an organisation's details or roles; returns it as it was and as it is, null when there is none. */
  updateParticipant(id: string, changes: ParticipantChanges): Promise<{ before: ParticipantRecord; after: ParticipantRecord } | null>;
  /**
   * Suspends the organisation (`suspension` given) or reinstates it (null), when it is `from`
   * (active or suspended) — so of two concurrent requests one changes it; its keys and grants are
   * left as they are. Returns it as it was and as it is; null when there is none or it was not `from`.
   */
  setSuspensionIf(
    id: string,
    from: 'active' | 'suspended',
    suspension: { at: Date; reason: string } | null,
  ): Promise<{ before: ParticipantRecord; after: ParticipantRecord } | null>;
  getSetting(key: string): Promise<string | null>;
  /** Stores the value unless the key has one; returns the stored value (an existing one wins). */
  setSettingIfAbsent(key: string, value: string): Promise<string>;
}

export function participantStore(orm: Orm): ParticipantStore {
  return {
    async createParticipant(p) {
      const record: ParticipantRecord = { ...p, walletAddress: p.walletAddress.toLowerCase(), createdAt: new Date(), suspendedAt: null, suspensionReason: null };
      if (!(await insertOnce(session(orm), Participant, record))) {
        throw new DvctError('CONFLICT', `Participant ${p.id} is already registered`, { participantId: p.id });
      }
      return record;
    },

    async getParticipant(id) {
      const row = await session(orm).findOne(Participant, { id });
      return row ? toParticipantRecord(row) : null;
    },

    async getParticipants(ids) {
      if (ids.length === 0) return [];
      const rows = await session(orm).find(Participant, { id: { $in: [...new Set(ids)] } }, { orderBy: { id: 'asc' } });
      return rows.map(toParticipantRecord);
    },

    async updateParticipant(id, changes) {
      return changeParticipant(orm, { id }, Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)));
    },

    async setSuspensionIf(id, from, suspension) {
      const where = { id, suspendedAt: from === 'active' ? null : { $ne: null } };
      return changeParticipant(orm, where, { suspendedAt: suspension?.at ?? null, suspensionReason: suspension?.reason ?? null });
    },

    async getSetting(key) {
      const row = await session(orm).findOne(Setting, { key });
      return row?.value ?? null;
    },

    async setSettingIfAbsent(key, value) {
      const em = session(orm);
      if (await insertOnce(em, Setting, { key, value })) return value;
      const row = await em.findOneOrFail(Setting, { key });
      return row.value;
    },
  };
}

/**
 * One read-modify-write of the participant matching `where`: the row is locked first (a no-op
 * update: the row lock on PostgreSQL, the write lock on SQLite), so `before` is what was changed.
 */
async function changeParticipant(
  orm: Orm,
  where: FilterQuery<ParticipantRow> & { id: string },
  changes: Partial<ParticipantRow>,
): Promise<{ before: ParticipantRecord; after: ParticipantRecord } | null> {
  return session(orm).transactional(async (tx) => {
    if ((await tx.nativeUpdate(Participant, where, { id: where.id })) === 0) return null;
    const before = toParticipantRecord(await tx.findOneOrFail(Participant, { id: where.id }));
    await tx.nativeUpdate(Participant, { id: where.id }, changes);
    const after = toParticipantRecord(await tx.findOneOrFail(Participant, { id: where.id }, { refresh: true }));
    return { before, after };
  });
}

function toParticipantRecord(row: ParticipantRow): ParticipantRecord {
  return {
    id: row.id,
    name: row.name,
    roles: row.roles,
    walletAddress: row.walletAddress,
    webhookUrl: row.webhookUrl ?? null,
    webhookSecret: row.webhookSecret,
    createdAt: row.createdAt,
    suspendedAt: row.suspendedAt ?? null,
    suspensionReason: row.suspensionReason ?? null,
  };
}
