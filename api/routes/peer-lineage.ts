import { createRoute, z } from '@hono/zod-openapi';
import { DvctError } from '../../domain/errors';
import { notFound } from '../authorize';
import { createRouter, type ApiRouter, type FederatedApiDeps } from '../context';
import { lineageScopeOf } from '../lineage-scope';
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
  organisation: z
    .string()
    .min(1)
    .max(128)
    .openapi({ description: 'The organisation the asking instance asks for: one the directory lists under the asking instance. The walk is what it may see here.' }),
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
    'The walk follows only the links `organisation` may see by this instance\'s tenant-isolation rules, as if it asked here with its own key; ' +
    'an organisation the asking instance does not serve answers 403. A node that is not homed here answers 404.',
  security: signedByPeer,
  request: { params, query },
  responses: { 200: json(peerLineageSchema, 'This instance\'s walk from the node, as the organisation may see it'), ...problems(400, 403, 404) },
});

export function peerLineageRoutes({ store, directory }: FederatedApiDeps): ApiRouter {
  const app = createRouter();
  app.openapi(peerLineageRoute, async (c) => {
    const { nodeId } = c.req.valid('param');
    const { direction, depth, organisation } = c.req.valid('query');
    const asker = c.get('peer')!;
    // An instance speaks for the organisations it serves, never for another member's.
    if (directory.instanceServing(organisation)?.instanceId !== asker) {
      throw new DvctError('FORBIDDEN', `${asker} does not serve ${organisation}: an instance asks only for the organisations the directory lists under it`);
    }
    const node = await store.getNode(nodeId);
    // Only a node's home answers for it: a reference copy here is what some exchange taught this instance.
    if (!node || node.homeInstanceId !== null) throw notFound({ label: `node ${nodeId} homed on ${directory.self}` });
    const [participant, grants] = await Promise.all([store.getParticipant(organisation), store.organisationGrants(organisation)]);
    // Unknown here, it sees nothing here: the asker already holds the node it asked about.
    const scope = participant ? await lineageScopeOf({ kind: 'participant', participant, grants }, store) : null;
    const walk = await localWalk({ store, directory }, nodeId, direction, depth ?? null, (w) =>
      scope ? scope.restrict(w, nodeId) : { nodes: w.nodes.filter((n) => n.nodeId === nodeId), edges: [], truncated: false },
    );
    return c.json({ nodeId, direction, depth: depth ?? null, ...walk }, 200);
  });
  return app;
}
