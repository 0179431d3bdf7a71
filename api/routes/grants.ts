import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { grantRequestSchema } from '../../domain/schemas';
import { grantSchema, grantView } from '../access-views';
import { auditedChange } from '../audit-trail';
import { notFound } from '../authorize';
import { createRouter, type ApiDeps, type ApiRouter, type AppEnv } from '../context';
import { assertMayGive, assertUnrestricted, giverOf } from '../delegation';
import { BODY_PROBLEMS, UNKNOWN_FIELDS_NOTE, authenticated, json, jsonBody, problems } from '../openapi';
import { authorizedParticipant } from '../participant-access';

/**
 * An organisation's grants: <role, scope, permission, effective period>, for the organisation as a
 * whole or one of its keys. The organisation gives and revokes them itself (`grants:manage`),
 * within the roles the operator registered it with and what the calling key holds.
 */

const participantParams = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });

const listRoute = createRoute({
  method: 'get',
  path: '/v1/participants/{id}/grants',
  tags: ['authority'],
  summary: 'The organisation\'s grants and its keys\' grants, revoked ones included (grants:manage)',
  security: authenticated,
  request: {
    params: participantParams,
    query: z.object({ keyId: z.string().min(1).max(64).optional().openapi({ description: 'Only this key\'s own grants' }) }),
  },
  responses: { 200: json(z.object({ participantId: z.string(), grants: z.array(grantSchema) }).openapi('GrantList'), 'The grants'), ...problems(400) },
});

const createGrantRoute = createRoute({
  method: 'post',
  path: '/v1/participants/{id}/grants',
  tags: ['authority'],
  summary: 'Give a grant to the organisation or to one of its keys (grants:manage)',
  description: [
    'The role must be one the organisation holds and carry the permission (400 otherwise).',
    'The calling key must hold a grant in effect covering it — same role and permission, a scope and period at least as wide (403 otherwise); a grant for the whole organisation needs an unrestricted key.',
    UNKNOWN_FIELDS_NOTE,
  ].join(' '),
  security: authenticated,
  request: { params: participantParams, body: jsonBody(grantRequestSchema.openapi('GrantRequest'), 'The grant') },
  responses: { 201: json(grantSchema, 'Given'), ...problems(...BODY_PROBLEMS) },
});

const revokeRoute = createRoute({
  method: 'delete',
  path: '/v1/participants/{id}/grants/{grantId}',
  tags: ['authority'],
  summary: 'Revoke a grant at once (grants:manage); revoking it again changes nothing',
  security: authenticated,
  request: { params: participantParams.extend({ grantId: z.string().min(1).max(64).openapi({ param: { name: 'grantId', in: 'path' } }) }) },
  responses: { 200: json(grantSchema, 'Revoked'), ...problems(400) },
});

export function grantRoutes({ store }: ApiDeps): ApiRouter {
  const app = createRouter();

  const organisation = (c: Context<AppEnv>, id: string) => authorizedParticipant(c, store, 'grants:manage', id);

  app.openapi(listRoute, async (c) => {
    const participant = await organisation(c, c.req.valid('param').id);
    const { keyId } = c.req.valid('query');
    const grants = (await store.listGrants(participant.id)).filter((g) => keyId === undefined || g.keyId === keyId);
    const now = new Date();
    return c.json({ participantId: participant.id, grants: grants.map((g) => grantView(g, now)) }, 200);
  });

  app.openapi(createGrantRoute, async (c) => {
    const participant = await organisation(c, c.req.valid('param').id);
    const { keyId, ...terms } = c.req.valid('json');
    const principal = c.get('principal');
    if (keyId === null) {
      assertUnrestricted(principal, 'give a grant to its whole organisation');
    } else {
      const key = await store.findApiKey(keyId);
      if (!key || key.participantId !== participant.id || key.revokedAt) throw notFound({ label: `valid key ${keyId} of participant ${participant.id}` });
    }
    assertMayGive(principal, participant, [terms], () => '');
    const grant = await auditedChange(
      c,
      store,
      async () => (await store.createGrants([{ ...terms, participantId: participant.id, keyId, createdBy: giverOf(principal) }]))[0]!,
      (grant) => ({ action: 'grant.give', object: `participant:${participant.id}/grant:${grant.id}`, after: grantView(grant) }),
    );
    return c.json(grantView(grant), 201);
  });

  app.openapi(revokeRoute, async (c) => {
    const { id, grantId } = c.req.valid('param');
    const participant = await organisation(c, id);
    const { before, grant } = await auditedChange(
      c,
      store,
      async () => {
        // Read in the same transaction as the revocation: `before` is the state it changed.
        const found = (await store.listGrants(participant.id)).find((g) => g.id === grantId);
        const grant = found ? await store.revokeGrant(participant.id, grantId) : null;
        if (!found || !grant) throw notFound({ label: `grant ${grantId} of participant ${participant.id}` });
        return { before: found, grant };
      },
      ({ before, grant }) => ({ action: 'grant.revoke', object: `participant:${participant.id}/grant:${grantId}`, before: grantView(before), after: grantView(grant) }),
    );
    return c.json(grantView(grant), 200);
  });

  return app;
}
