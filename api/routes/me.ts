import { createRoute, z } from '@hono/zod-openapi';
import { AUTHORITY_ROLES, authorityRolesOf } from '../../domain/authority';
import { grantSchema, grantView } from '../access-views';
import { createRouter, type ApiRouter } from '../context';
import { authenticated, json, problems } from '../openapi';

const meSchema = z
  .object({
    kind: z.enum(['operator', 'participant']),
    participantId: z.string().nullable(),
    keyId: z.string().openapi({ description: '`operator` for the operator key' }),
    restricted: z.boolean(),
    roles: z.array(z.enum(AUTHORITY_ROLES)).openapi({ description: 'The authority roles the organisation holds (the operator decides them at registration)' }),
    grants: z.array(grantSchema).openapi({ description: 'What this key acts by, with whether each is in effect now; empty for the operator, who may do everything but dispute' }),
  })
  .openapi('Me');

const meRoute = createRoute({
  method: 'get',
  path: '/v1/me',
  tags: ['authority'],
  summary: 'Who this key is and what it may do now: its organisation, roles and grants',
  security: authenticated,
  responses: { 200: json(meSchema, 'The calling key'), ...problems() },
});

export function meRoutes(): ApiRouter {
  const app = createRouter();
  app.openapi(meRoute, (c) => {
    const principal = c.get('principal');
    if (principal.kind === 'operator') return c.json({ kind: 'operator' as const, participantId: null, keyId: 'operator', restricted: false, roles: [], grants: [] }, 200);
    const now = new Date();
    return c.json(
      {
        kind: 'participant' as const,
        participantId: principal.participant.id,
        keyId: principal.key.keyId,
        restricted: principal.key.restricted,
        roles: authorityRolesOf(principal.participant.roles),
        grants: principal.grants.map((g) => grantView(g, now)),
      },
      200,
    );
  });
  return app;
}
