import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ApiKeyRecord, GrantRecord } from '../../db/records';
import { keyRequestSchema, keyRotationSchema } from '../../domain/schemas';
import { apiKeySchema, apiKeyView, grantSchema, grantView } from '../access-views';
import { issueApiKey } from '../auth';
import { auditedChange } from '../audit-trail';
import { notFound } from '../authorize';
import { createRouter, type ApiDeps, type ApiRouter, type AppEnv } from '../context';
import { assertMayGive, assertUnrestricted, giverOf } from '../delegation';
import { BODY_PROBLEMS, UNKNOWN_FIELDS_NOTE, authenticated, json, jsonBody, problems } from '../openapi';
import { authorizedParticipant } from '../participant-access';

/**
 * An organisation's API keys, managed by the organisation itself (`keys:manage`) or the operator:
 * create, rotate (a new secret shown once, the old key revoked at once), revoke. Keys are shown by
 * id only; the secret exists in one answer and nowhere else.
 */

const participantParams = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });
const keyParams = participantParams.extend({ keyId: z.string().min(1).max(64).openapi({ param: { name: 'keyId', in: 'path' } }) });

const issuedSchema = z
  .object({
    apiKey: z.string().openapi({ description: 'The whole key, `dvct_<keyId>_<secret>`. Shown once: only its hash is kept.' }),
    key: apiKeySchema,
    grants: z.array(grantSchema).openapi({ description: 'The key\'s own grants (a key without any acts by its organisation\'s)' }),
  })
  .openapi('IssuedApiKey');

const listRoute = createRoute({
  method: 'get',
  path: '/v1/participants/{id}/keys',
  tags: ['authority'],
  summary: 'The organisation\'s API keys, revoked ones included (keys:manage)',
  security: authenticated,
  request: { params: participantParams },
  responses: { 200: json(z.object({ participantId: z.string(), keys: z.array(apiKeySchema) }).openapi('ApiKeyList'), 'The keys'), ...problems(400) },
});

const createKeyRoute = createRoute({
  method: 'post',
  path: '/v1/participants/{id}/keys',
  tags: ['authority'],
  summary: 'Create an API key (keys:manage); the answer is the only place its secret appears',
  description: [
    'With `grants` the key is restricted to them; each must be covered by a grant of the calling key in effect (same role and permission, a scope and period at least as wide), else 403.',
    'Without, the key acts by its organisation\'s grants; only an unrestricted key (or the operator) may create one.',
    UNKNOWN_FIELDS_NOTE,
  ].join(' '),
  security: authenticated,
  request: { params: participantParams, body: jsonBody(keyRequestSchema.openapi('ApiKeyRequest'), 'The key to create') },
  responses: { 201: json(issuedSchema, 'Created'), ...problems(...BODY_PROBLEMS) },
});

const rotateRoute = createRoute({
  method: 'post',
  path: '/v1/participants/{id}/keys/{keyId}/rotate',
  tags: ['authority'],
  summary: 'Rotate an API key: a new key with the same grants, shown once; the old one stops working at once (keys:manage)',
  description: `A restricted key may rotate only keys whose grants it could give itself; an unrestricted key, any. A key that is unknown, another organisation's or already revoked: 404. The body may give the new key another label (\`{}\` keeps it). ${UNKNOWN_FIELDS_NOTE}`,
  security: authenticated,
  request: { params: keyParams, body: jsonBody(keyRotationSchema.openapi('ApiKeyRotation'), 'The new key\'s label, if it changes') },
  responses: { 201: json(issuedSchema.extend({ replaces: z.string() }).openapi('RotatedApiKey'), 'The new key'), ...problems(...BODY_PROBLEMS) },
});

const revokeRoute = createRoute({
  method: 'delete',
  path: '/v1/participants/{id}/keys/{keyId}',
  tags: ['authority'],
  summary: 'Revoke an API key: it stops working at once (keys:manage); revoking it again changes nothing',
  security: authenticated,
  request: { params: keyParams },
  responses: { 200: json(z.object({ key: apiKeySchema }).openapi('RevokedApiKey'), 'Revoked'), ...problems(400) },
});

export function keyRoutes({ store }: ApiDeps): ApiRouter {
  const app = createRouter();

  const organisation = (c: Context<AppEnv>, id: string) => authorizedParticipant(c, store, 'keys:manage', id);

  async function validKey(participantId: string, keyId: string): Promise<ApiKeyRecord> {
    const key = await store.findApiKey(keyId);
    if (!key || key.participantId !== participantId || key.revokedAt) throw notFound({ label: `valid key ${keyId} of participant ${participantId}` });
    return key;
  }

  function issued(key: ApiKeyRecord, apiKey: string, grants: GrantRecord[]) {
    return { apiKey, key: apiKeyView(key), grants: grants.map((g) => grantView(g)) };
  }

  app.openapi(listRoute, async (c) => {
    const participant = await organisation(c, c.req.valid('param').id);
    return c.json({ participantId: participant.id, keys: (await store.listApiKeys(participant.id)).map(apiKeyView) }, 200);
  });

  app.openapi(createKeyRoute, async (c) => {
    const participant = await organisation(c, c.req.valid('param').id);
    const { label, grants } = c.req.valid('json');
    const principal = c.get('principal');
    if (grants) assertMayGive(principal, participant, grants, (i) => `grants[${i}].`);
    else assertUnrestricted(principal, 'create a key without grants of its own');
    const issuedKey = issueApiKey();
    const { key, own } = await auditedChange(
      c,
      store,
      async () => {
        const key = await store.createApiKey(
          { keyId: issuedKey.keyId, participantId: participant.id, secretHash: issuedKey.secretHash, label: label ?? null, restricted: grants !== undefined, createdBy: giverOf(principal) },
          grants ?? [],
        );
        return { key, own: key.restricted ? await store.grantsOfKey(key) : [] };
      },
      ({ key, own }) => ({ action: 'key.create', object: `participant:${participant.id}/key:${key.keyId}`, after: { ...apiKeyView(key), grants: own.map((g) => grantView(g)) } }),
    );
    return c.json(issued(key, issuedKey.key, own), 201);
  });

  app.openapi(rotateRoute, async (c) => {
    const { id, keyId } = c.req.valid('param');
    const { label } = c.req.valid('json');
    const participant = await organisation(c, id);
    const old = await validKey(participant.id, keyId);
    const principal = c.get('principal');
    const oldGrants = await store.grantsOfKey({ ...old, restricted: true });
    // The new key is handed to the caller: it must not get more than the caller could give itself.
    if (!old.restricted) assertUnrestricted(principal, 'rotate a key that acts by its organisation\'s grants');
    if (!(principal.kind === 'participant' && principal.key.keyId === old.keyId)) assertMayGive(principal, participant, oldGrants, (i) => `grants[${i}].`);
    const issuedKey = issueApiKey();
    const { key, own } = await auditedChange(
      c,
      store,
      async () => {
        const key = await store.rotateApiKey(participant.id, old.keyId, {
          keyId: issuedKey.keyId,
          participantId: participant.id,
          secretHash: issuedKey.secretHash,
          label: label ?? old.label,
          restricted: old.restricted,
          createdBy: giverOf(principal),
        });
        if (!key) throw notFound({ label: `valid key ${keyId} of participant ${participant.id}` });
        return { key, own: await store.grantsOfKey({ ...key, restricted: true }) };
      },
      ({ key }) => ({ action: 'key.rotate', object: `participant:${participant.id}/key:${old.keyId}`, before: apiKeyView(old), after: apiKeyView(key) }),
    );
    return c.json({ ...issued(key, issuedKey.key, own), replaces: old.keyId }, 201);
  });

  app.openapi(revokeRoute, async (c) => {
    const { id, keyId } = c.req.valid('param');
    const participant = await organisation(c, id);
    const { before, key } = await auditedChange(
      c,
      store,
      async () => {
        // Read in the same transaction as the revocation: `before` is the state it changed.
        const found = await store.findApiKey(keyId);
        const key = found?.participantId === participant.id ? await store.revokeApiKey(participant.id, keyId) : null;
        if (!found || !key) throw notFound({ label: `key ${keyId} of participant ${participant.id}` });
        return { before: found, key };
      },
      ({ before, key }) => ({ action: 'key.revoke', object: `participant:${participant.id}/key:${keyId}`, before: apiKeyView(before), after: apiKeyView(key) }),
    );
    return c.json({ key: apiKeyView(key) }, 200);
  });

  return app;
}
