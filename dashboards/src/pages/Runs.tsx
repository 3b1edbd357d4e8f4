/**
 * The runs table: server-side filter, sort and paging (cursor pages of 100 fetched as the user
 * scrolls), rows virtualised so 10,000 runs stay smooth. Every choice lives in the URL.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { gql, useQuery } from '../api';
import { RemovableChip } from '../controls';
import { href, navigate, setParams } from '../router';
import { ago, duration, Empty, ErrorState, fmt, Status } from '../ui';
import { TagChips } from './RunMeta';
import { MetricCell, NameCell, type ExperimentBestRow, type Summary } from './RunCells';
import { tagConditions, TagFilter } from './TagFilter';

const PAGE = 100;
const STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
const AGGS = ['LAST', 'MIN', 'MAX'] as const;

const RUNS = `query Runs($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String) {
  runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id name kind status createdAt durationMs dataset { id name version } project { id name } tags { key value }
      params { key value number } summaries { name split last min max }
      experiment { best { value run { id name summaries { name split last min max } } } } }
  } }`;

interface RunRow {
  id: string;
  name: string | null;
  kind: string;
  status: string;
  createdAt: string;
  durationMs: number | null;
  dataset: { id: string; name: string; version: number } | null;
  project: { id: string; name: string };
  tags: { key: string; value: string }[];
  params: { key: string; value: string; number: number | null }[];
  summaries: Summary[];
  experiment: ExperimentBestRow | null;
}

/** A column: `p:<key>` for a param, `m:<split>:<name>:<agg>` for a metric summary. */
type Col = { id: string; kind: 'param'; key: string } | { id: string; kind: 'metric'; split: string; name: string; agg: (typeof AGGS)[number] };

function parseCol(id: string): Col | null {
  const [t, ...rest] = id.split(':');
  if (t === 'p' && rest.length) return { id, kind: 'param', key: rest.join(':') };
  if (t === 'm' && rest.length === 3 && (AGGS as readonly string[]).includes(rest[2].toUpperCase())) return { id, kind: 'metric', split: rest[0], name: rest[1], agg: rest[2].toUpperCase() as Col & { kind: 'metric' } extends { agg: infer A } ? A : never };
  return null;
}
const colLabel = (c: Col) => (c.kind === 'param' ? c.key : `${c.split} ${c.name} (${c.agg.toLowerCase()})`);
const DEFAULT_COLS = 'm:val:microF1:MAX,m:val:macroF1:MAX,m:val:loss:MIN,p:head,p:learningRate,p:epochs';

/** A filter chip: `p~<key>~<op>~<value>` or `m~<split>~<name>~<agg>~<op>~<value>`. */
const OPS: Record<string, string> = { gte: '≥', gt: '>', lte: '≤', lt: '<', eq: '=', equals: 'is' };

function buildFilter(params: URLSearchParams) {
  const filter: Record<string, unknown> = {};
  const q = params.get('q');
  if (q) filter.search = q;
  const st = params.get('status');
  if (st) filter.status = st.split(',');
  const kind = params.get('kind');
  if (kind) filter.kind = kind.split(',');
  if (params.get('top') === '1') filter.topLevel = true;
  const ds = params.get('dataset');
  if (ds) filter.datasetId = ds;
  const project = params.get('project');
  if (project) filter.projectId = project;
  const pc: unknown[] = [];
  const mc: unknown[] = [];
  for (const f of params.getAll('f')) {
    const parts = f.split('~');
    if (parts[0] === 'p' && parts.length === 4) {
      const [, key, op, v] = parts;
      pc.push(op === 'equals' ? { key, equals: v } : { key, [op]: Number(v) });
    } else if (parts[0] === 'm' && parts.length === 6) {
      const [, split, name, agg, op, v] = parts;
      mc.push({ name, split, aggregate: agg, [op]: Number(v) });
    }
  }
  const tags = tagConditions(params);
  if (tags.length) filter.tags = tags;
  if (pc.length) filter.params = pc;
  if (mc.length) filter.metrics = mc;
  return filter;
}

function buildOrder(sort: string | null) {
  if (!sort) return { field: 'CREATED_AT', direction: 'DESC' };
  const [field, dir, ...rest] = sort.split(':');
  const direction = dir === 'asc' ? 'ASC' : 'DESC';
  if (field === 'p') return { field: 'PARAM', key: rest.join(':'), direction };
  if (field === 'm') return { field: 'METRIC', metric: { split: rest[0], name: rest[1], aggregate: rest[2] }, direction };
  return { field: field.toUpperCase(), direction };
}

function paramValue(r: RunRow, key: string): string {
  const p = r.params.find((x) => x.key === key);
  return p ? (p.number != null ? fmt(p.number) : p.value) : '—';
}

export function RunsPage({ params }: { params: URLSearchParams }) {
  const filter = useMemo(() => buildFilter(params), [params.toString()]);
  const sort = params.get('sort');
  const orderBy = useMemo(() => buildOrder(sort), [sort]);
  const cols = useMemo(() => (params.get('cols') ?? DEFAULT_COLS).split(',').map(parseCol).filter((c): c is Col => c != null), [params.get('cols')]);

  const [rows, setRows] = useState<RunRow[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [cursor, setCursor] = useState<{ next: boolean; end: string | null }>({ next: false, end: null });
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const gen = useRef(0);
  const key = JSON.stringify([filter, orderBy]);

  async function load(after: string | null, g: number) {
    setLoading(true);
    try {
      const d = await gql<{ runs: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: RunRow[] } }>(RUNS, { filter, orderBy, first: PAGE, after });
      if (g !== gen.current) return;
      setRows((r) => (after ? [...r, ...d.runs.nodes] : d.runs.nodes));
      setTotal(d.runs.totalCount);
      setCursor({ next: d.runs.pageInfo.hasNextPage, end: d.runs.pageInfo.endCursor });
      setError(undefined);
    } catch (e) {
      if (g === gen.current) setError(e as Error);
    } finally {
      if (g === gen.current) setLoading(false);
    }
  }

  useEffect(() => {
    const g = ++gen.current;
    setRows([]);
    setTotal(null);
    void load(null, g);
  }, [key, tick]);

  // Known columns: params and metrics seen in the loaded rows.
  const known = useMemo(() => {
    const p = new Set<string>();
    const m = new Set<string>();
    for (const r of rows.slice(0, 500)) {
      r.params.forEach((x) => p.add(x.key));
      r.summaries.forEach((x) => m.add(`${x.split}:${x.name}`));
    }
    return { params: [...p].sort(), metrics: [...m].sort() };
  }, [rows]);

  const [selected, setSelected] = useState<string[]>([]);
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  const scroll = useRef<HTMLDivElement>(null);
  const count = rows.length + (cursor.next ? 1 : 0);
  const v = useVirtualizer({ count, getScrollElement: () => scroll.current, estimateSize: () => 36, overscan: 12 });
  const items = v.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : 0;
  useEffect(() => {
    if (cursor.next && !loading && lastIndex >= rows.length - 1) void load(cursor.end, gen.current);
  }, [lastIndex, cursor, loading, rows.length]);

  // Sized so the default columns fit a 1440 px window (headers wrap rather than being cut); more
  // columns scroll sideways. Header and rows share one width, so their grid columns line up.
  const fixed = [32, 180, 92, 72, 110, 150, 96, 76];
  const template = `32px minmax(180px, 3fr) 92px 72px minmax(110px, 1fr) minmax(150px, 1.5fr) 96px 76px ${cols.map(() => 'minmax(80px, 1fr)').join(' ')}`;
  const width = `max(100%, ${fixed.reduce((a, b) => a + b, 0) + cols.length * 80}px)`;
  const sortBy = (id: string) => {
    const cur = sort ?? 'created_at:desc';
    const [f, d, ...rest] = cur.split(':');
    const curId = f === 'p' || f === 'm' ? `${f}:${rest.join(':')}` : f;
    const dir = curId === id && d === 'desc' ? 'asc' : 'desc';
    const [t, ...r] = id.split(':');
    setParams({ sort: t === 'p' || t === 'm' ? `${t}:${dir}:${r.join(':')}` : `${id}:${dir}` });
  };
  const sortState = (id: string): 'ascending' | 'descending' | undefined => {
    const cur = sort ?? 'created_at:desc';
    const [f, d, ...rest] = cur.split(':');
    const curId = f === 'p' || f === 'm' ? `${f}:${rest.join(':')}` : f;
    return curId === id ? (d === 'asc' ? 'ascending' : 'descending') : undefined;
  };
  const colSortId = (c: Col) => (c.kind === 'param' ? `p:${c.key}` : `m:${c.split}:${c.name}:${c.agg}`);

  const Header = ({ id, label, num }: { id: string; label: string; num?: boolean }) => {
    const s = sortState(id);
    return (
      <div role="columnheader" aria-sort={s ?? 'none'} className={num ? 'num' : undefined}>
        <button type="button" onClick={() => sortBy(id)} title={`Sort by ${label}`}>
          {label} {s === 'ascending' ? '▲' : s === 'descending' ? '▼' : ''}
        </button>
      </div>
    );
  };

  return (
    <div>
      <h1>
        Runs <small>{total == null ? '' : `${total.toLocaleString()} matching`}</small>
      </h1>
      <Filters params={params} known={known} />
      <TagFilter params={params} />
      <div className="toolbar">
        <ColumnChooser cols={cols} known={known} />
        <button type="button" onClick={() => setTick((t) => t + 1)}>
          Refresh
        </button>
        <span className="grow" />
        <span className="muted" aria-live="polite">
          {selected.length ? `${selected.length} selected` : 'Tick runs to compare them'}
        </span>
        {selected.length > 0 && (
          <button type="button" onClick={() => setSelected([])}>
            Clear selection
          </button>
        )}
        <button type="button" className="primary" disabled={selected.length < 1} onClick={() => navigate(href('/compare', { ids: selected.join(',') }))}>
          Compare {selected.length || ''}
        </button>
      </div>
      {error && !rows.length ? (
        <ErrorState title="Could not load the runs" error={error} retry={() => setTick((t) => t + 1)} />
      ) : (
        <div className="vt" role="table" aria-label="Runs" aria-rowcount={total ?? -1} data-testid="runs-table">
          <div ref={scroll} className="vt-scroll">
            <div className="vt-head" role="row" style={{ gridTemplateColumns: template, width }}>
              <div role="columnheader">
                <span className="sr-only" style={{ position: 'absolute', left: -999 }}>
                  Select
                </span>
              </div>
              <Header id="name" label="Name" />
              <Header id="status" label="Status" />
              <div role="columnheader">Kind</div>
              <div role="columnheader">Dataset</div>
              <div role="columnheader">Project · tags</div>
              <Header id="created_at" label="Created" />
              <Header id="finished_at" label="Duration" />
              {cols.map((c) => (
                <Header key={c.id} id={colSortId(c)} label={colLabel(c)} num />
              ))}
            </div>
            {!loading && total === 0 ? (
              <Empty title="No runs match">
                {params.toString() ? (
                  <>
                    Loosen the filters or <a href="#/runs">clear them all</a>.
                  </>
                ) : (
                  <>
                    Start one from <a href="#/new/training">New → Training run</a>, or log runs from your own trainer with <code>createRun</code>.
                  </>
                )}
              </Empty>
            ) : (
              <div role="rowgroup" style={{ height: v.getTotalSize(), position: 'relative', width }}>
                {items.map((it) => {
                  const r = rows[it.index];
                  if (!r)
                    return (
                      <div key="more" className="vt-row" role="row" style={{ transform: `translateY(${it.start}px)`, gridTemplateColumns: '1fr' }}>
                        <div role="cell" className="muted">
                          <span className="spinner" aria-hidden /> Loading more runs…
                        </div>
                      </div>
                    );
                  const sel = selected.includes(r.id);
                  return (
                    <div key={r.id} className={`vt-row${sel ? ' sel' : ''}`} role="row" aria-rowindex={it.index + 2} data-testid="run-row" style={{ transform: `translateY(${it.start}px)`, gridTemplateColumns: template }}>
                      <div role="cell">
                        <input type="checkbox" checked={sel} onChange={() => toggle(r.id)} aria-label={`Select ${r.name ?? r.id} for comparison`} />
                      </div>
                      <NameCell id={r.id} name={r.name} />
                      <div role="cell">
                        <Status s={r.status} />
                      </div>
                      <div role="cell">{r.kind}</div>
                      <div role="cell">{r.dataset ? `${r.dataset.name} v${r.dataset.version}` : '—'}</div>
                      <div role="cell" className="project-tags" title={[r.project.name, ...r.tags.map((t) => `${t.key}=${t.value}`)].join(', ')}>
                        <span data-testid="run-project">{r.project.name}</span>
                        {r.tags.length > 0 && <TagChips tags={r.tags} label={`Tags of ${r.name ?? r.id}`} />}
                      </div>
                      <div role="cell" title={r.createdAt}>
                        {ago(r.createdAt)}
                      </div>
                      <div role="cell">{duration(r.durationMs)}</div>
                      {cols.map((c) =>
                        c.kind === 'param' ? (
                          <div role="cell" key={c.id} className="num">
                            {paramValue(r, c.key)}
                          </div>
                        ) : (
                          <MetricCell key={c.id} summaries={r.summaries} experiment={r.experiment} split={c.split} name={c.name} agg={c.agg} />
                        ),
                      )}
                    </div>
                  );
                })}
              </div>
            )}
          </div>
        </div>
      )}
      {error && rows.length > 0 && <div className="inline-error">Loading more failed: {error.message}</div>}
      <p className="footer-note">
        {rows.length.toLocaleString()} of {total?.toLocaleString() ?? '…'} loaded; more load as you scroll. Click a column title to sort; the URL keeps the view.
      </p>
    </div>
  );
}

function Filters({ params, known }: { params: URLSearchParams; known: { params: string[]; metrics: string[] } }) {
  const [q, setQ] = useState(params.get('q') ?? '');
  useEffect(() => setQ(params.get('q') ?? ''), [params.get('q')]);
  // Search as the user types, a little after the last key.
  useEffect(() => {
    if (q === (params.get('q') ?? '')) return;
    const t = setTimeout(() => setParams({ q }), 300);
    return () => clearTimeout(t);
  }, [q]);
  const status = (params.get('status') ?? '').split(',').filter(Boolean);
  const chips = params.getAll('f');
  const [kind, setKind] = useState<'p' | 'm'>('m');
  const [fkey, setFkey] = useState('val:microF1');
  const [agg, setAgg] = useState('MAX');
  const [op, setOp] = useState('gte');
  const [val, setVal] = useState('');
  const removeChip = (c: string) => {
    const next = new URLSearchParams(params);
    next.delete('f');
    chips.filter((x) => x !== c).forEach((x) => next.append('f', x));
    navigate(href('/runs', next), true);
  };
  const addChip = (e: React.FormEvent) => {
    e.preventDefault();
    if (!fkey || val === '') return;
    if (op !== 'equals' && Number.isNaN(Number(val))) return;
    const chip = kind === 'p' ? `p~${fkey}~${op}~${val}` : `m~${fkey.split(':')[0]}~${fkey.split(':').slice(1).join(':')}~${agg}~${op === 'equals' ? 'eq' : op}~${val}`;
    const next = new URLSearchParams(params);
    next.append('f', chip);
    navigate(href('/runs', next), true);
    setVal('');
  };
  const chipLabel = (c: string) => {
    const p = c.split('~');
    return p[0] === 'p' ? `${p[1]} ${OPS[p[2]] ?? p[2]} ${p[3]}` : `${p[1]} ${p[2]} (${p[3].toLowerCase()}) ${OPS[p[4]] ?? p[4]} ${p[5]}`;
  };
  return (
    <>
      <div className="toolbar">
        <label className="grow">
          Search names, kinds and params
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="e.g. fm2, text, sweep-3" aria-label="Search runs" data-testid="runs-search" />
        </label>
        <fieldset className="actions" style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="muted" style={{ fontSize: 12 }}>
            Status
          </legend>
          {STATUSES.map((s) => (
            <label key={s} className="inline">
              <input
                type="checkbox"
                checked={status.includes(s)}
                onChange={() => setParams({ status: (status.includes(s) ? status.filter((x) => x !== s) : [...status, s]).join(',') })}
              />
              {s.toLowerCase()}
            </label>
          ))}
        </fieldset>
        <ProjectSelect value={params.get('project') ?? ''} />
        <label className="inline">
          <input type="checkbox" checked={params.get('top') === '1'} onChange={(e) => setParams({ top: e.target.checked ? '1' : null })} />
          top-level only
        </label>
      </div>
      <form className="toolbar" onSubmit={addChip} aria-label="Add a param or metric filter">
        <label>
          Filter on
          <select value={kind} onChange={(e) => (setKind(e.target.value as 'p' | 'm'), setFkey(e.target.value === 'p' ? known.params[0] ?? '' : 'val:microF1'), setOp(e.target.value === 'p' ? 'equals' : 'gte'))}>
            <option value="m">metric</option>
            <option value="p">param</option>
          </select>
        </label>
        <label>
          {kind === 'p' ? 'Param key' : 'Split:metric'}
          <input list={`known-${kind}`} value={fkey} onChange={(e) => setFkey(e.target.value)} aria-label={kind === 'p' ? 'Param key' : 'Metric (split:name)'} data-testid="filter-key" />
          <datalist id="known-p">{known.params.map((k) => <option key={k} value={k} />)}</datalist>
          <datalist id="known-m">{known.metrics.map((k) => <option key={k} value={k} />)}</datalist>
        </label>
        {kind === 'm' && (
          <label>
            Of its
            <select value={agg} onChange={(e) => setAgg(e.target.value)}>
              <option value="MAX">best high (max)</option>
              <option value="MIN">best low (min)</option>
              <option value="LAST">last</option>
            </select>
          </label>
        )}
        <label>
          Condition
          <select value={op} onChange={(e) => setOp(e.target.value)} data-testid="filter-op">
            {kind === 'p' && <option value="equals">is (text)</option>}
            <option value="gte">≥</option>
            <option value="gt">&gt;</option>
            <option value="lte">≤</option>
            <option value="lt">&lt;</option>
            <option value="eq">= (number)</option>
          </select>
        </label>
        <label>
          Value
          <input value={val} onChange={(e) => setVal(e.target.value)} size={10} aria-label="Filter value" data-testid="filter-value" />
        </label>
        <button type="submit" disabled={!fkey || val === ''}>
          Add filter
        </button>
      </form>
      {chips.length > 0 && (
        <div className="chips" aria-label="Active filters">
          {chips.map((c) => (
            <RemovableChip key={c} testId="filter-chip" onRemove={() => removeChip(c)} removeLabel={`Remove filter ${chipLabel(c)}`}>
              {chipLabel(c)}
            </RemovableChip>
          ))}
          <button type="button" className="link" onClick={() => navigate('#/runs', true)}>
            Clear all
          </button>
        </div>
      )}
    </>
  );
}

function ColumnChooser({ cols, known }: { cols: Col[]; known: { params: string[]; metrics: string[] } }) {
  const [open, setOpen] = useState(false);
  const ids = cols.map((c) => c.id);
  const setCols = (next: string[]) => setParams({ cols: next.join(',') || 'none' });
  const toggle = (id: string) => setCols(ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id]);
  const metricIds = known.metrics.flatMap((m) => {
    const name = m.split(':')[1];
    return [`m:${m}:${/loss/i.test(name) ? 'MIN' : 'MAX'}`, `m:${m}:LAST`];
  });
  const all = [...new Set([...ids, ...known.params.map((p) => `p:${p}`), ...metricIds])];
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !ref.current?.contains(e.target as Node)) setOpen(false);
    };
    addEventListener('mousedown', close);
    addEventListener('keydown', close);
    return () => (removeEventListener('mousedown', close), removeEventListener('keydown', close));
  }, [open]);
  return (
    <div className="rel" ref={ref}>
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns ({cols.length})
      </button>
      {open && (
        <div className="popover" role="dialog" aria-label="Choose columns">
          {(['p', 'm'] as const).map((t) => (
            <fieldset key={t}>
              <legend>{t === 'p' ? 'Params' : 'Metrics'}</legend>
              {all
                .filter((id) => id.startsWith(t + ':'))
                .map((id) => {
                  const c = parseCol(id);
                  return c ? (
                    <label className="inline" key={id}>
                      <input type="checkbox" checked={ids.includes(id)} onChange={() => toggle(id)} /> {colLabel(c)}
                    </label>
                  ) : null;
                })}
            </fieldset>
          ))}
          <button type="button" className="link" onClick={() => setParams({ cols: null })}>
            Reset to defaults
          </button>
        </div>
      )}
    </div>
  );
}

/** All projects or one (its id in the URL's `project`), listed from the server with their run counts. */
function ProjectSelect({ value }: { value: string }) {
  const q = useQuery<{ projects: { nodes: { id: string; name: string; runCount: number }[] } }>(`{ projects(first: 100) { nodes { id name runCount } } }`);
  const projects = q.data?.projects.nodes ?? [];
  return (
    <label>
      Project
      <select value={value} onChange={(e) => setParams({ project: e.target.value || null })} data-testid="runs-project">
        <option value="">All projects</option>
        {projects.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name} ({p.runCount})
          </option>
        ))}
        {value && !projects.some((p) => p.id === value) && <option value={value}>project {value}</option>}
      </select>
    </label>
  );
}
