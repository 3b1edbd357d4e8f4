import { experimentProgressText, type ExperimentFlags, type ExperimentInput, type ExperimentResult, type RunsCompared } from '../experiments.js';
import { waitCancellingOnInterrupt } from '../interrupt.js';
import { ProgressLine } from '../progress-line.js';
import type { RemoteApi } from './api.js';
import { remoteProjectId } from './project.js';
import { enumName, jobOfRun } from './train.js';

/** The experiment mutations (named as the ExperimentService methods the in-process path calls) and their input types. */
const INPUT_TYPES = { startSweep: 'SweepInput', startAblation: 'AblationInput', startModelComparison: 'ModelComparisonInput', startPseudoLabeling: 'PseudoLabelingInput' } as const;
export type ExperimentMutation = keyof typeof INPUT_TYPES;

/** Inputs the CLI spells as the service does (grid, logits, text-finetune) and GraphQL as enums (GRID, LOGITS, TEXT_FINETUNE). */
const ENUM_FIELDS = ['strategy', 'fusion', 'textHead', 'head'];

interface RemoteRun {
  kind: string;
  status: string;
  error: string | null;
  summary: unknown;
  table: string | null;
  children: { id: string; name: string | null; kind: string; status: string }[];
}

/**
 * An experiment through a running server: the mutation, its progress over experimentEvents,
 * Ctrl-C → cancelExperiment (its trials stop too), then the run and table as in-process.
 */
export async function remoteExperiment(api: RemoteApi, o: ExperimentFlags, mutation: ExperimentMutation, input: ExperimentInput): Promise<ExperimentResult> {
  const i: Record<string, unknown> = { ...input };
  for (const f of ENUM_FIELDS) if (i[f] !== undefined) i[f] = enumName(i[f]);
  if (o.project !== undefined) i.projectId = await remoteProjectId(api, o.project);
  const started = await api.request<Record<string, { id: string }>>(`mutation($i: ${INPUT_TYPES[mutation]}!) { ${mutation}(input: $i) { id } }`, { i });
  const runId = started[mutation].id;
  const jobId = await jobOfRun(api, runId);
  const bar = o.json ? undefined : new ProgressLine(process.stderr);
  type Progress = { experimentEvents: { total: number; done: number; running: number; failed: number; best: { value: number } | null } };
  const stop = api.subscribe<Progress>(`subscription($id: ID!) { experimentEvents(runId: $id) { total done running failed best { value } } }`, { id: runId }, ({ experimentEvents: e }) => {
    if (e.total) bar?.update(e.done / e.total, experimentProgressText(e));
  });
  try {
    const waiter = {
      cancel: () => api.request(`mutation($id: ID!) { cancelExperiment(id: $id) { id } }`, { id: runId }),
      waitFor: (id: string) => api.waitForJob(id, () => undefined),
    };
    await waitCancellingOnInterrupt(waiter, jobId);
  } finally {
    await stop();
    bar?.finish();
  }
  const { run } = await api.request<{ run: RemoteRun }>(`query($id: ID!, $f: TableFormat) { run(id: $id) { kind status error summary table(format: $f) children { id name kind status } } }`, {
    id: runId,
    f: o.csv ? 'CSV' : 'MARKDOWN',
  });
  return { runId, kind: run.kind, status: run.status, error: run.error, summary: run.summary, table: run.table ?? '', children: run.children.map((c) => ({ runId: c.id, name: c.name, kind: c.kind, status: c.status })) };
}

/** `compare --runs` through a running server: the compareRuns query (run names resolved there too). */
export async function remoteCompareRuns(api: RemoteApi, ids: string[], summary: 'BEST' | 'LAST', metric: { name: string; split: string }): Promise<RunsCompared> {
  const { compareRuns } = await api.request<{ compareRuns: RunsCompared }>(
    `query($ids: [ID!]!, $s: SummaryMode, $m: MetricRef) { compareRuns(ids: $ids, summary: $s, metric: $m) { runs { id name } selectedBy { name split } epochs params { key values differs } metrics { name split values } } }`,
    { ids, s: summary, m: metric },
  );
  return compareRuns;
}
