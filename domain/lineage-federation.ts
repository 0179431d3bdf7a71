import { nodesJoinedTo } from './joined-nodes';

/**
 * A lineage walk that crosses instances. Each instance walks only its own copy of the graph; a
 * node homed on a peer is a door: its home knows the rest. This module keeps the bookkeeping of
 * one direction's walk — which doors are still to open and with how much depth left, merging what
 * each home answers, and marking the doors that stayed shut — without any I/O: the caller passes
 * the function that asks a peer, so the whole loop is testable with fakes.
 */

export type WalkDirection = 'backward' | 'forward';

export interface FederatedNode {
  nodeId: string;
  dataId: string;
  kind: 'raw-data' | 'chain-data' | 'final-data';
  ownerId: string | null;
  placeholder: boolean;
  '@nodeUrl': string;
  /** The instance the node is homed on (resolved: never null). */
  instanceId: string;
}

export interface FederatedEdge {
  from: string;
  to: string;
  exchangeId: string;
  contractId: string;
  usecaseContractId: string;
  points: string | null;
  pointsUnits: string | null;
}

export interface FederatedGraph {
  nodes: FederatedNode[];
  edges: FederatedEdge[];
  truncated: boolean;
}

export interface Unreachable {
  nodeId: string;
  instanceId: string;
  '@nodeUrl': string;
  reason: string;
}

export interface PeerCall {
  nodeId: string;
  instanceId: string;
  /** Levels left to walk from this node; null = unbounded. */
  depth: number | null;
}

export type PeerAnswer = { ok: true; graph: FederatedGraph } | { ok: false; reason: string };

/** Each peer call is a round trip to another organisation: one query makes at most this many. */
export const MAX_PEER_CALLS = 25;

/** Levels from the start to every node reached, along the walk's direction (breadth first over the merged edges). */
export function distancesFrom(graph: FederatedGraph, startId: string, direction: WalkDirection): Map<string, number> {
  const next = new Map<string, string[]>();
  for (const e of graph.edges) {
    const [near, far] = direction === 'backward' ? [e.to, e.from] : [e.from, e.to];
    next.set(near, [...(next.get(near) ?? []), far]);
  }
  const dist = new Map([[startId, 0]]);
  for (let frontier = [startId]; frontier.length > 0; ) {
    const following: string[] = [];
    for (const id of frontier) {
      for (const far of next.get(id) ?? []) {
        if (dist.has(far)) continue;
        dist.set(far, dist.get(id)! + 1);
        following.push(far);
      }
    }
    frontier = following;
  }
  return dist;
}

/** The doors to open next: nodes homed elsewhere, not asked yet, with depth left (nearest first). */
export function nextPeerCalls(graph: FederatedGraph, opts: { self: string; startId: string; direction: WalkDirection; depth: number | null; asked: ReadonlySet<string> }): PeerCall[] {
  const dist = distancesFrom(graph, opts.startId, opts.direction);
  return graph.nodes
    .filter((n) => n.instanceId !== opts.self && !opts.asked.has(n.nodeId) && dist.has(n.nodeId))
    .map((n) => ({ nodeId: n.nodeId, instanceId: n.instanceId, depth: opts.depth === null ? null : opts.depth - dist.get(n.nodeId)! }))
    .filter((c) => c.depth === null || c.depth > 0)
    .sort((a, b) => (b.depth ?? Infinity) - (a.depth ?? Infinity) || a.nodeId.localeCompare(b.nodeId));
}

/**
 * What a home answered, merged in: nodes by id (the answering home's copy of a node homed there
 * replaces a reference copy — the home is where it is described), links by (from, to).
 */
export function mergeWalk(graph: FederatedGraph, from: string, answer: FederatedGraph): FederatedGraph {
  const nodes = new Map(graph.nodes.map((n) => [n.nodeId, n]));
  for (const n of answer.nodes) {
    const known = nodes.get(n.nodeId);
    if (!known || n.instanceId === from) nodes.set(n.nodeId, n);
  }
  const edgeKey = (e: FederatedEdge) => `${e.from}\n${e.to}`;
  const edges = new Map(graph.edges.map((e) => [edgeKey(e), e]));
  for (const e of answer.edges) if (!edges.has(edgeKey(e))) edges.set(edgeKey(e), e);
  return { nodes: [...nodes.values()], edges: [...edges.values()], truncated: graph.truncated || answer.truncated };
}

/**
 * One direction's walk across instances: starting from the local walk, asks each node's home for
 * the rest (peers answer their local walk only, never recursing), and continues from what comes
 * back for nodes homed on yet other instances, until no door is left, depth runs out or
 * MAX_PEER_CALLS is reached. A home that cannot be asked is listed in `unreachable`; the walk goes on.
 */
export async function walkAcrossInstances(
  local: FederatedGraph,
  opts: { self: string; startId: string; direction: WalkDirection; depth: number | null; maxPeerCalls?: number },
  ask: (call: PeerCall) => Promise<PeerAnswer>,
): Promise<{ graph: FederatedGraph; unreachable: Unreachable[] }> {
  const max = opts.maxPeerCalls ?? MAX_PEER_CALLS;
  const asked = new Set<string>();
  const unreachable: Unreachable[] = [];
  let graph = local;
  let calls = 0;
  for (let doors = nextPeerCalls(graph, { ...opts, asked }); doors.length > 0; doors = nextPeerCalls(graph, { ...opts, asked })) {
    for (const door of doors) {
      asked.add(door.nodeId);
      const node = graph.nodes.find((n) => n.nodeId === door.nodeId)!;
      if (calls >= max) {
        unreachable.push({ nodeId: door.nodeId, instanceId: door.instanceId, '@nodeUrl': node['@nodeUrl'], reason: `this query reached its limit of ${max} peer calls` });
        continue;
      }
      calls += 1;
      const answer = await ask(door);
      if (answer.ok) graph = mergeWalk(graph, door.instanceId, answer.graph);
      else unreachable.push({ nodeId: door.nodeId, instanceId: door.instanceId, '@nodeUrl': node['@nodeUrl'], reason: answer.reason });
    }
  }
  return { graph, unreachable };
}

/**
 * The part of a peer's answer the asker's key may read: the links `keep` admits, and the nodes
 * still joined to the node asked about through them (the peer judged what the organisation may
 * see; a key restricted to some contracts or exchanges sees less than its organisation).
 */
export function keepLinks(graph: FederatedGraph, startId: string, keep: (edge: FederatedEdge) => boolean): FederatedGraph {
  const edges = graph.edges.filter(keep);
  const joined = nodesJoinedTo(startId, edges.map((e) => [e.from, e.to] as const));
  return { nodes: graph.nodes.filter((n) => joined.has(n.nodeId)), edges: edges.filter((e) => joined.has(e.from) && joined.has(e.to)), truncated: graph.truncated };
}

/** The two directions' results as one answer (the walks of 'both'): nodes and links once each. */
export function combineWalks(walks: { graph: FederatedGraph; unreachable: Unreachable[] }[]): { graph: FederatedGraph; unreachable: Unreachable[] } {
  const empty: FederatedGraph = { nodes: [], edges: [], truncated: false };
  // Reference copies already merged within each walk; across walks, the first description stands.
  const graph = walks.reduce((acc, w) => mergeWalk(acc, '', w.graph), empty);
  const seen = new Set<string>();
  const unreachable = walks.flatMap((w) => w.unreachable).filter((u) => !seen.has(u.nodeId) && seen.add(u.nodeId));
  return { graph, unreachable };
}
