import type { App } from '../app.js';
import type { Project, Run } from '../db/generated/client.js';
import type { RunStatus } from '../db/generated/enums.js';
import { outputsOf } from '../logged-models/repository.js';
import { metricKey } from './metric-key.js';
import { splitInputTags } from './run-inputs.js';
import { runTagsOf } from './run-tags.js';
import { hexRunId, jsonDouble } from './tracking-input.js';

/** MLflow's run statuses and tagfusion's (SCHEDULED is a queued run, KILLED a cancelled one). */
export const MLFLOW_STATUS = { RUNNING: 'RUNNING', SCHEDULED: 'QUEUED', FINISHED: 'SUCCEEDED', FAILED: 'FAILED', KILLED: 'CANCELLED' } as const satisfies Record<string, RunStatus>;
export type MlflowStatus = keyof typeof MLFLOW_STATUS;
/** In MLflow's enum order (RunStatus in service.proto numbers them from 1). */
export const MLFLOW_STATUSES = Object.keys(MLFLOW_STATUS) as MlflowStatus[];
const TO_MLFLOW = Object.fromEntries(MLFLOW_STATUSES.map((s) => [MLFLOW_STATUS[s], s])) as Record<RunStatus, MlflowStatus>;

const lifecycle = (deletedAt: Date | null) => (deletedAt ? 'deleted' : 'active');

/** An experiment (a tagfusion project) as MLflow's Experiment message; artifacts go through the server's proxy. */
export function experimentJson(p: Project) {
  const tags = Object.entries(p.tags as Record<string, string>).map(([key, value]) => ({ key, value }));
  return {
    experiment_id: String(p.id),
    name: p.name,
    artifact_location: `mlflow-artifacts:/${p.id}`,
    lifecycle_stage: lifecycle(p.deletedAt),
    last_update_time: p.updatedAt.getTime(),
    creation_time: p.createdAt.getTime(),
    ...(tags.length ? { tags } : {}),
  };
}

/**
 * A run's RunInfo. A run tagfusion queued and never started has started, for MLflow, when it was
 * created; unset fields are left out, as protobuf's JSON does.
 */
export function runInfoJson(r: Run) {
  const runId = hexRunId(r.id);
  return {
    run_id: runId,
    run_uuid: runId,
    run_name: r.name ?? '',
    experiment_id: String(r.projectId),
    user_id: r.createdBy ?? '',
    status: TO_MLFLOW[r.status],
    start_time: (r.startedAt ?? r.createdAt).getTime(),
    ...(r.finishedAt ? { end_time: r.finishedAt.getTime() } : {}),
    artifact_uri: `mlflow-artifacts:/${r.projectId}/${runId}/artifacts`,
    lifecycle_stage: lifecycle(r.deletedAt),
  };
}

const RUNS_PER_QUERY = 5_000;
type RunJson = { info: ReturnType<typeof runInfoJson>; data: Record<string, unknown>; inputs: Record<string, unknown>; outputs: Record<string, unknown> };

/**
 * Runs as MLflow's Run messages, their data read in four queries for the whole page: each
 * metric's latest point (under its flat key), the params, the tags (with the name, note and
 * creator kept as columns, and the dataset inputs kept as tags given back as `inputs`), and the
 * logged models each run output (MLflow 3's `outputs`, which `register_model("runs:/…")` reads).
 */
export async function runsJson(app: App, runs: readonly Run[]): Promise<RunJson[]> {
  // a search may return 50,000 runs; a query's list of ids stays well under Postgres's 65,535 parameters
  if (runs.length > RUNS_PER_QUERY) {
    const out: RunJson[] = [];
    for (let i = 0; i < runs.length; i += RUNS_PER_QUERY) out.push(...(await runsJson(app, runs.slice(i, i + RUNS_PER_QUERY))));
    return out;
  }
  const ids = runs.map((r) => r.id);
  const [points, params, tags, outputs] = await Promise.all([
    app.services.tracking.latest(ids),
    app.services.runs.params(ids),
    app.services.tracking.tags(ids),
    outputsOf(app.db.prisma, ids),
  ]);
  const group = <T extends { runId: string }>(rows: T[]) => {
    const by = new Map<string, T[]>();
    for (const row of rows) {
      const list = by.get(row.runId);
      if (list) list.push(row);
      else by.set(row.runId, [row]);
    }
    return by;
  };
  const [pointsBy, paramsBy, tagsBy, outputsBy] = [group(points), group(params), group(tags), group(outputs)];
  return runs.map((r) => {
    const metrics = (pointsBy.get(r.id) ?? []).map((p) => ({ key: metricKey(p.name, p.split), value: jsonDouble(p.value), timestamp: p.timestamp, step: p.step }));
    const runParams = (paramsBy.get(r.id) ?? []).map((p) => ({ key: p.key, value: p.valueText }));
    const split = splitInputTags((tagsBy.get(r.id) ?? []).map((t) => ({ key: t.key, value: t.value })));
    const runTags = runTagsOf(r, split.tags);
    const modelOutputs = (outputsBy.get(r.id) ?? []).map((o) => ({ model_id: o.modelId, step: Number(o.step) }));
    return {
      info: runInfoJson(r),
      data: { ...(metrics.length ? { metrics } : {}), ...(runParams.length ? { params: runParams } : {}), ...(runTags.length ? { tags: runTags } : {}) },
      inputs: split.datasetInputs.length ? { dataset_inputs: split.datasetInputs } : {},
      outputs: modelOutputs.length ? { model_outputs: modelOutputs } : {},
    };
  });
}
