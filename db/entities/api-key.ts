import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Participant } from './participant';

/**
 * An API key of an organisation, `dvct_<keyId>_<secret>`: only sha256(secret) is kept, so a leaked
 * database leaks no key, and the keyId names the key in logs and the audit trail. A restricted key
 * acts only by the grants given to it; an unrestricted one also by its organisation's grants.
 */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  properties: {
    keyId: p.text().primary(),
    participantId: () => p.manyToOne(Participant).mapToPk().fieldName('participant_id'),
    secretHash: p.text(),
    label: p.text().nullable(),
    restricted: p.boolean(),
    createdAt: p.datetime(),
    /** 'operator', 'registration' or the key id that created it. */
    createdBy: p.text(),
    revokedAt: p.datetime().nullable(),
    /** The key that replaced this one when it was rotated. */
    replacedBy: p.text().nullable(),
  },
});

export type ApiKeyRow = InferEntity<typeof ApiKey>;
