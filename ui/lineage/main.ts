import { apiGet, svgElement } from '../shared/api';
import { runPage, type Page } from '../shared/page';
import { KIND_LABELS, LINE_HEIGHT, lineageGraph, type GraphView, type LineageJson, type NodeView } from './view-model';

/**
 * The lineage page: the graph around a node, backward and forward to the depth chosen. Clicking
 * a node centres the page on it (and the URL follows, so back and forward work).
 */

type Field = 'node' | 'direction' | 'depth';

function nodeElement(node: NodeView, recentre: () => void): SVGGElement {
  const left = node.x - node.width / 2;
  const top = node.y - node.height / 2;
  const classes = ['node', `kind-${node.kind}`, ...(node.center ? ['center'] : []), ...(node.ownerId === null ? ['ownerless'] : [])];
  const g = svgElement(
    'g',
    { class: classes.join(' '), 'data-node-id': node.id, 'data-data-id': node.dataId, tabindex: 0, role: 'button', 'aria-label': `${node.dataId}, ${KIND_LABELS[node.kind]}, owner ${node.ownerId ?? 'unknown'}` },
    svgElement('title', {}, `${node.dataId}\n${node.id}\n${KIND_LABELS[node.kind]} · owner ${node.ownerId ?? 'unknown'}`),
    svgElement('rect', { x: left, y: top, width: node.width, height: node.height, rx: 8 }),
    svgElement('text', { class: 'data', x: node.x, y: node.y - 4 }, node.lines[0]),
    svgElement('text', { class: 'meta', x: node.x, y: node.y + 13 }, node.lines[1]),
  );
  g.addEventListener('click', recentre);
  g.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') recentre();
  });
  return g;
}

function draw(graph: GraphView, recentre: (nodeId: string) => void): SVGSVGElement {
  const svg = svgElement('svg', { viewBox: `0 0 ${graph.width} ${graph.height}`, width: graph.width, height: graph.height, role: 'img', 'aria-label': 'Lineage graph' });
  svg.append(
    svgElement('defs', {}, svgElement('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svgElement('path', { d: 'M0,0 L10,5 L0,10 z' }))),
  );
  for (const edge of graph.edges) {
    const top = edge.labelY - edge.labelHeight / 2;
    svg.append(
      svgElement(
        'g',
        { class: 'edge', 'data-from': edge.from, 'data-to': edge.to, 'data-exchange-id': edge.exchangeId },
        svgElement('path', { d: edge.path, 'marker-end': 'url(#arrow)' }),
        svgElement('rect', { class: 'label', x: edge.labelX - edge.labelWidth / 2, y: top, width: edge.labelWidth, height: edge.labelHeight, rx: 4 }),
        // Baselines sit 4 px above each line's bottom.
        ...edge.lines.map((line, i) => svgElement('text', { x: edge.labelX, y: top + (i + 1) * LINE_HEIGHT - 2 }, line)),
      ),
    );
  }
  for (const node of graph.nodes) svg.append(nodeElement(node, () => recentre(node.id)));
  return svg;
}

const page: Page<Field> = runPage<Field>({
  form: document.querySelector<HTMLFormElement>('#lineage-form')!,
  fields: ['node', 'direction', 'depth'],
  defaults: { node: '', direction: 'both', depth: '3' },
  status: document.querySelector<HTMLElement>('#status')!,
  out: document.querySelector<HTMLElement>('#graph')!,
  prompt: (view) => (view.node ? null : 'Enter a node id (an exchange, a node or a report names it) to see its value chain.'),
  async load(view) {
    const query = new URLSearchParams({ direction: view.direction, depth: view.depth });
    const graph = lineageGraph(await apiGet<LineageJson>(`/v1/nodes/${encodeURIComponent(view.node)}/lineage?${query}`));
    const centre = graph.nodes.find((n) => n.center);
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    return {
      content: draw(graph, (nodeId) => page.go({ ...page.formView(), node: nodeId })),
      status: `${count(graph.nodes.length, 'node')}, ${count(graph.edges.length, 'link')} around ${centre?.dataId ?? view.node}${graph.truncated ? ' — the graph goes on beyond this depth.' : '.'}`,
    };
  },
});
