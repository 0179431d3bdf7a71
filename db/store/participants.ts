import { DvctError } from '../../domain/errors';
import { Participant, type ParticipantRow } from '../entities/participant';
import { Setting } from '../entities/setting';
import type { Orm } from '../orm';
import type { NewParticipant, ParticipantRecord } from '../records';
import { insertOnce, session } from './support';

export interface ParticipantStore {
  /** Records a participant alone (registration goes through AccessStore.registerParticipant); an existing id → DvctError CONFLICT. */
  createParticipant(p: NewParticipant): Promise<ParticipantRecord>;
  getParticipant(id: string): Promise<ParticipantRecord | null>;
  /** The registered ones among `ids`, in id order; unknown ids are left out. */
  getParticipants(ids: string[]): Promise<ParticipantRecord[]>;
  getSetting(key: string): Promise<string | null>;
  /** Stores the value unless the key has one; returns the stored value (an existing one wins). */
  setSettingIfAbsent(key: string, value: string): Promise<string>;
}

export function participantStore(orm: Orm): ParticipantStore {
  return {
    async createParticipant(p) {
      const record: ParticipantRecord = { ...p, walletAddress: p.walletAddress.toLowerCase(), createdAt: new Date() };
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

function toParticipantRecord(row: ParticipantRow): ParticipantRecord {
  return {
    id: row.id,
    name: row.name,
    roles: row.roles,
    walletAddress: row.walletAddress,
    webhookUrl: row.webhookUrl ?? null,
    webhookSecret: row.webhookSecret,
    createdAt: row.createdAt,
  };
}
