import { DvctError } from '../../domain/errors';
import { Node } from '../entities/node';
import { NodeLink, type NodeLinkRow } from '../entities/node-link';
import type { Orm } from '../orm';
import type { LineageOptions, Lineage, UpstreamEntry } from '../records';
import { toLinkRecord, toNodeRecord } from './nodes';
import { whereIdIn, type Em } from './support';

const DEFAULT_MAX_NODES = 10_000;

export interface LineageStore {
  /**
   * The lineage graph around a node, walked level by level (one query per level), cycle-safe.
   * 'backward' walks to ancestors, 'forward' to descendants, 'both' does both (not siblings).
   * Nodes come in discovery order, the start node first; an unknown start gives an empty graph.
   */
  lineage(nodeId: string, opts: LineageOptions): Promise<Lineage>;
  /**
   * The given nodes and their ancestors up to `depth` levels, for the incentive maths. parentIds is
   * complete for every entry, so a node at the last level names parents that have no entry.
   */
  upstreamSlice(nodeIds: string[], depth: number): Promise<Record<string, UpstreamEntry>>;
}

type Step = { near: 'childNodeId'; far: 'parentNodeId' } | { near: 'parentNodeId'; far: 'childNodeId' };
const BACKWARD: Step = { near: 'childNodeId', far: 'parentNodeId' };
const FORWARD: Step = { near: 'parentNodeId', far: 'childNodeId' };

/** The links one level further from `frontier` in the direction of `step`. */
function linksFrom(em: Em, frontier: readonly string[], step: Step): Promise<NodeLinkRow[]> {
  return whereIdIn(frontier, (slice) =>
    em.find(NodeLink, { [step.near]: { $in: slice } }, { orderBy: { id: 'asc' }, disableIdentityMap: true }),
  );
}

export function lineageStore(orm: Orm): LineageStore {
  return {
    async lineage(nodeId, opts) {
      const maxNodes = opts.maxNodes ?? DEFAULT_MAX_NODES;
      if (!Number.isInteger(maxNodes) || maxNodes < 1) {
        throw new DvctError('VALIDATION_FAILED', `maxNodes must be a positive integer (got ${maxNodes})`, { field: 'maxNodes' });
      }
      if (opts.depth !== null && (!Number.isInteger(opts.depth) || opts.depth < 0)) {
        throw new DvctError('VALIDATION_FAILED', `depth must be a non-negative integer or null (got ${opts.depth})`, { field: 'depth' });
      }
      const em = orm.em.fork();
      if (!(await em.findOne(Node, { nodeId }))) return { nodes: [], edges: [], truncated: false };

      const included = new Set([nodeId]);
      const edges = new Map<number, NodeLinkRow>();
      let truncated = false;
      const steps = opts.direction === 'backward' ? [BACKWARD] : opts.direction === 'forward' ? [FORWARD] : [BACKWARD, FORWARD];
      for (const step of steps) {
        let frontier = [nodeId];
        for (let level = 0; frontier.length > 0; level++) {
          const links = await linksFrom(em, frontier, step);
          if (opts.depth !== null && level >= opts.depth) {
            // The walk stops here; it cut something off only if the graph goes on.
            truncated ||= links.length > 0;
            break;
          }
          const next: string[] = [];
          for (const link of links) {
            const far = link[step.far];
            if (!included.has(far)) {
              if (included.size >= maxNodes) {
                truncated = true;
                continue;
              }
              included.add(far);
              next.push(far);
            }
            edges.set(link.id, link);
          }
          frontier = next;
        }
      }

      const order = [...included];
      const rows = await whereIdIn(order, (slice) => em.find(Node, { nodeId: { $in: slice } }, { disableIdentityMap: true }));
      const byId = new Map(rows.map((r) => [r.nodeId, r]));
      return {
        nodes: order.map((id) => toNodeRecord(byId.get(id)!)),
        edges: [...edges.values()].sort((a, b) => a.id - b.id).map(toLinkRecord),
        truncated,
      };
    },

    async upstreamSlice(nodeIds, depth) {
      const em = orm.em.fork();
      const parentIds = new Map<string, string[]>();
      let frontier = [...new Set(nodeIds)];
      for (let level = 0; frontier.length > 0; level++) {
        for (const id of frontier) parentIds.set(id, []);
        for (const link of await linksFrom(em, frontier, BACKWARD)) parentIds.get(link.childNodeId)!.push(link.parentNodeId);
        if (level >= depth) break;
        frontier = [...new Set(frontier.flatMap((id) => parentIds.get(id)!))].filter((id) => !parentIds.has(id));
      }

      const nodes = await whereIdIn([...parentIds.keys()], (slice) =>
        em.find(Node, { nodeId: { $in: slice } }, { fields: ['nodeId', 'ownerId'], disableIdentityMap: true }),
      );
      const slice: Record<string, UpstreamEntry> = {};
      for (const node of nodes) slice[node.nodeId] = { ownerId: node.ownerId ?? null, parentIds: parentIds.get(node.nodeId)! };
      return slice;
    },
  };
}
