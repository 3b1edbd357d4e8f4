import { startCliApp } from './direct-app.js';
import { loadConfig } from '../config.js';
import { errors } from '../errors.js';
import { resolveRefs, resolveRunRefs } from '../refs/input.js';
import { waitCancellingOnInterrupt } from './interrupt.js';
import { ProgressLine } from './progress-line.js';
import { placementOf } from './project-flag.js';
import { remoteCompareRuns, remoteExperiment, type ExperimentMutation } from './remote/experiments.js';
import { remoteApi } from './remote/target.js';
import type { EncoderFlags } from './train.js';

export interface ExperimentFlags extends EncoderFlags {
  dataset: string;
  name?: string;
  /** training input shared by every trial, as JSON */
  base?: string;
  epochs?: number;
  parallelism?: number;
  /** the project of the experiment and its trials (a name or id) */
  project?: string;
  json?: boolean;
  csv?: boolean;
}

/** A JSON object option, with a clear error naming the flag. */
function jsonObject(text: string | undefined, flag: string): Record<string, unknown> {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw errors.badInput(`${flag} is not JSON: ${text}`, { field: flag });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw errors.badInput(`${flag} must be a JSON object`, { field: flag });
  return value as Record<string, unknown>;
}

/** The shared training input: --base JSON, then the common flags on top. */
function baseInput(o: ExperimentFlags): Record<string, unknown> {
  const base = jsonObject(o.base, '--base');
  if (o.epochs !== undefined) base.epochs = o.epochs;
  if (o.visionEncoder) base.visionEncoder = { id: o.visionEncoder, path: o.visionEncoderPath, hubId: o.visionEncoderHub };
  if (o.textEncoder) base.textEncoder = { id: o.textEncoder, path: o.textEncoderPath, hubId: o.textEncoderHub };
  return base;
}

/** A sweep value as typed: JSON when it parses (0.01, true, {"id":"tfidf"}), else text (adamw). */
function sweepValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface SweepFlags extends ExperimentFlags {
  head?: string;
  /** name=v1,v2,… (values) or name=min:max[:log] (a range, with --random) */
  param: string[];
  random?: boolean;
  trials?: number;
  seed?: number;
  medianStop?: boolean;
  objective?: string;
}

/** `tagfusion sweep`: a grid or random search, run here, then its table. */
export async function sweepCommand(o: SweepFlags) {
  const space = o.param.map((spec) => {
    const at = spec.indexOf('=');
    if (at < 1) throw errors.badInput(`--param ${spec}: write name=v1,v2 or name=min:max[:log]`, { field: '--param' });
    const name = spec.slice(0, at);
    const range = /^(-?[\d.e+-]+):(-?[\d.e+-]+)(:log)?$/.exec(spec.slice(at + 1));
    if (range) return { name, min: Number(range[1]), max: Number(range[2]), log: Boolean(range[3]) };
    return { name, values: spec.slice(at + 1).split(',').map(sweepValue) };
  });
  await runExperiment(o, 'startSweep', {
    datasetId: o.dataset,
    name: o.name,
    base: { ...baseInput(o), ...(o.head ? { head: o.head } : {}) },
    space,
    strategy: o.random ? 'random' : 'grid',
    trials: o.trials,
    seed: o.seed,
    parallelism: o.parallelism,
    objective: o.objective ? { metric: o.objective } : undefined,
    earlyTermination: o.medianStop ? {} : undefined,
  });
}

export interface AblateFlags extends ExperimentFlags {
  fusion?: string;
  textHead?: string;
}

/** `tagfusion ablate`: the paper's seven configurations, then Table 5. */
export async function ablateCommand(o: AblateFlags) {
  await runExperiment(o, 'startAblation', { datasetId: o.dataset, name: o.name, base: baseInput(o), fusion: o.fusion, textHead: o.textHead, parallelism: o.parallelism });
}

export interface PseudoLabelFlags extends ExperimentFlags {
  unlabelled: string;
  split?: string;
  rounds?: number;
  minConfidence?: number;
  predict?: boolean;
  text?: string;
  vision?: string;
}

/** `tagfusion pseudo-label`: rounds of pseudo-labelling, then the per-round table. */
export async function pseudoLabelCommand(o: PseudoLabelFlags) {
  await runExperiment(o, 'startPseudoLabeling', {
    datasetId: o.dataset,
    unlabelledDatasetId: o.unlabelled,
    unlabelledSplit: o.split?.toUpperCase(),
    name: o.name,
    maxRounds: o.rounds,
    minConfidence: o.minConfidence,
    predictUnlabelled: o.predict,
    base: baseInput(o),
    text: jsonObject(o.text, '--text'),
    vision: jsonObject(o.vision, '--vision'),
    parallelism: o.parallelism,
  });
}

export interface CompareEncodersFlags extends ExperimentFlags {
  head?: string;
  encoders: string[];
  modality?: string;
}

/** `tagfusion compare --encoders a b …`: one head over several encoders, then Table 1. */
export async function compareEncodersCommand(o: CompareEncodersFlags) {
  // An encoder is an id, or id=folder for weights in a local folder (onnx, bert).
  const encoders = o.encoders.map((e) => {
    const [id, path] = e.split('=');
    return { id, path: path || undefined };
  });
  await runExperiment(o, 'startModelComparison', { datasetId: o.dataset, name: o.name, head: o.head, encoders, modality: o.modality, base: baseInput(o), parallelism: o.parallelism });
}

/** An experiment's input as the service and the mutation of the same name take it (datasets as typed: resolveRefs makes them ids). */
export type ExperimentInput = { datasetId: string; unlabelledDatasetId?: string } & Record<string, unknown>;

/** What an experiment command prints: the run, its outcome, its trials and its table. */
export interface ExperimentResult {
  runId: string;
  kind: string;
  status: string;
  error: string | null;
  summary: unknown;
  children: { runId: string; name: string | null; kind: string; status: string }[];
  table: string;
}

/** The progress line of an experiment, the same through a server or in-process. */
export const experimentProgressText = (e: { done: number; total: number; running: number; failed: number; best?: { value: number } | null }) =>
  `${e.done}/${e.total} done, ${e.running} running, ${e.failed} failed${e.best ? `, best ${e.best.value.toFixed(4)}` : ''}`;

/**
 * Starts an experiment through the server that holds the data folder, or else in this process
 * (which works its jobs), draws its progress, and prints its result (printExperimentResult).
 */
async function runExperiment(o: ExperimentFlags, mutation: ExperimentMutation, input: ExperimentInput) {
  const api = remoteApi();
  if (api) return printExperimentResult(o, await remoteExperiment(api, o, mutation, input));
  const app = await startCliApp(loadConfig(), { workJobs: true });
  try {
    // Names become ids here, once, for whichever experiment starts (src/refs: `-d comp5329@2` works).
    const run = await app.services.experiments[mutation](await resolveRefs(app.services, input), await placementOf(app, o.project));
    const job = (await app.services.jobs.list({ runId: run.id }, 1))[0];
    const bar = o.json ? undefined : new ProgressLine(process.stderr);
    const stop = app.events.onEvent((e) => {
      if (e.topic !== 'experiment' || e.runId !== run.id || !e.total) return;
      bar?.update(e.done / e.total, experimentProgressText(e));
    });
    try {
      await waitCancellingOnInterrupt(app.services.jobs, job.id);
    } finally {
      stop();
      bar?.finish();
    }
    const finished = await app.services.runs.get(run.id);
    const table = await app.services.experiments.table(finished, o.csv ? 'CSV' : 'MARKDOWN');
    const children = (await app.services.runs.children([run.id])).map((c) => ({ runId: c.id, name: c.name, kind: c.kind, status: c.status }));
    printExperimentResult(o, { runId: run.id, kind: finished.kind, status: finished.status, error: finished.error, summary: finished.summary, children, table: table ?? '' });
  } finally {
    await app.close();
  }
}

/** Prints the table (Markdown, CSV with --csv) or, with --json, the run, its outcome and table; exit code 2 unless it succeeded. */
function printExperimentResult(o: ExperimentFlags, r: ExperimentResult) {
  if (o.json) {
    process.stdout.write(JSON.stringify({ runId: r.runId, kind: r.kind, status: r.status, error: r.error ?? undefined, summary: r.summary, children: r.children, table: r.table }, null, 2) + '\n');
  } else {
    process.stdout.write(`${r.kind} ${r.runId}  ${r.status}${r.error ? `: ${r.error}` : ''}\n\n${r.table}`);
  }
  if (r.status !== 'SUCCEEDED') process.exitCode = 2;
}

export interface CompareRunsFlags {
  runs: string[];
  last?: boolean;
  metric?: string;
  json?: boolean;
}

/** Runs side by side as `compare --runs` prints them, read here (the comparison service) or from a server (compareRuns). */
export interface RunsCompared {
  runs: { id: string; name: string | null }[];
  selectedBy: { name: string; split: string };
  epochs: (number | null)[];
  params: { key: string; values: (string | null)[]; differs: boolean }[];
  metrics: { name: string; split: string; values: (number | null)[] }[];
}

/** `tagfusion compare --runs a b …`: runs side by side: the params that differ, then metrics. */
export async function compareRunsCommand(o: CompareRunsFlags) {
  const summary = o.last ? 'LAST' : 'BEST';
  const metric = { name: o.metric ?? 'microF1', split: 'val' };
  const api = remoteApi();
  if (api) return printComparison(o, await remoteCompareRuns(api, o.runs, summary, metric));
  const app = await startCliApp(loadConfig(), { workJobs: false });
  try {
    printComparison(o, await app.services.comparisons.compare(await resolveRunRefs(app.services, o.runs), summary, metric));
  } finally {
    await app.close();
  }
}

/** Prints a comparison as JSON (--json) or a Markdown table, the same through a server or in-process. */
function printComparison(o: CompareRunsFlags, c: RunsCompared) {
  const params = c.params.filter((p) => p.differs);
  if (o.json) {
    process.stdout.write(JSON.stringify({ runs: c.runs.map((r) => r.id), epochs: c.epochs, params, metrics: c.metrics }, null, 2) + '\n');
    return;
  }
  const cell = (v: string | number | null) => (v === null ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v);
  const rows = [
    ['run', ...c.runs.map((r) => r.name ?? r.id.slice(0, 8))],
    [`epoch (${o.last ? 'last' : `best ${c.selectedBy.split} ${c.selectedBy.name}`})`, ...c.epochs.map(cell)],
    ...params.map((p) => [p.key, ...p.values.map(cell)]),
    ...c.metrics.filter((m) => m.split === 'val').map((m) => [`val ${m.name}`, ...m.values.map(cell)]),
  ];
  const line = (cells: string[]) => `| ${cells.map((s) => s.replace(/\|/g, '\\|')).join(' | ')} |`;
  process.stdout.write([line(rows[0]), `|${rows[0].map(() => ' --- ').join('|')}|`, ...rows.slice(1).map(line)].join('\n') + '\n');
}
