import { extractInput, printExtractResult, printTrainResult, trainingInput, type ExtractFlags, type TrainFlags, type TrainedRun } from '../train.js';
import type { RemoteApi } from './api.js';
import { remoteProjectId } from './project.js';
import { waitRemote } from './wait.js';

/** The CLI's lower-case names (text-finetune, adamw, microF1) as the GraphQL enums spell them (TEXT_FINETUNE, ADAMW, MICRO_F1). */
export const enumName = (v: unknown) => (typeof v === 'string' ? v.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase() : v);
const ENUM_FIELDS = ['head', 'optimizer', 'lossWeighting', 'thresholds'] as const;

/** `tagfusion train` through a running server: startTraining, the run's job followed over graphql-ws, the same result printed. */
export async function remoteTrain(api: RemoteApi, o: TrainFlags): Promise<void> {
  const input: Record<string, unknown> = { ...trainingInput(o) };
  for (const f of ENUM_FIELDS) input[f] = enumName(input[f]);
  const stop = input.earlyStopping as { metric: string; patience: number } | undefined;
  if (stop) input.earlyStopping = { ...stop, metric: enumName(stop.metric) };
  if (o.project !== undefined) input.projectId = await remoteProjectId(api, o.project);
  const { startTraining: run } = await api.request<{ startTraining: { id: string } }>(`mutation($i: TrainingInput!) { startTraining(input: $i) { id } }`, { i: input });
  const jobId = await jobOfRun(api, run.id);
  const done = await waitRemote(api, jobId, Boolean(o.json));
  const { run: finished } = await api.request<{ run: TrainedRun }>(`query($id: ID!) { run(id: $id) { id status backend error summary } }`, { id: run.id });
  printTrainResult(done, finished, Boolean(o.json));
}

/** The job that works a run just started (the API has no run → job link; it is among the newest jobs). */
export async function jobOfRun(api: RemoteApi, runId: string): Promise<string> {
  const { jobs } = await api.request<{ jobs: { id: string; run: { id: string } | null }[] }>(`{ jobs(first: 200) { id run { id } } }`);
  const job = jobs.find((j) => j.run?.id === runId);
  if (!job) throw new Error(`the job of run ${runId} was not found on the server`);
  return job.id;
}

/** `tagfusion extract` through a running server. */
export async function remoteExtract(api: RemoteApi, o: ExtractFlags): Promise<void> {
  const { extractFeatures: job } = await api.request<{ extractFeatures: { id: string } }>(`mutation($i: ExtractFeaturesInput!) { extractFeatures(input: $i) { id } }`, { i: extractInput(o) });
  printExtractResult(o, job.id, await waitRemote(api, job.id, Boolean(o.json)));
}
