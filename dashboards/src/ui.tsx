/** Shared pieces: states (loading, empty, error), badges, progress, dialogs, formatting. */
import { Markdown } from './Markdown';
import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type ReactNode, type RefObject } from 'react';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden /> {what}…
    </div>
  );
}

export function ErrorState({ error, retry, title = 'Something went wrong' }: { error: Error; retry?: () => void; title?: string }) {
  return (
    <div className="state error" role="alert">
      <strong>{title}</strong>
      <p>{error.message}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <strong>{title}</strong>
      {children && <div className="hint">{children}</div>}
    </div>
  );
}

/** Loading/error/empty handling around a query's data. */
export function Guard<T>({ q, what, children }: { q: { data: T | undefined; error?: Error; loading: boolean; reload: () => void }; what: string; children: (d: T) => ReactNode }) {
  if (q.error && !q.data) return <ErrorState title={`Could not load ${what}`} error={q.error} retry={q.reload} />;
  if (!q.data) return <Loading what={`Loading ${what}`} />;
  return <>{children(q.data)}</>;
}

export function Status({ s }: { s: string }) {
  return <span className={`badge s-${s.toLowerCase()}`}>{s.toLowerCase()}</span>;
}

export function Progress({ value, label }: { value: number; label?: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={label ?? 'progress'}>
      <div style={{ width: `${pct}%` }} />
      <span>{pct}%</span>
    </div>
  );
}

/** A modal confirmation, keyboard friendly (focus moves in, Escape cancels). */
export function Confirm({ title, children, confirmLabel = 'Confirm', onConfirm, onCancel, pending, danger }: { title: string; children: ReactNode; confirmLabel?: string; onConfirm: () => void; onCancel: () => void; pending?: boolean; danger?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="dialog-title" onCancel={(e) => (e.preventDefault(), onCancel())}>
      <h2 id="dialog-title">{title}</h2>
      <div className="dialog-body">{children}</div>
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className={danger ? 'danger' : 'primary'} onClick={onConfirm} disabled={pending} autoFocus>
          {pending ? 'Working…' : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function fmt(v: number | null | undefined, digits = 4): string {
  if (v == null || Number.isNaN(v)) return '—';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return v.toFixed(digits);
}

export function ago(iso: string | null | undefined): string {
  if (!iso) return '—';
  const s = (Date.now() - new Date(iso).getTime()) / 1000;
  if (s < 60) return `${Math.max(0, Math.round(s))} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

export function duration(ms: number | null | undefined): string {
  if (ms == null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return m < 60 ? `${m} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function shortId(id: string) {
  return id.length > 10 ? id.slice(0, 8) : id;
}

/** A color from a 0..1 value on a perceptually ordered blue→yellow scale (viridis-like). */
export function scaleColor(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#7c3aed', '#0d9488'];

export function Section({ title, children, actions, id, testId }: { title: string; children: ReactNode; actions?: ReactNode; id?: string; testId?: string }) {
  return (
    <section className="card" aria-labelledby={id ? `${id}-h` : undefined} data-testid={testId}>
      <header className="card-h">
        <h2 id={id ? `${id}-h` : undefined}>{title}</h2>
        {actions && <div className="actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

/**
 * A box that scrolls what it holds (wide tables, long JSON). While its content overflows it is a
 * focusable, named region, so keyboard users can reach it and scroll it with the arrow keys and
 * screen readers say what the focus landed on; otherwise it is a plain box (no extra tab stop).
 */
export function Scroll({ label, children, className = 'table-wrap', style, pre, testId, live }: { label: string; children: ReactNode; className?: string; style?: CSSProperties; pre?: boolean; testId?: string; live?: boolean }) {
  const ref = useRef<HTMLElement>(null);
  const [overflows, setOverflows] = useState(false);
  const check = () => {
    const el = ref.current;
    if (el) setOverflows(el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight);
  };
  // After each render (new rows or text), and when the box or its content is resized.
  useLayoutEffect(check);
  useEffect(() => {
    const el = ref.current!;
    const ro = new ResizeObserver(check);
    ro.observe(el);
    for (const c of el.children) ro.observe(c);
    return () => ro.disconnect();
  }, []);
  const props = { className, style, 'data-testid': testId, 'aria-live': live ? ('polite' as const) : undefined, ...(overflows ? { tabIndex: 0, role: 'region', 'aria-label': label } : {}) };
  return pre ? (
    <pre ref={ref as RefObject<HTMLPreElement>} {...props}>
      {children}
    </pre>
  ) : (
    <div ref={ref as RefObject<HTMLDivElement>} {...props}>
      {children}
    </div>
  );
}

export function KV({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="kv">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A result-table cell: numbers right-aligned, a `**value**` (the best of a column) in bold. */
function TableCell({ text }: { text: string }) {
  const bold = /^\*\*(.*)\*\*$/.exec(text);
  const plain = bold ? bold[1] : text.replace(/\*\*/g, '');
  return <td className={/^[\d.\-–]+%?$/.test(plain) ? 'num' : undefined}>{bold ? <strong>{plain}</strong> : plain}</td>;
}

/** Renders the server's Markdown tables (the experiments' paper-style tables) as HTML tables. */
export function MarkdownTable({ md }: { md: string }) {
  const blocks: ReactNode[] = [];
  const lines = md.split('\n');
  let i = 0;
  let k = 0;
  while (i < lines.length) {
    const line = lines[i].trim();
    if (line.startsWith('|') && lines[i + 1]?.trim().match(/^\|[\s:|-]+\|$/)) {
      const cells = (l: string) => l.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
      const head = cells(line);
      const body: string[][] = [];
      i += 2;
      while (i < lines.length && lines[i].trim().startsWith('|')) body.push(cells(lines[i++]));
      blocks.push(
        <Scroll label="Result table" key={k++}>
          <table className="grid">
            <thead>
              <tr>{head.map((h, j) => <th key={j}>{h}</th>)}</tr>
            </thead>
            <tbody>
              {body.map((r, ri) => (
                <tr key={ri}>{r.map((c, j) => <TableCell key={j} text={c} />)}</tr>
              ))}
            </tbody>
          </table>
        </Scroll>,
      );
    } else {
      // A caption or note under the table: inline Markdown (**best**), headings kept at text size.
      if (line) blocks.push(<Markdown key={k++} text={line.replace(/^#+\s*/, '')} />);
      i++;
    }
  }
  return <>{blocks}</>;
}
