/** Sweeps, ablations, model comparisons and pseudo-labelling: progress, children, the paper-style table, best run, cancel. */
import { useState } from 'react';
import { gql, useQuery, useSubscription } from '../api';
import { href } from '../router';
import { ago, Confirm, Empty, fmt, Guard, KV, MarkdownTable, Progress, Scroll, Section, Status } from '../ui';

export const KINDS: [string, string][] = [
  ['sweep', 'Sweeps'],
  ['ablation', 'Ablations'],
  ['model-comparison', 'Model comparisons'],
  ['pseudo-label', 'Pseudo-labelling'],
];
const NEW: Record<string, string> = { sweep: 'sweep', ablation: 'ablation', 'model-comparison': 'comparison', 'pseudo-label': 'pseudo-label' };

const LIST = `query($kind: [String!]) { runs(filter: { kind: $kind, topLevel: true }, first: 100) { totalCount nodes {
  id name kind status createdAt dataset { name version } experiment { total done running failed best { value run { id name } } } } } }`;

export function ExperimentsPage({ params }: { params: URLSearchParams }) {
  const kind = params.get('kind') ?? 'sweep';
  const q = useQuery<{ runs: { totalCount: number; nodes: any[] } }>(LIST, { kind: [kind] });
  const label = KINDS.find(([k]) => k === kind)?.[1] ?? kind;
  return (
    <div>
      <h1>Experiments</h1>
      <div className="tabs" role="navigation" aria-label="Experiment kinds">
        {KINDS.map(([k, l]) => (
          <a key={k} href={href('/experiments', { kind: k })} aria-current={k === kind ? 'page' : undefined}>
            {l}
          </a>
        ))}
        <a href={`#/new/${NEW[kind] ?? 'sweep'}`} className="button primary" style={{ marginLeft: 'auto', borderRadius: 6 }}>
          New {label.toLowerCase().replace(/s$/, '')}
        </a>
      </div>
      <Guard q={q} what="the experiments">
        {(d) =>
          d.runs.nodes.length ? (
            <Section title={`${d.runs.totalCount} ${label.toLowerCase()}`}>
              <Scroll label={`${label} list`}>
                <table className="grid">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Status</th>
                      <th>Dataset</th>
                      <th>Progress</th>
                      <th className="num">Best</th>
                      <th>Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.runs.nodes.map((r) => (
                      <tr key={r.id}>
                        <td>
                          <a href={`#/experiments/${r.id}`}>{r.name ?? r.id.slice(0, 8)}</a>
                        </td>
                        <td>
                          <Status s={r.status} />
                        </td>
                        <td>{r.dataset ? `${r.dataset.name} v${r.dataset.version}` : '—'}</td>
                        <td style={{ minWidth: 160 }}>{r.experiment ? <Progress value={r.experiment.total ? r.experiment.done / r.experiment.total : 0} label={`${r.name ?? 'experiment'} progress`} /> : '—'}</td>
                        <td className="num">{r.experiment?.best ? <a href={`#/runs/${r.experiment.best.run.id}`}>{fmt(r.experiment.best.value)}</a> : '—'}</td>
                        <td>{ago(r.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            </Section>
          ) : (
            <Empty title={`No ${label.toLowerCase()} yet`}>
              <a href={`#/new/${NEW[kind] ?? 'sweep'}`}>Start one</a> from a dataset you have imported.
            </Empty>
          )
        }
      </Guard>
    </div>
  );
}

const ONE = `query($id: ID!) { run(id: $id) { id name kind status error createdAt durationMs config
  dataset { id name version }
  experiment { status total done running queued failed best { value run { id name } } }
  table
  children { id name kind status durationMs params { key value } summaries { name split max min last }
    children { id name kind status } }
} }`;

export function ExperimentPage({ id }: { id: string }) {
  const q = useQuery<{ run: any }>(ONE, { id });
  useSubscription(`subscription($id: ID!) { experimentEvents(runId: $id) { runId status done total } }`, { id }, () => q.reload());
  return (
    <Guard q={q} what="the experiment">
      {(d) => (d.run ? <ExperimentView run={d.run} reload={q.reload} /> : <Empty title={`No experiment ${id}`}><a href="#/experiments">Back to the experiments</a></Empty>)}
    </Guard>
  );
}

function ExperimentView({ run, reload }: { run: any; reload: () => void }) {
  const e = run.experiment;
  const live = !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status);
  const [ask, setAsk] = useState(false);
  const [err, setErr] = useState<string>();
  const [pending, setPending] = useState(false);
  const bestId = e?.best?.run.id;
  // Params that vary across children are the interesting columns.
  const keys = [...new Set<string>(run.children.flatMap((c: any) => c.params.map((p: any) => p.key)))].filter((k) => new Set(run.children.map((c: any) => c.params.find((p: any) => p.key === k)?.value)).size > 1).slice(0, 6);
  const objective = run.config?.objective?.metric ?? 'microF1';
  const split = run.config?.objective?.split ?? 'val';
  const cancel = async () => {
    setPending(true);
    try {
      await gql(`mutation($id: ID!) { cancelExperiment(id: $id) { id } }`, { id: run.id });
      setAsk(false);
      reload();
    } catch (x) {
      setErr((x as Error).message);
    } finally {
      setPending(false);
    }
  };
  return (
    <div>
      <h1>
        {run.name ?? run.id} <Status s={run.status} /> <small>{run.kind}</small>
      </h1>
      <div className="toolbar">
        <a className="button" href={`#/experiments?kind=${run.kind}`}>
          All {run.kind} experiments
        </a>
        <a className="button" href={href('/compare', { ids: run.children.map((c: any) => c.id).slice(0, 50).join(',') })}>
          Compare the children
        </a>
        <a className="button" href={`#/runs/${run.id}`}>
          Run page
        </a>
        <button type="button" className="danger" disabled={!live} onClick={() => setAsk(true)}>
          Cancel experiment
        </button>
      </div>
      {run.error && <div className="inline-error">{run.error}</div>}
      <Section title="Progress">
        {e ? (
          <>
            <Progress value={e.total ? e.done / e.total : 0} label="experiment progress" />
            <div className="stat-row">
              {[
                ['planned', e.total],
                ['done', e.done],
                ['running', e.running],
                ['queued', e.queued],
                ['failed or stopped', e.failed],
              ].map(([k, v]) => (
                <div key={k}>
                  <span className="big-number">{v}</span>
                  <small>{k}</small>
                </div>
              ))}
              <div>
                <span className="big-number">{e.best ? fmt(e.best.value) : '—'}</span>
                <small>
                  best {split} {objective}
                  {e.best && (
                    <>
                      {' '}
                      · <a href={`#/runs/${e.best.run.id}`}>{e.best.run.name ?? 'best run'}</a>
                    </>
                  )}
                </small>
              </div>
            </div>
          </>
        ) : (
          <p className="muted">No progress recorded.</p>
        )}
        <KV rows={[['Dataset', run.dataset ? <a href={`#/datasets/${run.dataset.id}`}>{`${run.dataset.name} v${run.dataset.version}`}</a> : '—'], ['Created', ago(run.createdAt)]]} />
      </Section>
      <Section title="Result table">{run.table ? <MarkdownTable md={run.table} /> : <Empty title={live ? 'The table fills in as trials finish' : 'No table'} />}</Section>
      <Section title={`Children (${run.children.length})`}>
        {run.children.length ? (
          <Scroll label="Trials">
            <table className="grid">
              <thead>
                <tr>
                  <th>Trial</th>
                  <th>Status</th>
                  {keys.map((k) => (
                    <th key={k}>{k}</th>
                  ))}
                  <th className="num">
                    {split} {objective}
                  </th>
                </tr>
              </thead>
              <tbody>
                {run.children.map((c: any) => {
                  const s = c.summaries.find((x: any) => x.name === objective && x.split === split);
                  return (
                    <tr key={c.id} className={c.id === bestId ? 'best' : undefined}>
                      <td>
                        <a href={`#/runs/${c.id}`}>{c.name ?? c.id.slice(0, 8)}</a>
                        {c.id === bestId && <strong> ★ best</strong>}
                        {c.children.length > 0 && <span className="muted"> ({c.children.length} sub-runs)</span>}
                      </td>
                      <td>
                        <Status s={c.status} />
                      </td>
                      {keys.map((k) => (
                        <td key={k}>{c.params.find((p: any) => p.key === k)?.value ?? '—'}</td>
                      ))}
                      <td className="num">{s ? fmt(/loss/i.test(objective) ? s.min : s.max) : '—'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </Scroll>
        ) : (
          <Empty title="No trials yet">{live ? 'Trials appear as the controller plans them.' : 'This experiment ran no trial.'}</Empty>
        )}
      </Section>
      {ask && (
        <Confirm title="Cancel this experiment?" confirmLabel="Cancel experiment" danger pending={pending} onConfirm={cancel} onCancel={() => setAsk(false)}>
          <p>The controller and every queued or running trial stop. Finished trials are kept.</p>
          {err && <div className="inline-error">{err}</div>}
        </Confirm>
      )}
    </div>
  );
}
