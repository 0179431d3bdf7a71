import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { AuthorityRole, GrantTerms, Permission } from '../../domain/authority';
import { DvctError } from '../../domain/errors';
import { AccessGrant, type AccessGrantRow } from '../entities/access-grant';
import { ApiKey, type ApiKeyRow } from '../entities/api-key';
import { Participant } from '../entities/participant';
import type { Orm } from '../orm';
import type { ApiKeyRecord, GrantRecord, NewApiKey, NewGrant, NewParticipant, ParticipantRecord } from '../records';
import { asDriverException, session, type Em } from './support';

/**
 * Keys and grants: who may act, and by which grants. Writes that belong together (a registration
 * with its first key and default grants, a rotation) happen in one transaction.
 */
export interface AccessStore {
  /** The organisation, its first key and its grants, all or nothing. The id or key id taken → CONFLICT. */
  registerParticipant(p: NewParticipant, key: NewApiKey, grants: readonly GrantTerms[]): Promise<ParticipantRecord>;
  /** A new key of an existing organisation, with grants of its own. */
  createApiKey(key: NewApiKey, grants: readonly GrantTerms[]): Promise<ApiKeyRecord>;
  findApiKey(keyId: string): Promise<ApiKeyRecord | null>;
  /** Oldest first, revoked ones included. */
  listApiKeys(participantId: string): Promise<ApiKeyRecord[]>;
  /** Revokes the key once (a second call returns it unchanged); null when the organisation has no such key. */
  revokeApiKey(participantId: string, keyId: string): Promise<ApiKeyRecord | null>;
  /**
   * Replaces a valid key: the replacement gets copies of the old key's own grants, and the old key
   * is revoked and points to it. Null when the organisation has no such key still valid (also when
   * a concurrent rotation got there first).
   */
  rotateApiKey(participantId: string, keyId: string, replacement: NewApiKey): Promise<ApiKeyRecord | null>;
  /** What a key acts by: its own grants and, unless it is restricted, its organisation's; never revoked ones. */
  grantsOfKey(key: Pick<ApiKeyRecord, 'participantId' | 'keyId' | 'restricted'>): Promise<GrantRecord[]>;
  /**
   * What the organisation itself acts by, without any key's own grants: its organisation-wide
   * grants, never revoked ones. A peer instance asking on an organisation's behalf gets this much.
   */
  organisationGrants(participantId: string): Promise<GrantRecord[]>;
  /** Every grant of the organisation and of its keys, revoked ones included, oldest first. */
  listGrants(participantId: string): Promise<GrantRecord[]>;
  createGrants(grants: readonly NewGrant[]): Promise<GrantRecord[]>;
  /** Revokes the grant once; null when the organisation has no such grant. */
  revokeGrant(participantId: string, grantId: string): Promise<GrantRecord | null>;
  /** Revokes every grant of the organisation and of its keys in these roles (an organisation that no longer holds them); returns them. */
  revokeGrantsInRoles(participantId: string, roles: readonly AuthorityRole[]): Promise<GrantRecord[]>;
  /**
   * The organisations holding a grant of `permission` in effect at `at` (on the organisation or on
   * one of its keys), by id — e.g. who can decide incidents, to warn them of an escalation.
   */
  participantsGranted(permission: Permission, at: Date): Promise<string[]>;
}

function grantId(): string {
  return `g_${randomBytes(8).toString('hex')}`;
}

async function insertGrants(em: Em, grants: readonly NewGrant[]): Promise<GrantRecord[]> {
  const now = new Date();
  const records: GrantRecord[] = grants.map((g) => ({ ...g, id: grantId(), createdAt: now, revokedAt: null }));
  for (const r of records) await em.insert(AccessGrant, r);
  return records;
}

function keyRecord(key: NewApiKey, createdAt: Date): ApiKeyRecord {
  return { ...key, createdAt, revokedAt: null, replacedBy: null };
}

export function accessStore(orm: Orm): AccessStore {
  async function inTransaction<T>(work: (tx: Em) => Promise<T>, conflict: () => DvctError): Promise<T> {
    const em = session(orm);
    try {
      return await em.transactional(work);
    } catch (error) {
      if (asDriverException(em, error) instanceof UniqueConstraintViolationException) throw conflict();
      throw error;
    }
  }

  return {
    async registerParticipant(p, key, grants) {
      const now = new Date();
      const participant: ParticipantRecord = { ...p, walletAddress: p.walletAddress.toLowerCase(), createdAt: now, suspendedAt: null, suspensionReason: null };
      await inTransaction(
        async (tx) => {
          await tx.insert(Participant, participant);
          await tx.insert(ApiKey, keyRecord(key, now));
          await insertGrants(tx, grants.map((g) => ({ ...g, participantId: p.id, keyId: null, createdBy: key.createdBy })));
        },
        () => new DvctError('CONFLICT', `Participant ${p.id} is already registered`, { participantId: p.id }),
      );
      return participant;
    },

    async createApiKey(key, grants) {
      const record = keyRecord(key, new Date());
      await inTransaction(
        async (tx) => {
          await tx.insert(ApiKey, record);
          await insertGrants(tx, grants.map((g) => ({ ...g, participantId: key.participantId, keyId: key.keyId, createdBy: key.createdBy })));
        },
        () => new DvctError('CONFLICT', `Key id ${key.keyId} is taken; ask again`),
      );
      return record;
    },

    async findApiKey(keyId) {
      const row = await session(orm).findOne(ApiKey, { keyId });
      return row ? toKeyRecord(row) : null;
    },

    async listApiKeys(participantId) {
      const rows = await session(orm).find(ApiKey, { participantId }, { orderBy: { createdAt: 'asc', keyId: 'asc' } });
      return rows.map(toKeyRecord);
    },

    async revokeApiKey(participantId, keyId) {
      const em = session(orm);
      await em.nativeUpdate(ApiKey, { keyId, participantId, revokedAt: null }, { revokedAt: new Date() });
      const row = await em.findOne(ApiKey, { keyId, participantId });
      return row ? toKeyRecord(row) : null;
    },

    async rotateApiKey(participantId, keyId, replacement) {
      const now = new Date();
      const record = keyRecord(replacement, now);
      return inTransaction(
        async (tx) => {
          const old = await tx.findOne(ApiKey, { keyId, participantId, revokedAt: null });
          if (!old) return null;
          await tx.insert(ApiKey, record);
          // Conditional: of two rotations racing, the second finds the key revoked and rolls back.
          const revoked = await tx.nativeUpdate(ApiKey, { keyId, revokedAt: null }, { revokedAt: now, replacedBy: replacement.keyId });
          if (revoked === 0) throw new DvctError('CONFLICT', `Key ${keyId} was rotated or revoked meanwhile`, { keyId });
          const own = await tx.find(AccessGrant, { keyId, revokedAt: null }, { orderBy: { createdAt: 'asc', id: 'asc' } });
          await insertGrants(
            tx,
            own.map((g) => ({ ...termsOf(toGrantRecord(g)), participantId, keyId: replacement.keyId, createdBy: replacement.createdBy })),
          );
          return record;
        },
        () => new DvctError('CONFLICT', `Key id ${replacement.keyId} is taken; ask again`),
      ).catch((err: unknown) => {
        if (err instanceof DvctError && err.code === 'CONFLICT' && (err.details as { keyId?: string } | undefined)?.keyId === keyId) return null;
        throw err;
      });
    },

    async grantsOfKey(key) {
      const where = key.restricted
        ? { keyId: key.keyId, revokedAt: null }
        : { participantId: key.participantId, revokedAt: null, $or: [{ keyId: null }, { keyId: key.keyId }] };
      const rows = await session(orm).find(AccessGrant, where, { orderBy: { createdAt: 'asc', id: 'asc' } });
      return rows.map(toGrantRecord);
    },

    async organisationGrants(participantId) {
      const rows = await session(orm).find(AccessGrant, { participantId, keyId: null, revokedAt: null }, { orderBy: { createdAt: 'asc', id: 'asc' } });
      return rows.map(toGrantRecord);
    },

    async listGrants(participantId) {
      const rows = await session(orm).find(AccessGrant, { participantId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
      return rows.map(toGrantRecord);
    },

    async createGrants(grants) {
      return inTransaction((tx) => insertGrants(tx, grants), () => new DvctError('CONFLICT', 'A grant id is taken; ask again'));
    },

    async revokeGrant(participantId, grantId) {
      const em = session(orm);
      await em.nativeUpdate(AccessGrant, { id: grantId, participantId, revokedAt: null }, { revokedAt: new Date() });
      const row = await em.findOne(AccessGrant, { id: grantId, participantId });
      return row ? toGrantRecord(row) : null;
    },

    async revokeGrantsInRoles(participantId, roles) {
      if (roles.length === 0) return [];
      const em = session(orm);
      const where = { participantId, role: { $in: [...roles] }, revokedAt: null };
      const held = await em.find(AccessGrant, where, { orderBy: { createdAt: 'asc', id: 'asc' } });
      const now = new Date();
      await em.nativeUpdate(AccessGrant, { id: { $in: held.map((g) => g.id) }, revokedAt: null }, { revokedAt: now });
      return held.map((g) => ({ ...toGrantRecord(g), revokedAt: now }));
    },

    async participantsGranted(permission, at) {
      const rows = await session(orm)
        .find(AccessGrant, { permission, revokedAt: null, validFrom: { $lte: at }, $or: [{ validUntil: null }, { validUntil: { $gt: at } }] }, { fields: ['participantId'] });
      return [...new Set(rows.map((r) => r.participantId))].sort();
    },
  };
}

function termsOf(g: GrantRecord): GrantTerms {
  return { role: g.role, scope: g.scope, permission: g.permission, validFrom: g.validFrom, validUntil: g.validUntil };
}

function toKeyRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    keyId: row.keyId,
    participantId: row.participantId,
    secretHash: row.secretHash,
    label: row.label ?? null,
    restricted: row.restricted,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    revokedAt: row.revokedAt ?? null,
    replacedBy: row.replacedBy ?? null,
  };
}

function toGrantRecord(row: AccessGrantRow): GrantRecord {
  return {
    id: row.id,
    participantId: row.participantId,
    keyId: row.keyId ?? null,
    role: row.role,
    scope: row.scope,
    permission: row.permission,
    validFrom: row.validFrom,
    validUntil: row.validUntil ?? null,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    revokedAt: row.revokedAt ?? null,
  };
}
