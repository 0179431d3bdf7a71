import dagre from '@dagrejs/dagre';

/**
 * The lineage page's picture, computed without a browser: GET …/lineage's JSON in, boxes and
 * arrows with their text and positions out. Ancestors stand left, descendants right (dagre's
 * layered layout); every node says what kind of data it is and who owns it, every edge the
 * use-case contract it was used under and the points that use allocated.
 */

export type NodeKind = 'raw-data' | 'chain-data' | 'final-data';

/** The lineage endpoint's answer, as far as the page reads it. */
export interface LineageJson {
  nodeId: string;
  direction: 'backward' | 'forward' | 'both';
  nodes: { nodeId: string; dataId: string; kind: NodeKind; ownerId: string | null; placeholder: boolean }[];
  edges: { from: string; to: string; exchangeId: string; contractId: string; usecaseContractId: string; points: string | null }[];
  truncated: boolean;
}

export interface NodeView {
  id: string;
  dataId: string;
  kind: NodeKind;
  ownerId: string | null;
  center: boolean;
  /** First line: the data; second: its kind and owner. */
  lines: [string, string];
  /** Centre of the box. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface EdgeView {
  from: string;
  to: string;
  exchangeId: string;
  /** The contract it was used under; then the points, when the edge has any. */
  lines: string[];
  /** SVG path data of the arrow. */
  path: string;
  /** The label box: centre and size. */
  labelX: number;
  labelY: number;
  labelWidth: number;
  labelHeight: number;
}

export interface GraphView {
  nodes: NodeView[];
  edges: EdgeView[];
  width: number;
  height: number;
  truncated: boolean;
}

export const KIND_LABELS: Record<NodeKind, string> = { 'raw-data': 'raw data', 'chain-data': 'chain data', 'final-data': 'final data' };

/** The page draws text in a 12 px monospace font, so a line's width is known without measuring it. */
export const CHAR_WIDTH = 7.3;
export const LINE_HEIGHT = 16;
const PADDING = { x: 14, y: 10 };
const LABEL_PADDING = { x: 4, y: 2 };
const MAX_CHARS = 34;
const MARGIN = 24;

/** Long ids keep their start and end, which is where dataIds differ. */
export function shorten(text: string, max = MAX_CHARS): string {
  if (text.length <= max) return text;
  const keep = max - 1;
  return `${text.slice(0, Math.ceil(keep / 2))}…${text.slice(text.length - Math.floor(keep / 2))}`;
}

export function nodeLines(node: LineageJson['nodes'][number]): [string, string] {
  const owner = node.ownerId ?? (node.placeholder ? 'owner not yet known' : 'no owner');
  return [shorten(node.dataId), shorten(`${KIND_LABELS[node.kind]} · ${owner}`)];
}

export function edgeLines(edge: LineageJson['edges'][number]): string[] {
  const contract = `${edge.usecaseContractId} (${edge.contractId})`;
  return edge.points === null ? [shorten(contract)] : [shorten(contract), `${edge.points} ${edge.points === '1' ? 'point' : 'points'}`];
}

function boxOf(lines: readonly string[], padding = PADDING): { width: number; height: number } {
  const widest = Math.max(...lines.map((l) => l.length));
  return { width: Math.ceil(widest * CHAR_WIDTH + 2 * padding.x), height: lines.length * LINE_HEIGHT + 2 * padding.y };
}

function pathThrough(points: readonly { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

export function lineageGraph(data: LineageJson): GraphView {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 90, edgesep: 16, marginx: MARGIN, marginy: MARGIN });
  graph.setDefaultEdgeLabel(() => ({}));

  const lines = new Map(data.nodes.map((n) => [n.nodeId, nodeLines(n)]));
  for (const node of data.nodes) graph.setNode(node.nodeId, boxOf(lines.get(node.nodeId)!));
  const known = new Set(data.nodes.map((n) => n.nodeId));
  // An edge to a node the walk left out cannot be drawn; the `truncated` note says the graph goes on.
  const edges = data.edges.filter((e) => known.has(e.from) && known.has(e.to));
  edges.forEach((edge, i) => {
    graph.setEdge(edge.from, edge.to, { ...boxOf(edgeLines(edge), LABEL_PADDING), labelpos: 'c' }, String(i));
  });
  dagre.layout(graph);

  const label = graph.graph();
  return {
    nodes: data.nodes.map((n) => {
      const placed = graph.node(n.nodeId);
      return {
        id: n.nodeId,
        dataId: n.dataId,
        kind: n.kind,
        ownerId: n.ownerId,
        center: n.nodeId === data.nodeId,
        lines: lines.get(n.nodeId)!,
        x: placed.x ?? 0,
        y: placed.y ?? 0,
        width: placed.width,
        height: placed.height,
      };
    }),
    edges: edges.map((e, i) => {
      const placed = graph.edge(e.from, e.to, String(i));
      return {
        from: e.from,
        to: e.to,
        exchangeId: e.exchangeId,
        lines: edgeLines(e),
        path: pathThrough(placed.points ?? []),
        labelX: placed.x ?? 0,
        labelY: placed.y ?? 0,
        labelWidth: placed.width ?? 0,
        labelHeight: placed.height ?? 0,
      };
    }),
    width: Math.ceil(label.width ?? 0),
    height: Math.ceil(label.height ?? 0),
    truncated: data.truncated,
  };
}
