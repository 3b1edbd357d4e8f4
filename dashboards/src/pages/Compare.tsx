/** Any selection of runs side by side: overlaid curves, per-class F1 heatmap, parallel coordinates, config diff. */
import { useMemo, useState } from 'react';
import { useQuery } from '../api';
import { LineChart } from '../charts/LineChart';
import { Heatmap } from '../charts/Heatmap';
import { ParallelCoords } from '../charts/ParallelCoords';
import { href, navigate, setParams } from '../router';
import { Empty, fmt, Guard, PALETTE, Scroll, Section, Status } from '../ui';

const COMPARE = `query Compare($ids: [ID!]!, $split: String, $metric: MetricRef) {
  compareRuns(ids: $ids, metric: $metric) {
    runs { id name kind status dataset { id classes { id name } } }
    selectedBy { name split aggregate }
    epochs
    params { key values differs }
    metrics { name split values }
    classIds(split: $split)
    classF1(split: $split)
    curves { runId name split epochs values }
  } }`;

// Params that identify rather than configure a run are left off the parallel coordinates.
const NOT_HYPER = /(^|\.)(datasetId|name|componentRunIds|pseudoLabelRunId|extraTrainDatasetIds|path|hubId)$/;

export function ComparePage({ params }: { params: URLSearchParams }) {
  const ids = (params.get('ids') ?? '').split(',').filter(Boolean);
  const split = params.get('split') ?? 'val';
  const vars = useMemo(() => ({ ids, split }), [ids.join(','), split]);
  const q = useQuery<{ compareRuns: any }>(ids.length ? COMPARE : null, vars);
  const [addId, setAddId] = useState('');

  if (!ids.length)
    return (
      <div>
        <h1>Compare</h1>
        <Empty title="No runs selected">
          Tick two or more runs in the <a href="#/runs">runs table</a> and press Compare, or open a link such as <code>#/compare?ids=a,b,c</code>.
        </Empty>
      </div>
    );

  const removeRun = (id: string) => setParams({ ids: ids.filter((x) => x !== id).join(',') });
  return (
    <div>
      <h1>
        Compare <small>{ids.length} runs</small>
      </h1>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          if (addId.trim()) setParams({ ids: [...ids, ...addId.split(/[\s,]+/).filter(Boolean)].join(',') });
          setAddId('');
        }}
      >
        <label>
          Add run ids
          <input value={addId} onChange={(e) => setAddId(e.target.value)} placeholder="run id, run id…" />
        </label>
        <button type="submit">Add</button>
        <label>
          Split
          <select value={split} onChange={(e) => setParams({ split: e.target.value })}>
            <option>val</option>
            <option>train</option>
          </select>
        </label>
        <a className="button" href="#/runs">
          Pick from the runs table
        </a>
      </form>
      <Guard q={q} what="the comparison">
        {(d) => <CompareView c={d.compareRuns} params={params} removeRun={removeRun} split={split} />}
      </Guard>
    </div>
  );
}

function CompareView({ c, params, removeRun, split }: { c: any; params: URLSearchParams; removeRun: (id: string) => void; split: string }) {
  const runs: any[] = c.runs;
  const label = (r: any) => r.name ?? r.id.slice(0, 8);
  const names = [...new Set<string>(c.curves.map((x: any) => x.name))].sort();
  const curveMetric = params.get('curve') ?? (names.includes('microF1') ? 'microF1' : names[0]);
  const curveSplit = params.get('curveSplit') ?? split;
  const curves = useMemo(
    () =>
      runs.flatMap((r, i) => {
        const cu = c.curves.find((x: any) => x.runId === r.id && x.name === curveMetric && x.split === curveSplit);
        return cu ? [{ label: label(r), x: cu.epochs, y: cu.values, color: PALETTE[i % PALETTE.length] }] : [];
      }),
    [c, curveMetric, curveSplit],
  );
  const classes = new Map<number, string>((runs[0]?.dataset?.classes ?? []).map((k: any) => [k.id, k.name ?? String(k.id)]));
  const metricKeys: string[] = c.metrics.map((m: any) => `${m.split}:${m.name}`);
  const pcMetric = params.get('pc') ?? (metricKeys.includes(`${split}:microF1`) ? `${split}:microF1` : metricKeys[0]);
  const pm = c.metrics.find((m: any) => `${m.split}:${m.name}` === pcMetric);
  const hyper = c.params.filter((p: any) => p.differs && !NOT_HYPER.test(p.key));
  const [onlyDiff, setOnlyDiff] = useState(true);
  const diffRows = c.params.filter((p: any) => !onlyDiff || p.differs);

  return (
    <div className="stack">
      <Section title="Runs">
        <Scroll label="Compared runs">
          <table className="grid">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Kind</th>
                <th className="num">
                  Epoch ({c.selectedBy.split} {c.selectedBy.name}, {c.selectedBy.aggregate.toLowerCase()})
                </th>
                {c.metrics
                  .filter((m: any) => m.split === split)
                  .map((m: any) => (
                    <th className="num" key={m.name}>
                      {m.name}
                    </th>
                  ))}
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r, i) => (
                <tr key={r.id}>
                  <td>
                    <span style={{ display: 'inline-block', width: 10, height: 10, borderRadius: 2, background: PALETTE[i % PALETTE.length], marginRight: 6 }} aria-hidden />
                    <a href={`#/runs/${r.id}`}>{label(r)}</a>
                  </td>
                  <td>
                    <Status s={r.status} />
                  </td>
                  <td>{r.kind}</td>
                  <td className="num">{c.epochs[i] ?? '—'}</td>
                  {c.metrics
                    .filter((m: any) => m.split === split)
                    .map((m: any) => (
                      <td className="num" key={m.name}>
                        {fmt(m.values[i])}
                      </td>
                    ))}
                  <td>
                    <button type="button" className="link" onClick={() => removeRun(r.id)} aria-label={`Remove ${label(r)} from the comparison`}>
                      remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      </Section>
      <Section
        title="Curves"
        actions={
          <>
            <label className="inline">
              Metric
              <select value={curveMetric} onChange={(e) => setParams({ curve: e.target.value })}>
                {names.map((n) => (
                  <option key={n}>{n}</option>
                ))}
              </select>
            </label>
            <label className="inline">
              Split
              <select value={curveSplit} onChange={(e) => setParams({ curveSplit: e.target.value })}>
                {[...new Set<string>(c.curves.map((x: any) => x.split))].map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </label>
          </>
        }
      >
        {curves.length ? <LineChart curves={curves} title={`${curveSplit} ${curveMetric} per epoch`} yLabel={curveMetric} height={300} testId="compare-chart" /> : <Empty title="No curve for this metric and split" />}
      </Section>
      <Section title={`Per-class F1 (${split}, at each run's compared epoch)`} id="heatmap">
        {c.classIds.length ? (
          <Heatmap rows={runs.map((r) => ({ id: r.id, label: label(r) }))} cols={c.classIds.map((id: number) => ({ id, label: classes.get(id) ?? String(id) }))} values={c.classF1} rowHref={(id) => `#/runs/${id}`} />
        ) : (
          <Empty title="No per-class metrics on this split">Runs trained by tagfusion record them every epoch; try the other split.</Empty>
        )}
      </Section>
      <Section
        title="Hyperparameters against a metric"
        actions={
          <label className="inline">
            Metric
            <select value={pcMetric} onChange={(e) => setParams({ pc: e.target.value })} aria-label="Metric of the parallel coordinates">
              {metricKeys.map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
          </label>
        }
      >
        {hyper.length && pm ? (
          <ParallelCoords axes={hyper.map((p: any) => ({ key: p.key, values: p.values }))} metric={{ key: pcMetric, values: pm.values }} labels={runs.map(label)} />
        ) : (
          <Empty title="Nothing to plot">The selected runs share every hyperparameter{pm ? '' : ', or record no metrics'}; select runs that differ (a sweep's trials, for example).</Empty>
        )}
      </Section>
      <Section
        title="Config diff"
        actions={
          <label className="inline">
            <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> only differences
          </label>
        }
      >
        {diffRows.length ? (
          <Scroll label="Config differences" style={{ maxHeight: 480 }}>
            <table className="grid" data-testid="config-diff">
              <thead>
                <tr>
                  <th>Param</th>
                  {runs.map((r) => (
                    <th key={r.id}>{label(r)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {diffRows.map((p: any) => (
                  <tr key={p.key} className={p.differs ? 'differs' : undefined}>
                    <th>{p.key}</th>
                    {p.values.map((v: string | null, i: number) => (
                      <td key={i}>{v ?? <span className="muted">missing</span>}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        ) : (
          <Empty title="The configs are identical">Untick “only differences” to see every param.</Empty>
        )}
      </Section>
      <p className="footer-note">
        Share this view: <a href={href('/compare', params)}>{location.origin + location.pathname + href('/compare', params)}</a>{' '}
        <button type="button" className="link" onClick={() => navigate('#/runs')}>
          back to runs
        </button>
      </p>
    </div>
  );
}
