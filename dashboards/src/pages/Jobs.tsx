/** The job queue: queued and running jobs with live progress, recent ones, cancel. */
import { useState } from 'react';
import { gql, useQuery, useSubscription } from '../api';
import { href } from '../router';
import { ago, Empty, Guard, Progress, Scroll, Section, Status } from '../ui';

const JOBS = `query($status: [JobStatus!]) { jobs(status: $status, first: 100) { id kind status progress message error createdAt startedAt finishedAt cancelRequested run { id name } dataset { id name version } } }`;
const FILTERS: [string, string[] | null][] = [
  ['active', ['QUEUED', 'RUNNING']],
  ['failed', ['FAILED']],
  ['all', null],
];

export function JobsPage({ params }: { params: URLSearchParams }) {
  const view = params.get('view') ?? 'active';
  const status = FILTERS.find(([k]) => k === view)?.[1] ?? null;
  const q = useQuery<{ jobs: any[] }>(JOBS, { status });
  const [err, setErr] = useState<string>();
  useSubscription<{ jobEvents: any }>(`subscription { jobEvents { type jobId status progress message } }`, {}, ({ jobEvents: e }) => {
    let known = false;
    q.setData((d) => {
      if (!d) return d;
      known = d.jobs.some((j) => j.id === e.jobId);
      return { jobs: d.jobs.map((j) => (j.id === e.jobId ? { ...j, status: e.status, progress: e.progress, message: e.message ?? j.message } : j)) };
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
                          {j.run ? <a href={`#/runs/${j.run.id}`}>{j.run.name ?? 'run'}</a> : j.dataset ? <a href={`#/datasets/${j.dataset.id}`}>{`${j.dataset.name} v${j.dataset.version}`}</a> : '—'}
                        </td>
                        <td>{ago(j.createdAt)}</td>
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
