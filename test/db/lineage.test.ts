import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lineage } from '../../db/records';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { link, node } from './fixtures';

let db: TestDatabase;

/** The design document's "Tracking node chain": parent → child edges as the diagram draws them. */
const SEED_EDGES: [string, string][] = [
  ['node1', 'node3'],
  ['node1', 'node4'],
  ['node2', 'node4'],
  ['node3', 'node5'],
  ['node4', 'node5'],
  ['node5', 'node-n'],
  ['node-n', 'node-n+1'],
  ['node4', 'node-n+1'],
];
/** A loop, as reports that contradict each other can make: c1 → c2 → c3 → c1, and c3 → c4. */
const CYCLE_EDGES: [string, string][] = [
  ['c1', 'c2'],
  ['c2', 'c3'],
  ['c3', 'c1'],
  ['c3', 'c4'],
];

async function addGraph(edges: [string, string][]): Promise<void> {
  for (const id of new Set(edges.flat())) await db.store.upsertNode(node(id));
  for (const [parent, child] of edges) await db.store.linkNodes(link(parent, child));
}

beforeAll(async () => {
  db = await createTestDatabase();
  await addGraph(SEED_EDGES);
  await addGraph(CYCLE_EDGES);
});
afterAll(async () => {
  await db?.close();
});

const nodeIds = (l: Lineage) => l.nodes.map((n) => n.nodeId).sort();
const edgePairs = (l: Lineage) => l.edges.map((e) => `${e.parentNodeId}>${e.childNodeId}`).sort();
const pairs = (edges: [string, string][]) => edges.map(([p, c]) => `${p}>${c}`).sort();

describe('lineage of the seed graph', () => {
  it('backward from Node n+1, three levels deep: every origin but the edge beyond the third level', async () => {
    const result = await db.store.lineage('node-n+1', { direction: 'backward', depth: 3 });
    expect(result.nodes[0]!.nodeId).toBe('node-n+1');
    expect(nodeIds(result)).toEqual(['node-n', 'node-n+1', 'node1', 'node2', 'node3', 'node4', 'node5']);
    // Node3 is reached at level 3 (via Node5 and Node n); its parent link to Node1 lies at level 4.
    expect(edgePairs(result)).toEqual(pairs(SEED_EDGES.filter(([p, c]) => !(p === 'node1' && c === 'node3'))));
    expect(result.truncated).toBe(true);
  });

  it('backward from Node n+1 without a bound: the whole graph, nothing cut off', async () => {
    const result = await db.store.lineage('node-n+1', { direction: 'backward', depth: null });
    expect(edgePairs(result)).toEqual(pairs(SEED_EDGES));
    expect(result.truncated).toBe(false);
  });

  it('forward from Node 1 without a bound: every direct and indirect use', async () => {
    const result = await db.store.lineage('node1', { direction: 'forward', depth: null });
    expect(nodeIds(result)).toEqual(['node-n', 'node-n+1', 'node1', 'node3', 'node4', 'node5']);
    expect(edgePairs(result)).toEqual(pairs(SEED_EDGES.filter(([p]) => p !== 'node2')));
    expect(result.truncated).toBe(false);
  });

  it('both ways from Node 4, one level: parents and children, not siblings', async () => {
    const result = await db.store.lineage('node4', { direction: 'both', depth: 1 });
    expect(nodeIds(result)).toEqual(['node-n+1', 'node1', 'node2', 'node4', 'node5']);
    expect(edgePairs(result)).toEqual(pairs([['node1', 'node4'], ['node2', 'node4'], ['node4', 'node5'], ['node4', 'node-n+1']]));
    expect(result.truncated).toBe(true);
  });

  it('depth 0 is the node alone, truncated when it has links', async () => {
    expect(await db.store.lineage('node1', { direction: 'forward', depth: 0 })).toMatchObject({ edges: [], truncated: true });
    expect(await db.store.lineage('node1', { direction: 'backward', depth: 0 })).toMatchObject({ edges: [], truncated: false });
  });

  it('stops at maxNodes and says so, keeping only edges between returned nodes', async () => {
    const result = await db.store.lineage('node1', { direction: 'forward', depth: null, maxNodes: 3 });
    expect(nodeIds(result)).toEqual(['node1', 'node3', 'node4']);
    expect(edgePairs(result)).toEqual(['node1>node3', 'node1>node4']);
    expect(result.truncated).toBe(true);
  });

  it('returns whole node records', async () => {
    const { nodes } = await db.store.lineage('node5', { direction: 'backward', depth: 1 });
    expect(nodes.find((n) => n.nodeId === 'node3')).toEqual(await db.store.getNode('node3'));
  });

  it('is empty for an unknown node and refuses nonsense bounds', async () => {
    expect(await db.store.lineage('nowhere', { direction: 'both', depth: null })).toEqual({ nodes: [], edges: [], truncated: false });
    await expect(db.store.lineage('node1', { direction: 'both', depth: -1 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(db.store.lineage('node1', { direction: 'both', depth: null, maxNodes: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('lineage through a cycle', () => {
  it('terminates, visiting each node once, in every direction', async () => {
    for (const direction of ['backward', 'forward', 'both'] as const) {
      const result = await db.store.lineage('c1', { direction, depth: null });
      expect(new Set(result.nodes.map((n) => n.nodeId)).size).toBe(result.nodes.length);
      expect(result.truncated).toBe(false);
    }
    const forward = await db.store.lineage('c1', { direction: 'forward', depth: null });
    expect(nodeIds(forward)).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(edgePairs(forward)).toEqual(pairs(CYCLE_EDGES));
    const backward = await db.store.lineage('c1', { direction: 'backward', depth: null });
    expect(nodeIds(backward)).toEqual(['c1', 'c2', 'c3']);
    expect(edgePairs(backward)).toEqual(pairs(CYCLE_EDGES.filter(([, c]) => c !== 'c4')));
  });
});

describe('the upstream slice for the incentive maths', () => {
  it('holds the given nodes and their ancestors up to the depth, each with all its parents', async () => {
    const slice = await db.store.upstreamSlice(['node-n+1'], 2);
    expect(slice).toEqual({
      'node-n+1': { ownerId: 'owner-of-node-n+1', parentIds: ['node-n', 'node4'] },
      'node-n': { ownerId: 'owner-of-node-n', parentIds: ['node5'] },
      node4: { ownerId: 'owner-of-node4', parentIds: ['node1', 'node2'] },
      // The last level names its parents, which have no entry of their own.
      node5: { ownerId: 'owner-of-node5', parentIds: ['node3', 'node4'] },
      node1: { ownerId: 'owner-of-node1', parentIds: [] },
      node2: { ownerId: 'owner-of-node2', parentIds: [] },
    });
  });

  it('shows placeholders with an unknown owner and survives cycles', async () => {
    await db.store.upsertNode(node('ph-parent', { ownerId: null, placeholder: true }));
    await db.store.linkNodes(link('ph-parent', 'c4'));
    const slice = await db.store.upstreamSlice(['c4'], 10);
    expect(slice['ph-parent']).toEqual({ ownerId: null, parentIds: [] });
    expect(Object.keys(slice).sort()).toEqual(['c1', 'c2', 'c3', 'c4', 'ph-parent']);
  });

  it('leaves unknown nodes out', async () => {
    expect(await db.store.upstreamSlice(['nowhere'], 3)).toEqual({});
  });
});
