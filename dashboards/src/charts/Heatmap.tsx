/** Runs × classes F1 as a colored table: readable by screen readers, each cell focusable. */
import { fmt, scaleColor, Scroll } from '../ui';

export function Heatmap({ rows, cols, values, rowHref }: { rows: { id: string; label: string }[]; cols: { id: number; label: string }[]; values: (number | null)[][]; rowHref?: (id: string) => string }) {
  const flat = values.flat().filter((v): v is number => v != null);
  const lo = flat.length ? Math.min(...flat) : 0;
  const hi = flat.length ? Math.max(...flat) : 1;
  const norm = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 1);
  return (
    <Scroll label="Per-class F1 heatmap" className="table-wrap heatmap-wrap">
      <table className="heatmap" data-testid="heatmap" aria-label="Per-class F1 by run and class">
        <thead>
          <tr>
            <th scope="col">run \ class</th>
            {cols.map((c) => (
              <th scope="col" key={c.id} title={c.label}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={r.id}>
              <th scope="row">{rowHref ? <a href={rowHref(r.id)}>{r.label}</a> : r.label}</th>
              {cols.map((c, j) => {
                const v = values[i]?.[j];
                const t = v == null ? 0 : norm(v);
                return (
                  <td key={c.id} tabIndex={0} className="cell" title={`${r.label} · class ${c.label}: ${v == null ? 'no F1 (no samples of the class in the split, or none recorded)' : `F1 ${fmt(v, 3)}`}`} style={v == null ? undefined : { background: scaleColor(t), color: t > 0.6 ? '#111' : '#fff' }}>
                    {v == null ? '·' : v.toFixed(2)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="legend-scale" aria-hidden>
        <span>{fmt(lo, 2)}</span>
        <i style={{ background: `linear-gradient(90deg, ${[0, 0.25, 0.5, 0.75, 1].map(scaleColor).join(',')})` }} />
        <span>{fmt(hi, 2)}</span>
      </div>
    </Scroll>
  );
}
