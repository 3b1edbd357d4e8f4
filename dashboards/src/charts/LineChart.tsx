/** Line curves over epochs, drawn by uPlot (canvas: fast with many runs and points). */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { PALETTE } from '../ui';

export interface Curve {
  label: string;
  x: number[];
  y: number[];
  color?: string;
  dash?: boolean;
}

/** Aligns curves on the union of their x values (uPlot wants one x array). */
function align(curves: Curve[]): uPlot.AlignedData {
  const xs = [...new Set(curves.flatMap((c) => c.x))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const ys = curves.map((c) => {
    const row: (number | null)[] = new Array(xs.length).fill(null);
    c.x.forEach((x, i) => (row[at.get(x)!] = c.y[i]));
    return row;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}

/** Whole-number tick steps, for x values that are steps or epochs (no "epoch 2.5"). */
const INTEGER_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 1_000_000];

/** The x ticks uPlot drew, kept on the figure so a test can read them (a canvas holds no text). */
function recordTicks(u: uPlot) {
  const splits = (u.axes[0] as { _splits?: number[] })._splits;
  if (splits) u.root.parentElement?.parentElement?.setAttribute('data-x-ticks', splits.join(','));
}

/** `xLabel` names the x axis (default epoch); `time` reads x as Unix seconds and labels it as dates. */
export function LineChart({ curves, title, yLabel, height = 240, testId, xLabel = 'epoch', time = false }: { curves: Curve[]; title: string; yLabel?: string; height?: number; testId?: string; xLabel?: string; time?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = curves.map((c) => c.label + (c.color ?? '')).join('|');
  const data = useMemo(() => align(curves), [curves]);
  const points = curves.reduce((n, c) => n + c.x.length, 0);
  const integral = curves.every((c) => c.x.every(Number.isInteger));

  useEffect(() => {
    const el = box.current;
    if (!el || !curves.length) return;
    // Canvas cannot read CSS variables: resolve the theme's colours once.
    const css = getComputedStyle(document.documentElement);
    const muted = css.getPropertyValue('--muted').trim() || '#5b6472';
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { live: true },
      scales: { x: { time } },
      hooks: { draw: [recordTicks] },
      axes: [
        { label: xLabel, stroke: muted, grid: { stroke: 'rgba(128,128,128,.15)' }, incrs: !time && integral ? INTEGER_INCRS : undefined },
        { label: yLabel, stroke: muted, grid: { stroke: 'rgba(128,128,128,.15)' }, size: 56 },
      ],
      series: [{ label: xLabel }, ...curves.map((c, i) => ({ label: c.label, stroke: c.color ?? PALETTE[i % PALETTE.length], width: 1.6, dash: c.dash ? [6, 4] : undefined, spanGaps: true, points: { show: false } }))],
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuild only when the set of series changes; new points go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, height, yLabel, xLabel, time, integral]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure className="chart" data-testid={testId} data-points={points} data-x={xLabel}>
      <figcaption>{title}</figcaption>
      {curves.length ? <div ref={box} role="img" aria-label={`${title}: ${curves.map((c) => `${c.label} ${c.x.length} points`).join(', ')}`} /> : <div className="state empty">No points yet.</div>}
    </figure>
  );
}
