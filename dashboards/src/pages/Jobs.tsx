/** The job queue: queued and running jobs with live progress, recent ones, cancel. */
import { useState } from 'react';
import { gql, useQuery, useSubscription } from '../api';
import { href } from '../router';
import { ago, Empty, Guard, Progress, Scroll, Section, Status } from '../ui';

const JOBS = `query($status: [JobStatus!]) { jobs(status: $status, first: 100) { id kind status progress message error createdAt startedAt finishedAt cancelRequested payload run { id name } dataset { id name version } } }`;
interface JobRow {
  id: string;
  kind: string;
  status: string;
  progress: number;
  message: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  cancelRequested: boolean;
  payload: { encoder?: { id?: string } } | null;
  run: { id: string; name: string | null } | null;
  dataset: { id: string; name: string; version: number } | null;
}

interface JobEventRow {
  type: string;
  jobId: string;
  status: string;
  progress: number;
  message: string | null;
}

const FINISHED = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** What a job works on: its run, or its dataset as name@version (and an extraction's encoder). */
function JobSubject({ j }: { j: JobRow }) {
  if (j.run) return <a href={`#/runs/${j.run.id}`}>{j.run.name ?? 'run'}</a>;
  if (!j.dataset) return <>—</>;
  const encoder = j.payload?.encoder?.id;
  return (
    <span data-testid="job-subject">
      <a href={`#/datasets/${j.dataset.id}`}>{`${j.dataset.name}@${j.dataset.version}`}</a>
      {encoder && <span className="muted"> · {encoder}</span>}
    </span>
  );
}

const FILTERS: [string, string[] | null][] = [
  ['active', ['QUEUED', 'RUNNING']],
  ['failed', ['FAILED']],
  ['all', null],
];

export function JobsPage({ params }: { params: URLSearchParams }) {
  const view = params.get('view') ?? 'active';
  const status = FILTERS.find(([k]) => k === view)?.[1] ?? null;
  const q = useQuery<{ jobs: JobRow[] }>(JOBS, { status });
  const [err, setErr] = useState<string>();
  useSubscription<{ jobEvents: JobEventRow }>(`subscription { jobEvents { type jobId status progress message } }`, {}, ({ jobEvents: e }) => {
    let known = false;
    q.setData((d) => {
      if (!d) return d;
      known = d.jobs.some((j) => j.id === e.jobId);
            // A finished job's last progress message no longer holds ("5 of 6 trials finished").
      const message = (j: JobRow) => (FINISHED.includes(e.status) ? e.message : e.message ?? j.message);
      return { jobs: d.jobs.map((j) => (j.id === e.jobId ? { ...j, status: e.status, progress: e.progress, message: message(j) } : j)) };
    });
    if (!known || ['SUCCEEDED', 'FAILED', 'CANCELLED', 'QUEUED'].includes(e.type)) q.reload();
  });
  const cancel = async (id: string) => {
    setErr(undefined);
    try {
      await gql(`mutation($id: ID!) { cancelJob(id: $id) { id status } }`, { id });
      q.reload();
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  return (
    <div>
      <h1>Jobs</h1>
      <div className="tabs" role="navigation" aria-label="Job views">
        {FILTERS.map(([k]) => (
          <a key={k} href={href('/jobs', { view: k })} aria-current={k === view ? 'page' : undefined}>
            {k === 'active' ? 'Queued and running' : k[0].toUpperCase() + k.slice(1)}
          </a>
        ))}
      </div>
      {err && <div className="inline-error">{err}</div>}
      <Guard q={q} what="the jobs">
        {(d) =>
          d.jobs.length ? (
            <Section title={`${d.jobs.length} jobs${d.jobs.length === 100 ? ' (newest 100)' : ''}`}>
              <Scroll label="Jobs">
                <table className="grid" data-testid="jobs">
                  <thead>
                    <tr>
                      <th>Kind</th>
                      <th>Status</th>
                      <th style={{ minWidth: 180 }}>Progress</th>
                      <th>Message</th>
                      <th>For</th>
                      <th>Created</th>
                      <th>Started</th>
                      <th>
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.jobs.map((j) => (
                      <tr key={j.id}>
                        <td>{j.kind}</td>
                        <td>
                          <Status s={j.status} />
                          {j.cancelRequested && j.status === 'RUNNING' && <span className="muted"> stopping…</span>}
                        </td>
                        <td>
                          <Progress value={j.progress} label={`${j.kind} progress`} />
                        </td>
                        <td className="muted" style={{ whiteSpace: 'normal', maxWidth: 380 }}>
                          {j.error ?? j.message ?? ''}
                        </td>
                        <td>
                          <JobSubject j={j} />
                        </td>
                        <td>{ago(j.createdAt)}</td>
                        <td title={j.startedAt ? `latest attempt started ${new Date(j.startedAt).toLocaleString()}` : undefined}>{j.startedAt ? ago(j.startedAt) : '—'}</td>
                        <td>
                          {['QUEUED', 'RUNNING'].includes(j.status) && (
                            <button type="button" onClick={() => cancel(j.id)} disabled={j.cancelRequested} aria-label={`Cancel ${j.kind} job`}>
                              Cancel
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            </Section>
          ) : (
            <Empty title={view === 'active' ? 'Nothing queued or running' : 'No jobs'}>
              Imports, feature extraction, training and experiments run as jobs. Start one from <a href="#/new/training">New</a>.
            </Empty>
          )
        }
      </Guard>
    </div>
  );
}
