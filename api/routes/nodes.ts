import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { LineageDirection, NodeRecord } from '../../db/records';
import type { Store } from '../../db/store';
import { combineWalks, keepLinks, walkAcrossInstances, type PeerAnswer, type PeerCall, type WalkDirection } from '../../domain/lineage-federation';
import { authorize, notFound } from '../authorize';
import { createRouter, type ApiRouter, type AppEnv, type FederatedApiDeps } from '../context';
import { lineageScopeOf, type LineageScope } from '../lineage-scope';
import { askPeerForLineage, lineageEdgeSchema, lineageNodeSchema, localWalk, OPERATOR_STAYS_HERE } from '../lineage-walk';
import { authenticated, json, problems } from '../openapi';
import { nodeUrlFor, nodeViewSchema } from '../views';

/** The design document: backward tracking goes "up to three levels"; forward tracking is unbounded. */
export const DEFAULT_BACKWARD_DEPTH = 3;
const MAX_DEPTH = 100;

const LINEAGE_VISIBILITY =
  'A participant sees the links of exchanges it is a party to and of exchanges whose prevRoot update reached a node it owns, and the nodes those links (or its ownership) touch; other nodes answer 404. A node\'s metadata shows only to its owner and the parties of the exchange that created it (else its fields are empty), its links and awards only where their exchanges are visible.';

const nodeParams = z.object({ nodeId: z.string().min(1).max(256).openapi({ param: { name: 'nodeId', in: 'path' } }) });

const lineageQuery = z.object({
  direction: z.enum(['backward', 'forward', 'both']).default('backward').openapi({
    description: 'backward: the ancestors (default depth 3); forward: the descendants (unbounded by default); both: the two walks together',
  }),
  depth: z.coerce
    .number({ error: 'must be an integer from 1 to 100' })
    .int('must be an integer from 1 to 100')
    .min(1, 'must be an integer from 1 to 100')
    .max(MAX_DEPTH, 'must be an integer from 1 to 100')
    .optional()
    .openapi({ description: 'Levels to walk in each direction asked for, 1–100' }),
});

const unreachableSchema = z.object({
  nodeId: z.string(),
  instanceId: z.string().openapi({ description: 'The instance the node is homed on' }),
  '@nodeUrl': z.string(),
  reason: z.string().openapi({ description: 'Why its home could not be asked: down, timed out, refused, or this instance cannot sign' }),
});

const lineageSchema = z
  .object({
    nodeId: z.string(),
    direction: z.enum(['backward', 'forward', 'both']),
    depth: z
      .object({ backward: z.number().int().nullable().optional(), forward: z.number().int().nullable().optional() })
      .openapi({ description: 'The depth walked per direction; null = unbounded' }),
    nodes: z.array(lineageNodeSchema),
    edges: z.array(lineageEdgeSchema),
    truncated: z.boolean().openapi({ description: 'True when the depth or the node limit left part of the graph out' }),
    partial: z.boolean().openapi({ description: 'True when the home of some node reached could not be asked for the rest (see unreachable)' }),
    unreachable: z.array(unreachableSchema).openapi({ description: 'Nodes homed on a peer instance whose lineage beyond them is missing, and why' }),
  })
  .openapi('Lineage');

const nodeRoute = createRoute({
  method: 'get',
  path: '/v1/nodes/{nodeId}',
  tags: ['nodes'],
  summary: 'A lineage node, in the design document\'s "Output data" format',
  description: LINEAGE_VISIBILITY,
  security: authenticated,
  request: { params: nodeParams },
  responses: { 200: json(nodeViewSchema, 'The node'), ...problems(400, 404) },
});

const lineageRoute = createRoute({
  method: 'get',
  path: '/v1/nodes/{nodeId}/lineage',
  tags: ['nodes'],
  summary: 'Back and forward chain tracking from a node',
  description: `${LINEAGE_VISIBILITY} The walk follows visible links only. Where it reaches a node homed on a peer instance, that instance is asked (signed, for the caller's organisation) for the rest of the walk from there, and answers only what that organisation may see by the same rules; the caller's key keeps what its grants cover. A peer that cannot be asked leaves the answer partial (\`partial\`, \`unreachable\`), never an error; the operator key is answered from this instance's copy only.`,
  security: authenticated,
  request: { params: nodeParams, query: lineageQuery },
  responses: { 200: json(lineageSchema, 'The nodes and links reached'), ...problems(400, 404) },
});

type Depths = { backward?: number | null; forward?: number | null };

function depthsFor(direction: LineageDirection, depth: number | undefined): Depths {
  const backward = depth ?? DEFAULT_BACKWARD_DEPTH;
  const forward = depth ?? null;
  if (direction === 'backward') return { backward };
  if (direction === 'forward') return { forward };
  return { backward, forward };
}

/** The node when the caller may read its lineage (404 when it does not exist or is outside the caller's scope), with the caller's scope. */
async function authorizedNode(c: Context<AppEnv>, store: Store, nodeId: string): Promise<{ node: NodeRecord; scope: LineageScope }> {
  const node = await store.getNode(nodeId);
  if (!node) throw notFound({ label: `node ${nodeId}` });
  const [scope, touching] = await Promise.all([lineageScopeOf(c.get('principal'), store), store.linksOf(nodeId)]);
  authorize(c, 'lineage:read', scope.nodeObject(node, touching));
  return { node, scope };
}

export function nodeRoutes({ store, directory, peers }: FederatedApiDeps): ApiRouter {
  const app = createRouter();
  const nodeUrl = nodeUrlFor(directory);

  app.openapi(nodeRoute, async (c) => {
    const { nodeId } = c.req.valid('param');
    const { node, scope } = await authorizedNode(c, store, nodeId);
    const view = await store.getNodeView(nodeId, nodeUrl, scope.viewFilter(node));
    if (!view) throw notFound({ label: `node ${nodeId}` });
    return c.json(view, 200);
  });

  app.openapi(lineageRoute, async (c) => {
    const { nodeId } = c.req.valid('param');
    const { direction, depth } = c.req.valid('query');
    const { scope } = await authorizedNode(c, store, nodeId);
    const depths = depthsFor(direction, depth);
    const principal = c.get('principal');
    // A peer is asked for the caller's organisation and answers what that organisation may see
    // there; of that, the caller keeps what its key's grants cover.
    const askPeer = async (d: WalkDirection, call: PeerCall): Promise<PeerAnswer> => {
      if (principal.kind === 'operator') return { ok: false, reason: OPERATOR_STAYS_HERE };
      const answer = await askPeerForLineage(peers, d, call, principal.participant.id);
      return answer.ok ? { ok: true, graph: keepLinks(answer.graph, call.nodeId, (e) => scope.grantsCover(e)) } : answer;
    };
    // Each direction walks here, then asks the home of every node homed elsewhere for the rest.
    const walks = await Promise.all(
      (['backward', 'forward'] as const)
        .filter((d) => depths[d] !== undefined)
        .map(async (d) => {
          const local = await localWalk({ store, directory }, nodeId, d, depths[d]!, (w) => scope.restrict(w, nodeId));
          return walkAcrossInstances(local, { self: directory.self, startId: nodeId, direction: d, depth: depths[d]! }, (call) => askPeer(d, call));
        }),
    );
    const { graph, unreachable } = combineWalks(walks);
    return c.json(
      {
        nodeId,
        direction,
        depth: depths,
        nodes: graph.nodes.map(({ instanceId: _home, ...n }) => n),
        edges: graph.edges,
        truncated: graph.truncated,
        partial: unreachable.length > 0,
        unreachable,
      },
      200,
    );
  });

  return app;
}
