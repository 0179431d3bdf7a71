import { describe, expect, it } from 'vitest';
import { amount, buildProviderReport } from '../../domain/provider-report';
import { depthLabel, niceCeiling, pointsChart, pointsLabel, timeLabel, usageRows } from '../../ui/report/view-model';

const E18 = 10n ** 18n;
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function point(seconds: number, earned: bigint, released: bigint, revoked = 0n) {
  return { at: iso(seconds), earned: amount(earned * E18), released: amount(released * E18), revoked: amount(revoked * E18) };
}

function coordinates(path: string): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  let x = 0;
  let y = 0;
  for (const [, op, a, b] of path.matchAll(/([MHV])(-?[\d.]+)(?:,(-?[\d.]+))?/g)) {
    if (op === 'M') [x, y] = [Number(a), Number(b)];
    if (op === 'H') x = Number(a);
    if (op === 'V') y = Number(a);
    out.push({ x, y });
  }
  return out;
}

describe('report page text', () => {
  it('says how a use reached the data', () => {
    expect(depthLabel(0)).toBe('direct');
    expect(depthLabel(1)).toBe('indirect, 1 step down');
    expect(depthLabel(3)).toBe('indirect, 3 steps down');
    expect(pointsLabel('1')).toBe('1 point');
    expect(pointsLabel('2.5')).toBe('2.5 points');
  });

  it('makes one usage row per use case and depth', () => {
    const report = buildProviderReport({
      participantId: 'p',
      period: { from: null, to: null },
      uses: [
        { exchangeId: 'e1', at: new Date(T0), usecaseContractId: 'uc-b', contractId: 'dc', consumerId: 'c', status: 'completed', dataId: 'd', nodeId: 'n', depth: 2, sourceDataId: 'd' },
        { exchangeId: 'e2', at: new Date(T0), usecaseContractId: 'uc-a', contractId: 'dc', consumerId: 'c', status: 'completed', dataId: 'd', nodeId: 'n', depth: 0, sourceDataId: 'd' },
      ],
      lines: [{ exchangeId: 'e1', amount: (3n * E18).toString(), status: 'allocated', createdAt: new Date(T0), updatedAt: new Date(T0) }],
      awards: [],
      truncated: false,
    });
    expect(usageRows(report)).toEqual([
      { usecaseContractId: 'uc-a', depth: 'direct', uses: 1, earned: '0' },
      { usecaseContractId: 'uc-b', depth: 'indirect, 2 steps down', uses: 1, earned: '3' },
    ]);
  });
});

describe('the points chart', () => {
  it('rounds the y axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 0.03, 1, 1.2, 7, 13, 100, 101, 2500].map(niceCeiling)).toEqual([1, 0.05, 1, 2, 10, 20, 100, 200, 5000]);
  });

  it('labels times in UTC, with the date only for spans of a day or more', () => {
    expect(timeLabel(T0, 60_000)).toBe('10:00:00 UTC');
    expect(timeLabel(T0, 3 * 86_400_000)).toBe('2026-11-20');
  });

  it('draws nothing when nothing was allocated', () => {
    expect(pointsChart([])).toBeNull();
  });

  it('draws each running total as steps from zero, inside the plot, ending at the last value', () => {
    const chart = pointsChart([point(0, 7n, 0n), point(3, 7n, 7n), point(10, 13n, 7n), point(20, 13n, 13n)])!;
    expect(chart.series.map((s) => [s.name, s.last])).toEqual([
      ['earned', '13'],
      ['released', '13'],
    ]);
    const { plot } = chart;
    for (const s of chart.series) {
      const xy = coordinates(s.path);
      expect(xy[0]).toEqual({ x: plot.left, y: plot.bottom });
      expect(xy.at(-1)!.x).toBe(plot.right);
      for (const p of xy) {
        expect(p.x).toBeGreaterThanOrEqual(plot.left);
        expect(p.x).toBeLessThanOrEqual(plot.right);
        expect(p.y).toBeGreaterThanOrEqual(plot.top);
        expect(p.y).toBeLessThanOrEqual(plot.bottom);
      }
      // Steps only go right.
      for (let i = 1; i < xy.length; i++) expect(xy[i]!.x).toBeGreaterThanOrEqual(xy[i - 1]!.x);
    }
    // 13 points on a 0–20 axis.
    const earnedTop = Math.min(...coordinates(chart.series[0]!.path).map((p) => p.y));
    expect(earnedTop).toBeCloseTo(plot.bottom - (13 / 20) * (plot.bottom - plot.top), 0);
    expect(chart.yTicks.map((t) => t.label)).toEqual(['0', '10', '20']);
    expect(chart.xTicks.map((t) => [t.label, t.anchor])).toEqual([
      ['10:00:00 UTC', 'start'],
      ['10:00:10 UTC', 'middle'],
      ['10:00:20 UTC', 'end'],
    ]);
  });

  it('adds the revoked series only when something was revoked, and gives a lone instant some width', () => {
    expect(pointsChart([point(0, 5n, 0n)])!.series.map((s) => s.name)).toEqual(['earned', 'released']);
    const revoked = pointsChart([point(0, 5n, 0n), point(5, 0n, 0n, 5n)])!;
    expect(revoked.series.map((s) => s.name)).toEqual(['earned', 'released', 'revoked']);
    const lone = pointsChart([point(0, 5n, 0n)])!;
    expect(lone.xTicks.map((t) => t.label)).toEqual(['09:59:00 UTC', '10:00:00 UTC', '10:01:00 UTC']);
  });
});
