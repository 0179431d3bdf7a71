import { apiGet, element, svgElement } from '../shared/api';
import { runPage, type ViewState } from '../shared/page';
import { depthLabel, pointsChart, pointsLabel, usageRows, type Chart, type ProviderReport } from './view-model';

/** The provider report page: GET /v1/participants/{id}/report drawn as totals, a chart and tables. */

type Field = 'participant' | 'from' | 'to';

/** Dates are whole days: `to` includes its day, so the API's exclusive end is the next midnight (UTC). */
function apiQuery(view: ViewState<Field>): string {
  const q = new URLSearchParams();
  if (view.from) q.set('from', `${view.from}T00:00:00Z`);
  if (view.to) q.set('to', new Date(Date.parse(`${view.to}T00:00:00Z`) + 86_400_000).toISOString());
  const text = q.toString();
  return text ? `?${text}` : '';
}

function table(id: string, headings: string[], rows: (string | Node)[][], empty: string): HTMLElement {
  if (rows.length === 0) return element('p', { id, class: 'empty' }, empty);
  return element(
    'table',
    { id },
    element('thead', {}, element('tr', {}, ...headings.map((h) => element('th', { scope: 'col' }, h)))),
    element('tbody', {}, ...rows.map((cells) => element('tr', {}, ...cells.map((c) => element('td', {}, c))))),
  );
}

function chartFigure(chart: Chart | null): HTMLElement {
  if (!chart) return element('p', { id: 'chart', class: 'empty' }, 'No points allocated in this period.');
  const { plot } = chart;
  const svg = svgElement(
    'svg',
    { viewBox: `0 0 ${chart.width} ${chart.height}`, width: chart.width, height: chart.height, role: 'img', 'aria-label': 'Points over time' },
    ...chart.yTicks.map((t) =>
      svgElement('g', { class: 'tick y' }, svgElement('line', { x1: plot.left, x2: plot.right, y1: t.y, y2: t.y }), svgElement('text', { x: plot.left - 6, y: t.y + 4 }, t.label)),
    ),
    ...chart.xTicks.map((t) => svgElement('text', { class: 'tick x', x: t.x, y: plot.bottom + 18, 'text-anchor': t.anchor }, t.label)),
    svgElement('line', { class: 'axis', x1: plot.left, x2: plot.left, y1: plot.top, y2: plot.bottom }),
    ...chart.series.map((s) => svgElement('path', { class: `series ${s.name}`, d: s.path, 'data-series': s.name })),
  );
  const legend = element('figcaption', {}, ...chart.series.map((s) => element('span', { class: `legend ${s.name}` }, `${s.name}: ${pointsLabel(s.last)}`)));
  return element('figure', { id: 'chart' }, svg, legend);
}

function lineageLink(nodeId: string, text: string): HTMLElement {
  return element('a', { href: `/ui/lineage?${new URLSearchParams({ node: nodeId, direction: 'both', depth: '3' })}` }, text);
}

function render(report: ProviderReport): HTMLElement {
  const period = report.period.from || report.period.to ? `from ${report.period.from ?? 'the start'} to ${report.period.to ?? 'now'}` : 'all time';
  const totals = (['earned', 'pending', 'released', 'revoked'] as const).map((name) =>
    element('div', { class: `total ${name}`, 'data-total': name }, element('dt', {}, name), element('dd', {}, report.totals[name].points)),
  );
  return element(
    'div',
    {},
    element('h2', {}, `Report of ${report.participantId}`, element('small', {}, ` — ${period}`)),
    element('dl', { class: 'totals' }, ...totals),
    element('p', { class: 'hint' }, 'Earned = pending (allocated, still revocable) + released. Points in the period by when they were allocated; statuses as they are now.'),
    element('h3', {}, 'Points over time'),
    chartFigure(pointsChart(report.timeline)),
    element('h3', {}, `Where the data was used — ${report.usage.direct} direct, ${report.usage.indirect} indirect`),
    table('usage', ['use case', 'how', 'uses', 'points'], usageRows(report).map((r) => [r.usecaseContractId, r.depth, String(r.uses), r.earned]), 'Nobody used this participant\'s data in this period.'),
    element('h3', {}, 'Uses'),
    table(
      'uses',
      ['reported', 'use case', 'consumer', 'data used', 'from', 'how', 'points', 'revoked', ''],
      report.uses.map((u) => [
        u.at.replace('T', ' ').slice(0, 19),
        u.usecaseContractId,
        u.consumerId ?? '',
        u.dataId,
        u.sourceDataId,
        depthLabel(u.depth),
        u.earned.points,
        u.revoked.points,
        lineageLink(u.nodeId, 'lineage'),
      ]),
      'No uses in this period.',
    ),
    element('h3', {}, 'Awarded, by reason'),
    table('reasons', ['reason', 'points'], report.awardedByReason.map((r) => [r.reason, r.points]), 'Nothing awarded in this period.'),
    ...(report.truncated ? [element('p', { class: 'hint' }, 'The lineage goes deeper than the report follows; uses further down are not listed.')] : []),
  );
}

runPage<Field>({
  form: document.querySelector<HTMLFormElement>('#report-form')!,
  fields: ['participant', 'from', 'to'],
  defaults: { participant: '', from: '', to: '' },
  status: document.querySelector<HTMLElement>('#status')!,
  out: document.querySelector<HTMLElement>('#report')!,
  prompt: (view) => (view.participant ? null : 'Enter a participant id: your own, or any with the operator key.'),
  async load(view) {
    return { content: render(await apiGet<ProviderReport>(`/v1/participants/${encodeURIComponent(view.participant)}/report${apiQuery(view)}`)) };
  },
});
