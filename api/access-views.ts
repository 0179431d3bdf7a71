import { z } from '@hono/zod-openapi';
import type { ApiKeyRecord, GrantRecord } from '../db/records';
import { AUTHORITY_ROLES, PERMISSION_NAMES, inEffect } from '../domain/authority';

/** How keys and grants read in the API: never a secret or its hash. */

export const grantSchema = z
  .object({
    id: z.string(),
    role: z.enum(AUTHORITY_ROLES),
    scope: z.string().openapi({ description: '`*`, `contract:<id>`, `exchange:<id>` or `participant:<id>`: the objects the grant reaches' }),
    permission: z.enum(PERMISSION_NAMES as [string, ...string[]]),
    validFrom: z.string(),
    validUntil: z.string().nullable().openapi({ description: 'Null: open-ended' }),
    keyId: z.string().nullable().openapi({ description: 'The key holding it; null: the organisation (every unrestricted key of it)' }),
    createdAt: z.string(),
    createdBy: z.string().openapi({ description: '`operator`, `registration` or the key id that gave it' }),
    revokedAt: z.string().nullable(),
    inEffect: z.boolean().openapi({ description: 'Not revoked, and now is inside its effective period' }),
  })
  .openapi('Grant');

export const apiKeySchema = z
  .object({
    keyId: z.string().openapi({ description: 'Names the key in logs and the audit trail; the key itself is `dvct_<keyId>_<secret>`' }),
    participantId: z.string(),
    label: z.string().nullable(),
    restricted: z.boolean().openapi({ description: 'True: acts only by its own grants; false: by its organisation\'s grants too' }),
    createdAt: z.string(),
    createdBy: z.string(),
    revokedAt: z.string().nullable(),
    replacedBy: z.string().nullable().openapi({ description: 'The key that replaced it when it was rotated' }),
  })
  .openapi('ApiKey');

export function grantView(g: GrantRecord, now = new Date()): z.infer<typeof grantSchema> {
  return {
    id: g.id,
    role: g.role,
    scope: g.scope,
    permission: g.permission,
    validFrom: g.validFrom.toISOString(),
    validUntil: g.validUntil?.toISOString() ?? null,
    keyId: g.keyId,
    createdAt: g.createdAt.toISOString(),
    createdBy: g.createdBy,
    revokedAt: g.revokedAt?.toISOString() ?? null,
    inEffect: g.revokedAt === null && inEffect(g, now),
  };
}

export function apiKeyView(k: ApiKeyRecord): z.infer<typeof apiKeySchema> {
  return {
    keyId: k.keyId,
    participantId: k.participantId,
    label: k.label,
    restricted: k.restricted,
    createdAt: k.createdAt.toISOString(),
    createdBy: k.createdBy,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    replacedBy: k.replacedBy,
  };
}
