import type { ProviderReport } from '../../domain/provider-report';

/**
 * The report page's tables and chart, computed without a browser from the report JSON. The chart
 * is a step chart: running totals only change at allocations, releases and revocations.
 */

export type { ProviderReport };

export function depthLabel(depth: number): string {
  return depth === 0 ? 'direct' : `indirect, ${depth} step${depth === 1 ? '' : 's'} down`;
}

export function pointsLabel(points: string): string {
  return `${points} ${points === '1' ? 'point' : 'points'}`;
}

export interface UsageRow {
  usecaseContractId: string;
  depth: string;
  uses: number;
  earned: string;
}

export function usageRows(report: ProviderReport): UsageRow[] {
  return report.usage.byUseCase.flatMap((c) =>
    c.byDepth.map((d) => ({ usecaseContractId: c.usecaseContractId, depth: depthLabel(d.depth), uses: d.uses, earned: d.earned.points })),
  );
}

export const SERIES = ['earned', 'released', 'revoked'] as const;
export type SeriesName = (typeof SERIES)[number];

export interface Chart {
  width: number;
  height: number;
  /** The plot area inside the axes. */
  plot: { left: number; top: number; right: number; bottom: number };
  series: { name: SeriesName; path: string; last: string }[];
  /** Start, middle and end of the time axis; the end labels lean inwards so they stay inside the chart. */
  xTicks: { x: number; label: string; anchor: 'start' | 'middle' | 'end' }[];
  yTicks: { y: number; label: string }[];
}

const SIZE = { width: 720, height: 240 };
const MARGIN = { left: 56, right: 20, top: 14, bottom: 30 };

/** The smallest 1, 2 or 5 × 10^k at or above `value`: a y axis that ends on a round number. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value - 1e-9 * power) return step * power;
  return 10 * power;
}

/** UTC, so the same report draws the same chart everywhere; the date only when the span needs it. */
export function timeLabel(at: number, spanMs: number): string {
  const iso = new Date(at).toISOString();
  return spanMs < 24 * 3600_000 ? `${iso.slice(11, 19)} UTC` : iso.slice(0, 10);
}

function trimNumber(value: number): string {
  return Number(value.toPrecision(6)).toString();
}

/** A chart of the timeline, or null when nothing was allocated yet. */
export function pointsChart(timeline: ProviderReport['timeline']): Chart | null {
  if (timeline.length === 0) return null;
  const plot = { left: MARGIN.left, top: MARGIN.top, right: SIZE.width - MARGIN.right, bottom: SIZE.height - MARGIN.bottom };
  const times = timeline.map((p) => Date.parse(p.at));
  // One instant alone still needs a width to draw: a minute either side.
  const start = times.length > 1 ? times[0]! : times[0]! - 60_000;
  const end = times.length > 1 ? times.at(-1)! : times[0]! + 60_000;
  const yMax = niceCeiling(Math.max(...timeline.flatMap((p) => SERIES.map((s) => Number(p[s].points)))));
  const x = (t: number) => plot.left + ((t - start) / (end - start)) * (plot.right - plot.left);
  const y = (v: number) => plot.bottom - (v / yMax) * (plot.bottom - plot.top);
  const f = (n: number) => n.toFixed(1);

  const series = SERIES.filter((name) => name !== 'revoked' || timeline.some((p) => p.revoked.units !== '0')).map((name) => {
    let path = `M${f(x(start))},${f(y(0))}`;
    timeline.forEach((p, i) => {
      path += ` H${f(x(times[i]!))} V${f(y(Number(p[name].points)))}`;
    });
    path += ` H${f(x(end))}`;
    return { name, path, last: timeline.at(-1)![name].points };
  });

  const span = end - start;
  return {
    ...SIZE,
    plot,
    series,
    xTicks: [
      { x: x(start), label: timeLabel(start, span), anchor: 'start' as const },
      { x: x(start + span / 2), label: timeLabel(start + span / 2, span), anchor: 'middle' as const },
      { x: x(end), label: timeLabel(end, span), anchor: 'end' as const },
    ],
    yTicks: [0, yMax / 2, yMax].map((v) => ({ y: y(v), label: trimNumber(v) })),
  };
}
