import { createRoute, z } from '@hono/zod-openapi';
import { notFound } from '../authorize';
import { createRouter, type ApiRouter, type FederatedApiDeps } from '../context';
import { localWalk, peerLineageSchema } from '../lineage-walk';
import { json, problems, signedByPeer } from '../openapi';

const params = z.object({ nodeId: z.string().min(1).max(256).openapi({ param: { name: 'nodeId', in: 'path' } }) });
const query = z.object({
  direction: z.enum(['backward', 'forward']),
  depth: z.coerce
    .number({ error: 'must be an integer from 1 to 100' })
    .int('must be an integer from 1 to 100')
    .min(1, 'must be an integer from 1 to 100')
    .max(100, 'must be an integer from 1 to 100')
    .optional()
    .openapi({ description: 'Levels to walk; absent: unbounded' }),
});

const peerLineageRoute = createRoute({
  method: 'get',
  path: '/v1/peer/nodes/{nodeId}/lineage',
  tags: ['instances'],
  summary: 'A peer instance asks for this instance\'s walk from a node homed here',
  description:
    'Instance to instance, not for API keys: signed by the asking instance\'s signer (README, *Several instances*). ' +
    'Answers this instance\'s own walk only (never asking its own peers: the asker follows the nodes homed elsewhere itself), ' +
    'and only the lineage structure: nodes\' ids, dataId, kind, owner, `@nodeUrl`, home instance, and the links. ' +
    'A node that is not homed here answers 404.',
  security: signedByPeer,
  request: { params, query },
  responses: { 200: json(peerLineageSchema, 'This instance\'s walk from the node'), ...problems(400, 404) },
});

export function peerLineageRoutes({ store, directory }: FederatedApiDeps): ApiRouter {
  const app = createRouter();
  app.openapi(peerLineageRoute, async (c) => {
    const { nodeId } = c.req.valid('param');
    const { direction, depth } = c.req.valid('query');
    const node = await store.getNode(nodeId);
    // Only a node's home answers for it: a reference copy here is what some exchange taught this instance.
    if (!node || node.homeInstanceId !== null) throw notFound({ label: `node ${nodeId} homed on ${directory.self}` });
    const walk = await localWalk({ store, directory }, nodeId, direction, depth ?? null);
    return c.json({ nodeId, direction, depth: depth ?? null, ...walk }, 200);
  });
  return app;
}
