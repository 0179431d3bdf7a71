import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { edgeLines, lineageGraph, nodeLines, shorten, type LineageJson, type NodeView } from '../../ui/lineage/view-model';

type JsonNode = LineageJson['nodes'][number];
type JsonEdge = LineageJson['edges'][number];

function jsonNode(nodeId: string, over: Partial<JsonNode> = {}): JsonNode {
  return { nodeId, dataId: `data-${nodeId}`, kind: 'chain-data', ownerId: `org-${nodeId}`, placeholder: false, ...over };
}

function jsonEdge(from: string, to: string, points: string | null = '5'): JsonEdge {
  return { from, to, exchangeId: `ex-${from}-${to}`, contractId: 'dc-1', usecaseContractId: 'uc-skills', points };
}

/** The design document's sequence around C2's final data. */
const SEQUENCE: LineageJson = {
  nodeId: 'final',
  direction: 'both',
  nodes: [
    jsonNode('final', { dataId: 'c2-final', kind: 'final-data', ownerId: 'org-c2' }),
    jsonNode('raw', { dataId: 'p1-raw', kind: 'raw-data', ownerId: 'org-p1' }),
    jsonNode('chain', { dataId: 'c1-chain', ownerId: 'org-c1' }),
  ],
  edges: [jsonEdge('raw', 'final'), jsonEdge('chain', 'final'), jsonEdge('raw', 'chain', '15')],
  truncated: false,
};

function overlaps(a: NodeView, b: NodeView): boolean {
  return Math.abs(a.x - b.x) * 2 < a.width + b.width && Math.abs(a.y - b.y) * 2 < a.height + b.height;
}

function pathPoints(path: string): { x: number; y: number }[] {
  return [...path.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
}

describe('the lineage picture: text', () => {
  it('names each node\'s data, kind and owner', () => {
    expect(nodeLines(jsonNode('n', { dataId: 'p1-raw', kind: 'raw-data', ownerId: 'org-p1' }))).toEqual(['p1-raw', 'raw data · org-p1']);
    expect(nodeLines(jsonNode('n', { kind: 'final-data', ownerId: 'org-c2' }))[1]).toBe('final data · org-c2');
    expect(nodeLines(jsonNode('n', { kind: 'raw-data', ownerId: null, placeholder: true }))[1]).toBe('raw data · owner not yet known');
  });

  it('labels each edge with its use case, data contract and points', () => {
    expect(edgeLines(jsonEdge('a', 'b', '15'))).toEqual(['uc-skills (dc-1)', '15 points']);
    expect(edgeLines(jsonEdge('a', 'b', '1'))).toEqual(['uc-skills (dc-1)', '1 point']);
    expect(edgeLines(jsonEdge('a', 'b', '0.25'))).toEqual(['uc-skills (dc-1)', '0.25 points']);
    expect(edgeLines(jsonEdge('a', 'b', null))).toEqual(['uc-skills (dc-1)']);
  });

  it('shortens long ids in the middle, keeping the ends where ids differ', () => {
    const long = `urn:dataspace:catalogue:${'x'.repeat(40)}:v17`;
    const short = shorten(long);
    expect(short).toHaveLength(34);
    expect(short.startsWith('urn:dataspace:cat')).toBe(true);
    expect(short.endsWith('x:v17')).toBe(true);
    expect(short).toContain('…');
    expect(shorten('p1-raw')).toBe('p1-raw');
  });
});

describe('the lineage picture: layout', () => {
  const graph = lineageGraph(SEQUENCE);

  it('places every node inside the picture, none over another, ancestors left of descendants', () => {
    expect(graph.nodes.map((n) => n.id)).toEqual(['final', 'raw', 'chain']);
    for (const n of graph.nodes) {
      expect(n.x - n.width / 2).toBeGreaterThanOrEqual(0);
      expect(n.y - n.height / 2).toBeGreaterThanOrEqual(0);
      expect(n.x + n.width / 2).toBeLessThanOrEqual(graph.width);
      expect(n.y + n.height / 2).toBeLessThanOrEqual(graph.height);
    }
    const at = Object.fromEntries(graph.nodes.map((n) => [n.id, n]));
    expect(overlaps(at.raw!, at.chain!) || overlaps(at.raw!, at.final!) || overlaps(at.chain!, at.final!)).toBe(false);
    expect(at.raw!.x).toBeLessThan(at.chain!.x);
    expect(at.chain!.x).toBeLessThan(at.final!.x);
  });

  it('marks the centre node only', () => {
    expect(graph.nodes.filter((n) => n.center).map((n) => n.id)).toEqual(['final']);
  });

  it('draws each edge from its parent\'s box to its child\'s, with the label on it', () => {
    const at = Object.fromEntries(graph.nodes.map((n) => [n.id, n]));
    for (const e of graph.edges) {
      const points = pathPoints(e.path);
      expect(points.length).toBeGreaterThanOrEqual(2);
      const [first, last] = [points[0]!, points.at(-1)!];
      expect(Math.abs(first.x - (at[e.from]!.x + at[e.from]!.width / 2))).toBeLessThan(2);
      expect(Math.abs(last.x - (at[e.to]!.x - at[e.to]!.width / 2))).toBeLessThan(2);
      expect(e.labelWidth).toBeGreaterThan(0);
      expect(e.labelX).toBeGreaterThan(first.x);
      expect(e.labelX).toBeLessThan(last.x);
    }
    expect(graph.edges.find((e) => e.from === 'raw' && e.to === 'chain')!.lines).toEqual(['uc-skills (dc-1)', '15 points']);
  });

  it('leaves out an edge to a node the walk did not return', () => {
    const cut = lineageGraph({ ...SEQUENCE, edges: [...SEQUENCE.edges, jsonEdge('chain', 'elsewhere')], truncated: true });
    expect(cut.edges).toHaveLength(3);
    expect(cut.truncated).toBe(true);
  });

  it('survives a cycle and a lone node', () => {
    const cycle = lineageGraph({ nodeId: 'a', direction: 'both', nodes: [jsonNode('a'), jsonNode('b')], edges: [jsonEdge('a', 'b'), jsonEdge('b', 'a')], truncated: false });
    expect(cycle.edges.every((e) => pathPoints(e.path).length >= 2)).toBe(true);
    const lone = lineageGraph({ nodeId: 'a', direction: 'backward', nodes: [jsonNode('a')], edges: [], truncated: false });
    expect(lone.nodes[0]).toMatchObject({ center: true });
    expect(lone.width).toBeGreaterThan(lone.nodes[0]!.width);
  });

  it('never stacks two nodes on each other, whatever the graph (random DAGs)', () => {
    const dag = fc.integer({ min: 1, max: 12 }).chain((n) =>
      fc.tuple(fc.constant(n), fc.uniqueArray(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 20, selector: ([a, b]) => `${a}-${b}` })),
    );
    fc.assert(
      fc.property(dag, ([n, pairs]) => {
        const ids = Array.from({ length: n }, (_, i) => `n${i}`);
        // Lower index → higher index keeps it acyclic, as lineage normally is.
        const edges = pairs.filter(([a, b]) => a < b).map(([a, b]) => jsonEdge(ids[a]!, ids[b]!));
        const g = lineageGraph({ nodeId: 'n0', direction: 'both', nodes: ids.map((id) => jsonNode(id)), edges, truncated: false });
        for (let i = 0; i < g.nodes.length; i++) for (let j = i + 1; j < g.nodes.length; j++) expect(overlaps(g.nodes[i]!, g.nodes[j]!)).toBe(false);
        const at = Object.fromEntries(g.nodes.map((v) => [v.id, v]));
        for (const e of g.edges) expect(at[e.from]!.x).toBeLessThan(at[e.to]!.x);
      }),
      { numRuns: 60 },
    );
  });
});
