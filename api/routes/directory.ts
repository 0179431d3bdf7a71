import { createRoute, z } from '@hono/zod-openapi';
import { nodeUrlAt } from '../../domain/directory';
import { createRouter, type ApiRouter, type FederatedApiDeps } from '../context';
import { authenticated, json, problems } from '../openapi';

const directorySchema = z
  .object({
    self: z.string().openapi({ description: 'This instance\'s id' }),
    instances: z.array(
      z.object({
        instanceId: z.string(),
        url: z.string(),
        signerAddress: z.string().openapi({ description: 'The key that signs this instance\'s requests to its peers (and its chain transactions)' }),
        participants: z.array(z.string()).openapi({ description: 'The organisations this instance serves: their nodes are homed there' }),
        nodesUrl: z.string().openapi({ description: 'Where its nodes live: `<nodesUrl><nodeId>`' }),
      }),
    ),
  })
  .openapi('Directory');

const directoryRoute = createRoute({
  method: 'get',
  path: '/v1/directory',
  tags: ['instances'],
  summary: 'Which DVCT instance serves which participant, and where its nodes live',
  description:
    'The dataspace\'s directory as this instance holds it (DVCT_DIRECTORY_FILE). Any valid key may read it: members need it to follow `@nodeUrl` links; it is not published to non-members.',
  security: authenticated,
  responses: { 200: json(directorySchema, 'The directory'), ...problems() },
});

export function directoryRoutes({ directory }: FederatedApiDeps): ApiRouter {
  const app = createRouter();
  app.openapi(directoryRoute, (c) =>
    c.json(
      {
        self: directory.self,
        instances: directory.entries.map((e) => ({ ...e, participants: [...e.participants], nodesUrl: nodeUrlAt(e.url, '') })),
      },
      200,
    ),
  );
  return app;
}
