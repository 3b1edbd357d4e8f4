import type { App } from '../app.js';
import type { Job } from '../db/generated/client.js';
import { errors } from '../errors.js';
import { withDirectApp } from './direct-app.js';
import type { RemoteApi } from './remote/api.js';
import { remoteApi } from './remote/target.js';
import { printOutput, textTable } from './table.js';

export interface JobsFlags {
  status?: string;
  limit: number;
  json?: boolean;
}

/** One job as `tagfusion jobs` prints it (the same through a server or in-process). */
export interface JobRow {
  id: string;
  kind: string;
  /** what the job works on: its run, dataset, import or prediction set */
  subject: string;
  status: string;
  progress: number;
  attempts: number;
  message: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

export function statusFilter(status?: string): string[] | undefined {
  if (!status) return undefined;
  const wanted = status.split(',').map((s) => s.trim().toUpperCase());
  const bad = wanted.find((s) => !STATUSES.includes(s));
  if (bad) throw errors.badInput(`--status must be one or more of ${STATUSES.map((s) => s.toLowerCase()).join(', ')}`, { field: '--status' });
  return wanted;
}

interface SubjectParts {
  kind: string;
  payload: unknown;
  run?: { id: string; name: string | null } | null;
  dataset?: { name: string; version: number } | null;
}

/** "run sweep-3", "comp5329@1 centernet-coco", "import comp5329", "prediction set 9f…". */
export function jobSubject(j: SubjectParts): string {
  const p = (j.payload ?? {}) as { name?: string; encoder?: { id?: string }; predictionSetId?: string; deliveryId?: string };
  if (j.run) return `run ${j.run.name ?? j.run.id}`;
  if (j.dataset) return [`${j.dataset.name}@${j.dataset.version}`, p.encoder?.id].filter(Boolean).join(' ');
  if (j.kind === 'dataset-import' && p.name) return `import ${p.name}`;
  if (p.predictionSetId) return `prediction set ${p.predictionSetId}`;
  if (p.deliveryId) return `delivery ${p.deliveryId}`;
  return '-';
}

const datasetIdOf = (j: Job) => ((j.result as { datasetId?: string } | null)?.datasetId ?? (j.payload as { datasetId?: string } | null)?.datasetId) || undefined;

const iso = (d: Date | null) => d?.toISOString() ?? null;

async function localRows(app: App, o: JobsFlags, status?: string[]): Promise<JobRow[]> {
  const jobs = await app.services.jobs.list({ status: status as Job['status'][] }, o.limit);
  const { prisma } = app.db;
  const runs = new Map((await prisma.run.findMany({ where: { id: { in: jobs.flatMap((j) => (j.runId ? [j.runId] : [])) } }, select: { id: true, name: true } })).map((r) => [r.id, r]));
  const datasets = new Map((await prisma.dataset.findMany({ where: { id: { in: jobs.flatMap((j) => datasetIdOf(j) ?? []) } }, select: { id: true, name: true, version: true } })).map((d) => [d.id, d]));
  return jobs.map((j) => ({
    id: j.id,
    kind: j.kind,
    subject: jobSubject({ kind: j.kind, payload: j.payload, run: j.runId ? runs.get(j.runId) : null, dataset: datasets.get(datasetIdOf(j) ?? '') }),
    status: j.status,
    progress: j.progress,
    attempts: j.attempts,
    message: j.message,
    error: j.error,
    createdAt: j.createdAt.toISOString(),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
  }));
}

async function remoteRows(api: RemoteApi, o: JobsFlags, status?: string[]): Promise<JobRow[]> {
  const { jobs } = await api.request<{ jobs: (Omit<JobRow, 'subject'> & SubjectParts)[] }>(
    `query($s: [JobStatus!], $n: Int) { jobs(status: $s, first: $n) { id kind status progress attempts message error createdAt startedAt finishedAt payload run { id name } dataset { name version } } }`,
    { s: status, n: o.limit },
  );
  return jobs.map(({ payload, run, dataset, ...j }) => ({ ...j, subject: jobSubject({ kind: j.kind, payload, run, dataset }) }));
}

const when = (iso: string | null) => (iso ? iso.slice(0, 19).replace('T', ' ') : '-');

/** `tagfusion jobs`: the newest jobs (through a running server when there is one). */
export async function jobsCommand(o: JobsFlags) {
  if (!Number.isInteger(o.limit) || o.limit < 1) throw errors.badInput('--limit must be a whole number of at least 1', { field: '--limit' });
  const status = statusFilter(o.status);
  const api = remoteApi();
  const rows = api ? await remoteRows(api, o, status) : await withDirectApp((app) => localRows(app, o, status));
  const text = rows.length
    ? textTable(
        ['ID', 'KIND', 'SUBJECT', 'STATUS', 'PROGRESS', 'CREATED', 'STARTED'],
        rows.map((r) => [r.id, r.kind, r.subject, r.status.toLowerCase(), `${Math.round(r.progress * 100)}%`, when(r.createdAt), when(r.startedAt)]),
      )
    : 'no jobs match\n';
  printOutput(o.json, rows, text);
}

/** What a cancel did, in words: at once, or asked of the worker running it. */
function cancelOutcome(j: { id: string; status: string; message: string | null; workerId: string | null }): string {
  if (j.status === 'CANCELLED') return `job ${j.id} cancelled${j.message ? ` (${j.message})` : ''}\n`;
  return `job ${j.id} is running on ${j.workerId ?? 'a worker'}: asked to stop; it ends CANCELLED within seconds (tagfusion jobs --status cancelled)\n`;
}

/** `tagfusion jobs cancel <id>`: a queued job ends at once, a running one is asked to stop. */
export async function jobsCancelCommand(id: string, o: { json?: boolean }) {
  const api = remoteApi();
  const job = api
    ? (await api.request<{ cancelJob: { id: string; status: string; message: string | null; workerId: string | null; cancelRequested: boolean } }>(`mutation($id: ID!) { cancelJob(id: $id) { id status message workerId cancelRequested } }`, { id })).cancelJob
    : await withDirectApp((app) => app.services.jobs.cancel(id));
  const out = { id: job.id, status: job.status, message: job.message, workerId: job.workerId, cancelRequested: job.cancelRequested };
  printOutput(o.json, out, cancelOutcome(out));
}
