import { z } from '@hono/zod-openapi';
import type { Lineage } from '../db/records';
import type { Store } from '../db/store';
import { unitsToPoints } from '../domain/amounts';
import type { Directory } from '../domain/directory';
import type { FederatedGraph, PeerAnswer, PeerCall, WalkDirection } from '../domain/lineage-federation';
import { DvctError } from '../domain/errors';
import type { PeerClient } from '../lib/peer-client';
import { nodeUrlFor, pointsField, unitsField } from './views';

/**
 * The lineage as this instance's own copy holds it, in the shape both GET /v1/nodes/{id}/lineage
 * and the peer endpoint answer, and the one way this instance asks a peer for its walk.
 */

export const lineageNodeSchema = z.object({
  nodeId: z.string(),
  dataId: z.string(),
  kind: z.enum(['raw-data', 'chain-data', 'final-data']),
  ownerId: z.string().nullable(),
  placeholder: z.boolean().openapi({ description: 'Known only as some report\'s prevDataId; nobody has described it yet' }),
  '@nodeUrl': z.string(),
});

export const lineageEdgeSchema = z.object({
  from: z.string().openapi({ description: 'The parent node' }),
  to: z.string().openapi({ description: 'The child node' }),
  exchangeId: z.string(),
  contractId: z.string(),
  usecaseContractId: z.string(),
  points: pointsField.nullable().openapi({
    description: "Points the link's exchange allocated (not revoked), on the exchange's consumed → output link; null on a link it added for a prevDataId",
  }),
  pointsUnits: unitsField.nullable(),
});

/** What a peer answers: its own walk from a node homed there, each node with the instance it is homed on. */
export const peerLineageSchema = z
  .object({
    nodeId: z.string(),
    direction: z.enum(['backward', 'forward']),
    depth: z.number().int().nullable().openapi({ description: 'Levels walked; null = unbounded' }),
    nodes: z.array(lineageNodeSchema.extend({ instanceId: z.string().openapi({ description: 'The instance the node is homed on' }) })),
    edges: z.array(lineageEdgeSchema),
    truncated: z.boolean(),
  })
  .openapi('PeerLineage');

/** The local walk (one direction), restricted as the caller may see it, with each node's home resolved. */
export async function localWalk(
  deps: { store: Store; directory: Directory },
  nodeId: string,
  direction: WalkDirection,
  depth: number | null,
  restrict: (walk: Lineage) => Lineage = (w) => w,
): Promise<FederatedGraph> {
  const { store, directory } = deps;
  const lineage = restrict(await store.lineage(nodeId, { direction, depth }));
  const exchanges = await store.exchangePoints(lineage.edges.map((e) => e.exchangeId));
  const nodeUrl = nodeUrlFor(directory);
  // An exchange's points belong to the use it reports: the link into its output node.
  const unitsOf = (e: Lineage['edges'][number]) => {
    const exchange = exchanges.get(e.exchangeId);
    return exchange && exchange.outputNodeId === e.childNodeId ? exchange.units : null;
  };
  return {
    nodes: lineage.nodes.map((n) => ({
      nodeId: n.nodeId,
      dataId: n.dataId,
      kind: n.kind,
      ownerId: n.ownerId,
      placeholder: n.placeholder,
      '@nodeUrl': nodeUrl(n.nodeId, n.homeInstanceId),
      instanceId: n.homeInstanceId ?? directory.self,
    })),
    edges: lineage.edges.map((e) => {
      const units = unitsOf(e);
      return {
        from: e.parentNodeId,
        to: e.childNodeId,
        exchangeId: e.exchangeId,
        contractId: e.contractId,
        usecaseContractId: e.usecaseContractId,
        points: units === null ? null : unitsToPoints(units),
        pointsUnits: units,
      };
    }),
    truncated: lineage.truncated,
  };
}

export const CANNOT_SIGN = 'this instance cannot sign peer requests';

/** Why an operator's walk stops at this instance's border. */
export const OPERATOR_STAYS_HERE = 'peers answer for an organisation: the operator key sees this instance\'s copy only';

/**
 * Asks a node's home for its walk as `organisation` may see it there (the peer applies its own
 * tenant-isolation rules); every way that can fail is a reason, never a throw.
 */
export async function askPeerForLineage(peers: PeerClient | undefined, direction: WalkDirection, call: PeerCall, organisation: string): Promise<PeerAnswer> {
  if (!peers) return { ok: false, reason: CANNOT_SIGN };
  const query = new URLSearchParams({ direction, ...(call.depth === null ? {} : { depth: String(call.depth) }), organisation });
  try {
    const res = await peers.request(call.instanceId, 'GET', `/v1/peer/nodes/${encodeURIComponent(call.nodeId)}/lineage?${query}`);
    if (res.status !== 200) return { ok: false, reason: `${call.instanceId} answered ${res.status}${res.body?.code ? ` ${res.body.code}` : ''}` };
    const parsed = peerLineageSchema.safeParse(res.body);
    if (!parsed.success) return { ok: false, reason: `${call.instanceId} answered something that is not a lineage` };
    return { ok: true, graph: parsed.data };
  } catch (err) {
    if (err instanceof DvctError) return { ok: false, reason: err.message };
    throw err;
  }
}
