import type { App } from '../app.js';
import { errors } from '../errors.js';
import { withDirectApp } from './direct-app.js';
import type { RemoteApi } from './remote/api.js';
import { remoteProjectId } from './remote/project.js';
import { remoteApi } from './remote/target.js';
import { printOutput, textTable } from './table.js';

export interface RunsFlags {
  dataset?: string;
  project?: string;
  status?: string;
  limit: number;
  json?: boolean;
}

/** One run as `tagfusion runs` prints it (the same through a server or in-process). */
export interface RunRow {
  id: string;
  name: string | null;
  kind: string;
  status: string;
  datasetId: string | null;
  project: string;
  createdAt: string;
  /** the validation micro-F1 its summary records, if any */
  valMicroF1: number | null;
}

const STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

function statusFilter(status?: string): string[] | undefined {
  if (!status) return undefined;
  const wanted = status.split(',').map((s) => s.trim().toUpperCase());
  const bad = wanted.find((s) => !STATUSES.includes(s));
  if (bad) throw errors.badInput(`--status must be one or more of ${STATUSES.map((s) => s.toLowerCase()).join(', ')}`, { field: '--status' });
  return wanted;
}

const microF1 = (summary: unknown) => {
  const v = (summary as { val?: { microF1?: unknown } } | null)?.val?.microF1;
  return typeof v === 'number' ? v : null;
};

async function localRows(app: App, o: RunsFlags, status?: string[]): Promise<RunRow[]> {
  const { runs, datasets, projects } = app.services;
  const filter = {
    datasetId: o.dataset === undefined ? undefined : await datasets.resolveRef(o.dataset),
    projectIds: o.project === undefined ? undefined : [(await projects.byNameOrId(o.project)).id],
    status: status as never,
  };
  const page = await runs.list(filter, null, o.limit, 0);
  const names = new Map<number, string>();
  for (const id of new Set(page.runs.map((r) => r.projectId))) names.set(id, (await projects.get(String(id))).name);
  return page.runs.map((r) => ({ id: r.id, name: r.name, kind: r.kind, status: r.status, datasetId: r.datasetId, project: names.get(r.projectId) ?? String(r.projectId), createdAt: r.createdAt.toISOString(), valMicroF1: microF1(r.summary) }));
}

async function remoteRows(api: RemoteApi, o: RunsFlags, status?: string[]): Promise<RunRow[]> {
  const projectId = o.project === undefined ? undefined : await remoteProjectId(api, o.project);
  const { runs } = await api.request<{ runs: { nodes: (Omit<RunRow, 'project' | 'valMicroF1' | 'datasetId'> & { dataset: { id: string } | null; project: { name: string }; summary: unknown })[] } }>(
    `query($f: RunFilter, $n: Int) { runs(filter: $f, first: $n) { nodes { id name kind status dataset { id } createdAt summary project { name } } } }`,
    { f: { datasetId: o.dataset, projectId, status }, n: o.limit },
  );
  return runs.nodes.map((r) => ({ id: r.id, name: r.name, kind: r.kind, status: r.status, datasetId: r.dataset?.id ?? null, project: r.project.name, createdAt: r.createdAt, valMicroF1: microF1(r.summary) }));
}

/** `tagfusion runs`: the newest runs, filtered; a run's name (where unique) or id start works wherever its id does. */
export async function runsCommand(o: RunsFlags) {
  const status = statusFilter(o.status);
  const api = remoteApi();
  const rows = api ? await remoteRows(api, o, status) : await withDirectApp((app) => localRows(app, o, status));
  const text = rows.length
    ? textTable(
        ['ID', 'NAME', 'KIND', 'STATUS', 'VAL MICRO-F1', 'PROJECT', 'CREATED'],
        rows.map((r) => [r.id, r.name ?? '-', r.kind, r.status.toLowerCase(), r.valMicroF1 === null ? '-' : r.valMicroF1.toFixed(4), r.project, r.createdAt.slice(0, 16).replace('T', ' ')]),
      )
    : 'no runs match\n';
  printOutput(o.json, rows, text);
}
