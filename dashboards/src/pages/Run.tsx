/** One run: status, config and params, live curves (runEvents), per-class metrics, artifacts, logs. */
import { useMemo, useState } from 'react';
import { gql, useMutation, useQuery, useSubscription } from '../api';
import { LineChart, type Curve } from '../charts/LineChart';
import { href, navigate } from '../router';
import { ago, bytes, Confirm, duration, Empty, fmt, Guard, KV, Scroll, Section, Status } from '../ui';
import { RunFiles } from './RunFiles';
import { RunMeta } from './RunMeta';
import { useXAxis, X_LABELS, XAxisSelect } from './XAxisSelect';

const RUN = `query Run($id: ID!) { run(id: $id) {
  id name kind status config seed backend error createdAt startedAt finishedAt durationMs summary
  project { id name } tags { key value } note createdBy deletedAt
  dataset { id name version classes { id name } }
  parent { id name kind }
  children { id name kind status }
  params { key value }
  summaries { name split last lastEpoch min minEpoch max maxEpoch }
  epochMetrics { epoch split name value timestamp }
  classMetrics { split epoch classId precision recall f1 accuracy support }
  artifacts { id name kind uri sizeBytes checksum createdAt }
  experiment { total done }
} }`;

const EVENTS = `subscription RunEvents($runId: ID!) { runEvents(runId: $runId) { type status epoch message metrics { epoch split name value } } }`;

interface EpochMetric {
  epoch: number;
  split: string;
  name: string;
  value: number;
  /** ms since the Unix epoch; live events carry none, so the page stamps their arrival */
  timestamp?: number | null;
}


const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
const EXPERIMENT_KINDS = ['sweep', 'model-comparison', 'ablation', 'pseudo-label'];

export function RunPage({ id }: { id: string }) {
  const q = useQuery<{ run: any }>(RUN, { id });
  const [logs, setLogs] = useState<{ at: string; text: string }[]>([]);
  const status = q.data?.run?.status as string | undefined;
  const live = status != null && !TERMINAL.includes(status);

  useSubscription<{ runEvents: { type: string; status?: string; epoch?: number; message?: string; metrics?: EpochMetric[] } }>(live ? EVENTS : null, { runId: id }, ({ runEvents: e }) => {
    if (e.type === 'EPOCH' && e.metrics?.length) {
      q.setData((d) => {
        if (!d?.run) return d;
        const seen = new Set(d.run.epochMetrics.map((m: EpochMetric) => `${m.epoch}|${m.split}|${m.name}`));
        const now = Date.now();
        const add = e.metrics!.filter((m) => !seen.has(`${m.epoch}|${m.split}|${m.name}`)).map((m) => ({ ...m, timestamp: m.timestamp ?? now }));
        return { run: { ...d.run, epochMetrics: [...d.run.epochMetrics, ...add] } };
      });
    } else if (e.type === 'STATUS' && e.status) {
      q.setData((d) => (d?.run ? { run: { ...d.run, status: e.status } } : d));
      if (TERMINAL.includes(e.status)) setTimeout(q.reload, 300);
    } else if (e.type === 'LOG' && e.message) {
      setLogs((l) => [...l.slice(-499), { at: new Date().toLocaleTimeString(), text: e.message! }]);
    }
  });

  return (
    <Guard q={q} what="the run">
      {(d) =>
        d.run ? (
          <RunView run={d.run} live={live} logs={logs} reload={q.reload} />
        ) : (
          <Empty title={`No run ${id}`}>
            It may have been deleted, or the link is wrong. <a href="#/runs">Back to the runs</a>.
          </Empty>
        )
      }
    </Guard>
  );
}

function RunView({ run, live, logs, reload }: { run: any; live: boolean; logs: { at: string; text: string }[]; reload: () => void }) {
  const metrics: EpochMetric[] = run.epochMetrics;
  const [xAxis, setXAxis] = useXAxis();
  const t0 = metrics.reduce((t, m) => Math.min(t, m.timestamp ?? Infinity), Infinity);
  const xOf = (m: EpochMetric) => (xAxis === 'step' ? m.epoch : xAxis === 'wall' ? m.timestamp! / 1000 : (m.timestamp! - t0) / 1000);
  const chart = { xLabel: X_LABELS[xAxis], time: xAxis === 'wall' };
  const curves = (names: string[]) => {
    const out: Curve[] = [];
    const splits = [...new Set(metrics.map((m) => m.split))].sort((a, b) => (a === 'val' ? -1 : b === 'val' ? 1 : a.localeCompare(b)));
    for (const name of names)
      for (const split of splits) {
        const pts = metrics.filter((m) => m.name === name && m.split === split && (xAxis === 'step' || m.timestamp != null)).sort((a, b) => xOf(a) - xOf(b));
        if (pts.length) out.push({ label: `${split} ${name}`, x: pts.map(xOf), y: pts.map((p) => p.value), dash: split !== 'val' });
      }
    return out;
  };
  const loss = useMemo(() => curves(['loss']), [metrics, xAxis]);
  const f1 = useMemo(() => curves(['microF1', 'macroF1', 'samplesF1']), [metrics, xAxis]);
  const other = useMemo(() => [...new Set(metrics.map((m) => m.name))].filter((n) => !['loss', 'microF1', 'macroF1', 'samplesF1'].includes(n)), [metrics]);
  const epochs = new Set(metrics.map((m) => m.epoch)).size;
  const isExperiment = EXPERIMENT_KINDS.includes(run.kind);

  return (
    <div>
      <h1>
        {run.name ?? run.id} <Status s={run.status} /> <small>{run.kind}</small>
        {live && (
          <small aria-live="polite">
            <span className="spinner" aria-hidden /> live · {epochs} epochs
          </small>
        )}
      </h1>
      <div className="toolbar">
        <a className="button" href={href('/compare', { ids: run.id })}>
          Compare…
        </a>
        {isExperiment && (
          <a className="button" href={`#/experiments/${run.id}`}>
            Experiment page
          </a>
        )}
        {live && <CancelRun run={run} onDone={reload} />}
        {run.status === 'SUCCEEDED' && run.artifacts.some((a: any) => a.name === 'model') && <RegisterButton runId={run.id} suggested={run.dataset?.name ?? 'model'} />}
      </div>
      {run.error && (
        <div className="inline-error" role="alert" data-testid="run-error">
          <strong>Error: </strong>
          {run.error}
        </div>
      )}
      <Section title="Overview">
        <KV
          rows={[
            ['Id', <code>{run.id}</code>],
            ['Dataset', run.dataset ? <a href={`#/datasets/${run.dataset.id}`}>{`${run.dataset.name} v${run.dataset.version}`}</a> : '—'],
            ['Parent', run.parent ? <a href={`#/runs/${run.parent.id}`}>{run.parent.name ?? run.parent.kind}</a> : '—'],
            ['Created', `${ago(run.createdAt)}`],
            ['Started', run.startedAt ? new Date(run.startedAt).toLocaleString() : '—'],
            ['Duration', duration(run.durationMs)],
            ['Seed', run.seed ?? '—'],
            ['Backend', run.backend ?? '—'],
          ]}
        />
      </Section>
      <RunMeta run={run} />
      <XAxisSelect value={xAxis} onChange={setXAxis} />
      <div className="cols">
        <Section title="Loss">
          {loss.length ? <LineChart curves={loss} title="loss per epoch" yLabel="loss" testId="loss-chart" {...chart} /> : <Empty title={live ? 'Waiting for the first epoch…' : 'No loss recorded'} />}
        </Section>
        <Section title="F1">
          {f1.length ? <LineChart curves={f1} title="F1 per epoch (val solid, train dashed)" yLabel="F1" testId="f1-chart" {...chart} /> : <Empty title={live ? 'Waiting for the first epoch…' : 'No F1 recorded'} />}
        </Section>
      </div>
      {other.length > 0 && (
        <Section title="Other metrics">
          <div className="cols">
            {other.map((n) => (
              <LineChart key={n} curves={curves([n])} title={n} height={180} {...chart} />
            ))}
          </div>
        </Section>
      )}
      <div style={{ height: 14 }} />
      <Summaries summaries={run.summaries} />
      <ClassTable run={run} />
      {run.children.length > 0 && (
        <Section title={`Children (${run.children.length})`}>
          <table className="grid">
            <tbody>
              {run.children.map((c: any) => (
                <tr key={c.id}>
                  <td>
                    <a href={`#/runs/${c.id}`}>{c.name ?? c.id}</a>
                  </td>
                  <td>{c.kind}</td>
                  <td>
                    <Status s={c.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      )}
      <div className="cols">
        <Section title="Params">
          {run.params.length ? (
            <Scroll label="Params" style={{ maxHeight: 360 }}>
              <table className="grid" data-testid="params">
                <tbody>
                  {run.params.map((p: any) => (
                    <tr key={p.key}>
                      <th>{p.key}</th>
                      <td>{p.value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
          ) : (
            <Empty title="No params" />
          )}
        </Section>
        <Section title="Config">
          <Scroll pre className="json" label="Config (JSON)">
            {JSON.stringify(run.config, null, 2)}
          </Scroll>
        </Section>
      </div>
      <div style={{ height: 14 }} />
      <Section title={`Artifacts (${run.artifacts.length})`}>
        {run.artifacts.length ? (
          <table className="grid">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th className="num">Size</th>
                <th>Checksum</th>
                <th>Location</th>
              </tr>
            </thead>
            <tbody>
              {run.artifacts.map((a: any) => (
                <tr key={a.id}>
                  <td>{a.name}</td>
                  <td>{a.kind}</td>
                  <td className="num">{bytes(a.sizeBytes)}</td>
                  <td>
                    <code title={a.checksum}>{a.checksum.slice(0, 12)}</code>
                  </td>
                  <td>
                    <code>{a.uri}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty title="No artifacts">{run.status === 'SUCCEEDED' ? 'This run stored no files.' : 'Artifacts appear when the run finishes.'}</Empty>
        )}
      </Section>
      <RunFiles runId={run.id} />
      <Section title="Logs">
        {logs.length ? (
          <Scroll pre live className="log" label="Log lines">
            {logs.map((l) => `${l.at}  ${l.text}`).join('\n')}
          </Scroll>
        ) : (
          <p className="muted">{live ? 'Log lines stream here while the run works.' : 'Logs stream while a run works; this run is not running. Its error, if any, is shown above.'}</p>
        )}
      </Section>
      {run.summary && (
        <Section title="Training summary">
          <Scroll pre className="json" label="Training summary (JSON)">
            {JSON.stringify(run.summary, null, 2)}
          </Scroll>
        </Section>
      )}
    </div>
  );
}

function Summaries({ summaries }: { summaries: any[] }) {
  if (!summaries.length) return null;
  return (
    <Section title="Metric summaries">
      <Scroll label="Metric summaries">
        <table className="grid">
          <thead>
            <tr>
              <th>Metric</th>
              <th>Split</th>
              <th className="num">Last</th>
              <th className="num">Min (epoch)</th>
              <th className="num">Max (epoch)</th>
            </tr>
          </thead>
          <tbody>
            {summaries.map((s) => (
              <tr key={s.name + s.split}>
                <td>{s.name}</td>
                <td>{s.split}</td>
                <td className="num">{fmt(s.last)}</td>
                <td className="num">
                  {fmt(s.min)} ({s.minEpoch})
                </td>
                <td className="num">
                  {fmt(s.max)} ({s.maxEpoch})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </Section>
  );
}

function ClassTable({ run }: { run: any }) {
  const rows: any[] = run.classMetrics;
  const splits = [...new Set(rows.map((r) => r.split))].sort((a, b) => (a === 'val' ? -1 : b === 'val' ? 1 : 0));
  const [split, setSplit] = useState<string | undefined>();
  const sp = split ?? splits[0];
  const epochs = [...new Set(rows.filter((r) => r.split === sp).map((r) => r.epoch))].sort((a, b) => a - b);
  const best = run.summaries.find((s: any) => s.name === 'microF1' && s.split === sp)?.maxEpoch;
  const [epoch, setEpoch] = useState<number | undefined>();
  const ep = epoch ?? (best != null && epochs.includes(best) ? best : epochs[epochs.length - 1]);
  const names = new Map<number, string>((run.dataset?.classes ?? []).map((c: any) => [c.id, c.name ?? String(c.id)]));
  const shown = rows.filter((r) => r.split === sp && r.epoch === ep).sort((a, b) => a.classId - b.classId);
  return (
    <Section
      title="Per-class metrics"
      actions={
        rows.length > 0 && (
          <>
            <label className="inline">
              Split
              <select value={sp} onChange={(e) => setSplit(e.target.value)}>
                {splits.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </label>
            <label className="inline">
              Epoch
              <select value={ep} onChange={(e) => setEpoch(Number(e.target.value))}>
                {epochs.map((e) => (
                  <option key={e} value={e}>
                    {e}
                    {e === best ? ' (best micro-F1)' : ''}
                  </option>
                ))}
              </select>
            </label>
          </>
        )
      }
    >
      {shown.length ? (
        <Scroll label="Per-class metrics">
          <table className="grid" data-testid="class-metrics">
            <thead>
              <tr>
                <th>Class</th>
                <th className="num">Precision</th>
                <th className="num">Recall</th>
                <th className="num">F1</th>
                <th className="num">Accuracy</th>
                <th className="num">Support</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.classId}>
                  <td>{names.get(r.classId) ?? r.classId}</td>
                  <td className="num">{fmt(r.precision, 3)}</td>
                  {/* No samples of the class in this split: recall and F1 are undefined, not 0. */}
                  <td className="num">{r.support ? fmt(r.recall, 3) : '—'}</td>
                  <td className="num" data-testid="class-f1">
                    {r.support ? <Bar v={r.f1} /> : <span className="muted">no support</span>}
                  </td>
                  <td className="num">{fmt(r.accuracy, 3)}</td>
                  <td className="num">{r.support}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      ) : (
        <Empty title="No per-class metrics">Training runs record them every epoch; runs logged from outside can send them with logMetrics.</Empty>
      )}
    </Section>
  );
}

function Bar({ v }: { v: number }) {
  return (
    <span style={{ display: 'inline-flex', alignItems: 'center', gap: 6 }}>
      <span style={{ display: 'inline-block', width: 60, height: 8, background: 'var(--line)', borderRadius: 3, overflow: 'hidden' }} aria-hidden>
        <span style={{ display: 'block', width: `${Math.round(v * 100)}%`, height: '100%', background: 'var(--accent)' }} />
      </span>
      {fmt(v, 3)}
    </span>
  );
}

function CancelRun({ run, onDone }: { run: any; onDone: () => void }) {
  const [ask, setAsk] = useState(false);
  const [err, setErr] = useState<string>();
  const [pending, setPending] = useState(false);
  const isExperiment = EXPERIMENT_KINDS.includes(run.kind);
  const cancel = async () => {
    setPending(true);
    setErr(undefined);
    try {
      if (isExperiment) await gql(`mutation($id: ID!) { cancelExperiment(id: $id) { id } }`, { id: run.id });
      else {
        // A run started by tagfusion is worked by a job: cancelling the job stops the run.
        const { jobs } = await gql<{ jobs: { id: string; run: { id: string } | null }[] }>(`{ jobs(status: [QUEUED, RUNNING], first: 200) { id run { id } } }`);
        const job = jobs.find((j) => j.run?.id === run.id);
        if (!job) throw new Error('No queued or running job works this run (a run logged from outside is stopped by its own trainer).');
        await gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: job.id });
      }
      setAsk(false);
      onDone();
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setPending(false);
    }
  };
  return (
    <>
      <button type="button" className="danger" onClick={() => setAsk(true)}>
        Cancel run
      </button>
      {ask && (
        <Confirm title="Cancel this run?" confirmLabel="Cancel run" danger pending={pending} onConfirm={cancel} onCancel={() => setAsk(false)}>
          <p>{isExperiment ? 'The experiment and all its queued or running trials stop.' : 'The run stops after its current step; epochs recorded so far are kept.'}</p>
          {err && <div className="inline-error">{err}</div>}
        </Confirm>
      )}
    </>
  );
}

function RegisterButton({ runId, suggested }: { runId: string; suggested: string }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(suggested);
  const m = useMutation<{ registerModelVersion: { version: { modelName: string; version: number }; created: boolean } }>(
    `mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { created version { modelName version } } }`,
  );
  const submit = async () => {
    const r = await m.run({ input: { runId, model: name } });
    if (r) navigate(`#/registry/${encodeURIComponent(r.registerModelVersion.version.modelName)}`);
  };
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Register as model…
      </button>
      {open && (
        <Confirm title="Register this run's model" confirmLabel="Register" pending={m.pending} onConfirm={submit} onCancel={() => setOpen(false)}>
          <label>
            Model name (created when new; the run becomes its next version)
            <input value={name} onChange={(e) => setName(e.target.value)} aria-label="Model name" />
          </label>
          {m.error && <div className="inline-error">{m.error.message}</div>}
        </Confirm>
      )}
    </>
  );
}
