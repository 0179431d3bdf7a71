import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Lineage, LineageDirection, NodeRecord } from '../../db/records';
import type { Store } from '../../db/store';
import { unitsToPoints } from '../../domain/amounts';
import type { Units } from '../../domain/types';
import { authorize, notFound } from '../authorize';
import { createRouter, type ApiRouter, type AppEnv, type FederatedApiDeps } from '../context';
import { lineageScopeOf, type LineageScope } from '../lineage-scope';
import { authenticated, json, problems } from '../openapi';
import { nodeUrlFor, nodeViewSchema, pointsField, unitsField } from '../views';

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

const lineageSchema = z
  .object({
    nodeId: z.string(),
    direction: z.enum(['backward', 'forward', 'both']),
    depth: z
      .object({ backward: z.number().int().nullable().optional(), forward: z.number().int().nullable().optional() })
      .openapi({ description: 'The depth walked per direction; null = unbounded' }),
    nodes: z.array(
      z.object({
        nodeId: z.string(),
        dataId: z.string(),
        kind: z.enum(['raw-data', 'chain-data', 'final-data']),
        ownerId: z.string().nullable(),
        placeholder: z.boolean().openapi({ description: 'Known only as some report\'s prevDataId; nobody has described it yet' }),
        '@nodeUrl': z.string(),
      }),
    ),
    edges: z.array(
      z.object({
        from: z.string().openapi({ description: 'The parent node' }),
        to: z.string().openapi({ description: 'The child node' }),
        exchangeId: z.string(),
        contractId: z.string(),
        usecaseContractId: z.string(),
        points: pointsField.nullable().openapi({
          description:
            "Points the link's exchange allocated (not revoked), on the exchange's consumed → output link; null on a link it added for a prevDataId",
        }),
        pointsUnits: unitsField.nullable(),
      }),
    ),
    truncated: z.boolean().openapi({ description: 'True when the depth or the node limit left part of the graph out' }),
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
  description: `${LINEAGE_VISIBILITY} The walk follows visible links only.`,
  security: authenticated,
  request: { params: nodeParams, query: lineageQuery },
  responses: { 200: json(lineageSchema, 'The nodes and links reached'), ...problems(400, 404) },
});

type Depths = { backward?: number | null; forward?: number | null };

function pointsView(units: Units | null): { points: string | null; pointsUnits: Units | null } {
  return units === null ? { points: null, pointsUnits: null } : { points: unitsToPoints(units), pointsUnits: units };
}

function depthsFor(direction: LineageDirection, depth: number | undefined): Depths {
  const backward = depth ?? DEFAULT_BACKWARD_DEPTH;
  const forward = depth ?? null;
  if (direction === 'backward') return { backward };
  if (direction === 'forward') return { forward };
  return { backward, forward };
}

/** The walks asked for, merged: the two directions can have different depths, so each is its own walk. */
async function walk(store: Store, nodeId: string, depths: Depths): Promise<Lineage> {
  const walks = await Promise.all([
    depths.backward !== undefined ? store.lineage(nodeId, { direction: 'backward', depth: depths.backward }) : null,
    depths.forward !== undefined ? store.lineage(nodeId, { direction: 'forward', depth: depths.forward }) : null,
  ]);
  const nodes = new Map<string, Lineage['nodes'][number]>();
  const edges = new Map<string, Lineage['edges'][number]>();
  let truncated = false;
  for (const w of walks) {
    if (!w) continue;
    for (const n of w.nodes) nodes.set(n.nodeId, n);
    for (const e of w.edges) edges.set(`${e.parentNodeId}\n${e.childNodeId}`, e);
    truncated ||= w.truncated;
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()], truncated };
}

/** The node when the caller may read its lineage (404 when it does not exist or is outside the caller's scope), with the caller's scope. */
async function authorizedNode(c: Context<AppEnv>, store: Store, nodeId: string): Promise<{ node: NodeRecord; scope: LineageScope }> {
  const node = await store.getNode(nodeId);
  if (!node) throw notFound({ label: `node ${nodeId}` });
  const [scope, touching] = await Promise.all([lineageScopeOf(c.get('principal'), store), store.linksOf(nodeId)]);
  authorize(c, 'lineage:read', scope.nodeObject(node, touching));
  return { node, scope };
}

export function nodeRoutes({ store, directory }: FederatedApiDeps): ApiRouter {
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
    const lineage = scope.restrict(await walk(store, nodeId, depths), nodeId);
    const exchanges = await store.exchangePoints(lineage.edges.map((e) => e.exchangeId));
    // An exchange's points belong to the use it reports: the link into its output node.
    const pointsOf = (e: Lineage['edges'][number]) => {
      const exchange = exchanges.get(e.exchangeId);
      return exchange && exchange.outputNodeId === e.childNodeId ? exchange.units : null;
    };
    return c.json(
      {
        nodeId,
        direction,
        depth: depths,
        nodes: lineage.nodes.map((n) => ({
          nodeId: n.nodeId,
          dataId: n.dataId,
          kind: n.kind,
          ownerId: n.ownerId,
          placeholder: n.placeholder,
          '@nodeUrl': nodeUrl(n.nodeId, n.homeInstanceId),
        })),
        edges: lineage.edges.map((e) => ({
          from: e.parentNodeId,
          to: e.childNodeId,
          exchangeId: e.exchangeId,
          contractId: e.contractId,
          usecaseContractId: e.usecaseContractId,
          ...pointsView(pointsOf(e)),
        })),
        truncated: lineage.truncated,
      },
      200,
    );
  });

  return app;
}
