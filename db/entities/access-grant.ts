import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AUTHORITY_ROLES, type Permission } from '../../domain/authority';
import { ApiKey } from './api-key';
import { Participant } from './participant';

/**
 * A grant: <role, scope, permission, effective period>, held by an organisation (every key of it
 * that is not restricted) or by one of its keys. Revoking sets revokedAt; rows are never deleted, so
 * what a key could do at any moment can be told afterwards.
 */
export const AccessGrant = defineEntity({
  name: 'AccessGrant',
  properties: {
    id: p.text().primary(),
    participantId: () => p.manyToOne(Participant).mapToPk().fieldName('participant_id'),
    /** Null: the organisation's grant, for all its unrestricted keys. */
    keyId: () => p.manyToOne(ApiKey).mapToPk().fieldName('key_id').nullable(),
    role: p.enum(AUTHORITY_ROLES),
    scope: p.text(),
    permission: p.text().$type<Permission>(),
    validFrom: p.datetime(),
    validUntil: p.datetime().nullable(),
    createdAt: p.datetime(),
    createdBy: p.text(),
    revokedAt: p.datetime().nullable(),
  },
});

export type AccessGrantRow = InferEntity<typeof AccessGrant>;
