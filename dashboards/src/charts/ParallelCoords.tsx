/**
 * Parallel coordinates: one vertical axis per hyperparameter and one for the chosen metric, one
 * polyline per run colored by the metric. Numeric axes are linear (log when they span more than
 * two decades); other values are spread as categories.
 *
 * Drawn at its own pixel size (the page scrolls it sideways when wide) so text is never scaled
 * below 11 px; axis titles alternate between two rows so neighbours never overlap.
 */
import { fmt, Scroll } from '../ui';

/**
 * A run's line colour from its metric position: blue (low) to orange (high). Both ends and the
 * mix between keep at least 3:1 contrast on the light and the dark background, unlike viridis's
 * pale yellow end.
 */
function lineColor(t: number): string {
  const lo = [37, 99, 235];
  const hi = [217, 95, 2];
  const f = Math.max(0, Math.min(1, t));
  const c = lo.map((v, k) => Math.round(v + (hi[k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Long axis titles are cut to fit their column; the whole title is the element's tooltip. */
const short = (s: string, max = 22) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

export interface Axis {
  key: string;
  values: (string | number | null)[];
}

interface Scaled {
  key: string;
  pos: (number | null)[];
  ticks: { at: number; label: string }[];
}

function scaleAxis(a: Axis): Scaled {
  const present = a.values.filter((v) => v != null);
  const numeric = present.length > 0 && present.every((v) => typeof v === 'number' || (v !== '' && !Number.isNaN(Number(v))));
  if (numeric) {
    const nums = a.values.map((v) => (v == null ? null : Number(v)));
    const real = nums.filter((v): v is number => v != null);
    let lo = Math.min(...real);
    let hi = Math.max(...real);
    const log = lo > 0 && hi / lo > 100;
    const f = (v: number) => (log ? Math.log10(v) : v);
    const [flo, fhi] = [f(lo), f(hi)];
    const pos = nums.map((v) => (v == null ? null : fhi > flo ? (f(v) - flo) / (fhi - flo) : 0.5));
    if (lo === hi) [lo, hi] = [lo, lo];
    return { key: a.key + (log ? ' (log)' : ''), pos, ticks: [{ at: 0, label: fmt(lo, 3) }, { at: 1, label: fmt(hi, 3) }] };
  }
  const cats = [...new Set(present.map(String))].sort();
  const at = (c: string) => (cats.length > 1 ? cats.indexOf(c) / (cats.length - 1) : 0.5);
  return { key: a.key, pos: a.values.map((v) => (v == null ? null : at(String(v)))), ticks: cats.map((c) => ({ at: at(c), label: c })) };
}

export function ParallelCoords({ axes, metric, labels }: { axes: Axis[]; metric: Axis; labels: string[] }) {
  const all = [...axes, metric].map(scaleAxis);
  const m = all[all.length - 1];
  const W = Math.max(640, all.length * 160);
  const H = 330;
  const pad = { l: 90, r: 90, t: 46, b: 24 };
  const x = (i: number) => pad.l + (all.length > 1 ? (i * (W - pad.l - pad.r)) / (all.length - 1) : 0);
  const y = (p: number) => pad.t + (1 - p) * (H - pad.t - pad.b);
  return (
    <Scroll label="Parallel coordinates">
      <svg className="parcoords" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={`Parallel coordinates of ${axes.map((a) => a.key).join(', ')} against ${metric.key}`} data-testid="parcoords">
        {labels.map((label, r) => {
          const pts = all.map((a, i) => (a.pos[r] == null ? null : `${x(i)},${y(a.pos[r]!)}`)).filter(Boolean);
          const mp = m.pos[r];
          return (
            <polyline key={r} points={pts.join(' ')} fill="none" stroke={mp == null ? '#888' : lineColor(mp)} strokeWidth={2} opacity={0.9}>
              <title>{label}</title>
            </polyline>
          );
        })}
        {all.map((a, i) => (
          <g key={a.key}>
            <line x1={x(i)} x2={x(i)} y1={pad.t} y2={H - pad.b} stroke="currentColor" opacity={0.5} />
            <text x={x(i)} y={i % 2 ? 32 : 14} textAnchor="middle" className="axis-title">
              {short(a.key)}
              <title>{a.key}</title>
            </text>
            {a.ticks.slice(0, 8).map((t) => (
              <text key={t.label} x={x(i) + 4} y={y(t.at) + 4} className="tick">
                {t.label}
              </text>
            ))}
          </g>
        ))}
      </svg>
    </Scroll>
  );
}
