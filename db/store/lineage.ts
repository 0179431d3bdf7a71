import { DvctError } from '../../domain/errors';
import { Node, type NodeRow } from '../entities/node';
import { NodeLink, type NodeLinkRow } from '../entities/node-link';
import type { Orm } from '../orm';
import type { Downstream, LineageOptions, Lineage, UpstreamEntry } from '../records';
import { toLinkRecord, toNodeRecord } from './nodes';
import { session, whereIdIn, type Em } from './support';

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
  /**
   * The given nodes (depth 0) and their descendants up to `depth` levels, each once at the fewest
   * levels from a start node, with the start node it was reached from. Cycle-safe; at most
   * `maxNodes` nodes (default 10 000), `truncated` when a bound left some out. With `alongExchanges`
   * the walk follows only links made by those exchanges (what a reader may see).
   */
  downstream(nodeIds: string[], depth: number, opts?: { maxNodes?: number; alongExchanges?: ReadonlySet<string> }): Promise<Downstream>;
}

/** One level of a walk: from the `near` end of each link to its `far` end. */
type Step = { near: 'child_node_id'; far: 'parent' } | { near: 'parent_node_id'; far: 'child' };
const BACKWARD: Step = { near: 'child_node_id', far: 'parent' };
const FORWARD: Step = { near: 'parent_node_id', far: 'child' };

interface LinkIds {
  id: number;
  parent: string;
  child: string;
  exchangeId: string;
}

/*
 * A walk fetches only link ids, as plain rows, one query per level; the records it returns are
 * read once at the end. Measured on 100k nodes, mapping every level's rows through the ORM took
 * more than half the time of a 20-level walk.
 */

/** The links one level further from `frontier`, in the order they were made. */
async function linksFrom(em: Em, frontier: readonly string[], step: Step): Promise<LinkIds[]> {
  const links = await whereIdIn(frontier, (slice) =>
    em
      .getConnection()
      .execute<LinkIds[]>(
        `select id, parent_node_id as parent, child_node_id as child, exchange_id as "exchangeId" from node_link where ${step.near} in (${slice.map(() => '?').join(', ')})`,
        slice,
        'all',
        em.getTransactionContext(),
      ),
  );
  return links.sort((a, b) => a.id - b.id);
}

function linksById(em: Em, ids: readonly number[]): Promise<NodeLinkRow[]> {
  return whereIdIn(ids, (slice) => em.createQueryBuilder(NodeLink).select('*').where({ id: { $in: slice } }).orderBy({ id: 'asc' }).execute<NodeLinkRow[]>('all'));
}

function nodesById(em: Em, ids: readonly string[]): Promise<NodeRow[]> {
  return whereIdIn(ids, (slice) => em.createQueryBuilder(Node).select('*').where({ nodeId: { $in: slice } }).execute<NodeRow[]>('all'));
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
      const em = session(orm);
      const [start] = await nodesById(em, [nodeId]);
      if (!start) return { nodes: [], edges: [], truncated: false };

      const included = new Set([nodeId]);
      const edgeIds = new Set<number>();
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
            edgeIds.add(link.id);
          }
          frontier = next;
        }
      }

      const order = [...included];
      const byId = new Map((await nodesById(em, order.slice(1))).map((r) => [r.nodeId, r]));
      byId.set(start.nodeId, start);
      const edges = await linksById(em, [...edgeIds].sort((a, b) => a - b));
      return { nodes: order.map((id) => toNodeRecord(byId.get(id)!)), edges: edges.map(toLinkRecord), truncated };
    },

    async upstreamSlice(nodeIds, depth) {
      const em = session(orm);
      const parentIds = new Map<string, string[]>();
      let frontier = [...new Set(nodeIds)];
      for (let level = 0; frontier.length > 0; level++) {
        for (const id of frontier) parentIds.set(id, []);
        for (const link of await linksFrom(em, frontier, BACKWARD)) parentIds.get(link.child)!.push(link.parent);
        if (level >= depth) break;
        frontier = [...new Set(frontier.flatMap((id) => parentIds.get(id)!))].filter((id) => !parentIds.has(id));
      }

      const nodes = await nodesById(em, [...parentIds.keys()]);
      const slice: Record<string, UpstreamEntry> = {};
      for (const node of nodes) slice[node.nodeId] = { ownerId: node.ownerId ?? null, parentIds: parentIds.get(node.nodeId)! };
      return slice;
    },

    async downstream(nodeIds, depth, { maxNodes = DEFAULT_MAX_NODES, alongExchanges } = {}) {
      const em = session(orm);
      const followed = (link: LinkIds) => !alongExchanges || alongExchanges.has(link.exchangeId);
      const reached = new Map<string, { depth: number; sourceNodeId: string }>();
      for (const id of nodeIds) if (!reached.has(id)) reached.set(id, { depth: 0, sourceNodeId: id });
      let frontier = [...reached.keys()];
      let truncated = false;
      for (let level = 1; frontier.length > 0; level++) {
        const links = (await linksFrom(em, frontier, FORWARD)).filter(followed);
        if (level > depth) {
          truncated ||= links.some((l) => !reached.has(l.child));
          break;
        }
        const next: string[] = [];
        for (const link of links) {
          if (reached.has(link.child)) continue;
          if (reached.size >= maxNodes) {
            truncated = true;
            continue;
          }
          reached.set(link.child, { depth: level, sourceNodeId: reached.get(link.parent)!.sourceNodeId });
          next.push(link.child);
        }
        frontier = next;
      }
      return { nodes: [...reached].map(([nodeId, r]) => ({ nodeId, ...r })), truncated };
    },
  };
}
