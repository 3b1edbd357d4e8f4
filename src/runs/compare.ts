import type { Database } from '../db/database.js';
import { Prisma, type PrismaClient, type Run, type RunParam } from '../db/generated/client.js';
import { errors } from '../errors.js';
import { findLeaderboard, rankingAggregate, SUMMARY_COLUMNS, type MetricRef } from './leaderboard.js';
import type { MetricAggregate, RunFilter } from './query.js';
import * as repo from './repository.js';

/** Compare runs at their best epoch for the selection metric, or at their last. */
export type SummaryMode = 'BEST' | 'LAST';

/** Enough for any sweep a person reads side by side, few enough to answer in one round of queries. */
export const MAX_COMPARED_RUNS = 200;
const MAX_LEADERBOARD = 500;
const DEFAULT_METRIC: MetricRef = { name: 'microF1', split: 'val' };

export interface MetricSelection {
  name: string;
  split: string;
  aggregate: MetricAggregate;
}

export interface ParamComparison {
  key: string;
  values: (string | null)[];
  differs: boolean;
}

export interface MetricComparison {
  name: string;
  split: string;
  values: (number | null)[];
}

export interface MetricCurve {
  runId: string;
  name: string;
  split: string;
  epochs: number[];
  values: number[];
}

export interface ClassF1Matrix {
  classIds: number[];
  /** runs × classes; null where a run has no row for the class */
  f1: (number | null)[][];
}

/**
 * Runs aligned column by column. Params and metrics are read up front; per-class F1 and curves
 * only when asked for (each one query over all the runs).
 */
export class RunComparison {
  private readonly classF1BySplit = new Map<string, Promise<ClassF1Matrix>>();

  constructor(
    private readonly prisma: PrismaClient,
    readonly runs: Run[],
    readonly selectedBy: MetricSelection,
    /** the epoch each run is compared at; null where it lacks the selection metric */
    readonly epochs: (number | null)[],
    readonly params: ParamComparison[],
    readonly metrics: MetricComparison[],
  ) {}

  /** F1 per run and class on a split at the chosen epochs (memoised: classIds and classF1 share it). */
  classF1(split = 'val'): Promise<ClassF1Matrix> {
    let matrix = this.classF1BySplit.get(split);
    if (!matrix) {
      matrix = this.loadClassF1(split);
      this.classF1BySplit.set(split, matrix);
    }
    return matrix;
  }

  /** Every epoch of the runs' metrics, in run order, then by name and split. */
  async curves(names?: readonly string[] | null, split?: string | null): Promise<MetricCurve[]> {
    const conditions = [Prisma.sql`"runId" = ANY(${this.runIds()}::text[])`];
    if (names) conditions.push(Prisma.sql`"name" = ANY(${[...names]}::text[])`);
    if (split != null) conditions.push(Prisma.sql`"split" = ${split}`);
    // One row per curve, not per point (50 runs × 13 metrics × 30 epochs), its series as JSON text:
    // JSON.parse costs a quarter of the Node CPU that decoding int[]/float8[] columns does (4 vs
    // 16 ms for 650 curves), and float8 prints as its shortest exact form, so values round-trip.
    const rows = await this.prisma.$queryRaw<{ runId: string; name: string; split: string; epochs: string; values: string }[]>`
      SELECT "runId", "name", "split", json_agg("epoch" ORDER BY "epoch")::text AS "epochs", json_agg("value" ORDER BY "epoch")::text AS "values"
      FROM "EpochMetric" WHERE ${Prisma.join(conditions, ' AND ')}
      GROUP BY "runId", "name", "split"`;
    const curves: MetricCurve[] = rows.map((r) => ({ ...r, epochs: JSON.parse(r.epochs), values: JSON.parse(r.values) }));
    const position = new Map<string, number>();
    this.runs.forEach((r, i) => position.has(r.id) || position.set(r.id, i));
    return curves.sort((a, b) => position.get(a.runId)! - position.get(b.runId)! || compareText(a.name, b.name) || compareText(a.split, b.split));
  }

  private runIds = () => [...new Set(this.runs.map((r) => r.id))];

  private async loadClassF1(split: string): Promise<ClassF1Matrix> {
    const chosen = this.runs.map((r, i) => [r.id, this.epochs[i]] as const).filter((c): c is readonly [string, number] => c[1] != null);
    const rows = chosen.length
      ? await this.prisma.$queryRaw<{ runId: string; classId: number; f1: number }[]>`
          SELECT c."runId", c."classId", CASE WHEN c."support" = 0 THEN NULL ELSE c."f1" END AS "f1"
          FROM "ClassMetric" c
          JOIN unnest(${chosen.map((c) => c[0])}::text[], ${chosen.map((c) => c[1])}::int[]) AS chosen("runId", "epoch")
            ON c."runId" = chosen."runId" AND c."epoch" = chosen."epoch"
          WHERE c."split" = ${split}`
      : [];
    const classIds = [...new Set(rows.map((r) => r.classId))].sort((a, b) => a - b);
    const f1 = new Map(rows.map((r) => [`${r.runId}/${r.classId}`, r.f1]));
    return { classIds, f1: this.runs.map((r) => classIds.map((c) => f1.get(`${r.id}/${c}`) ?? null)) };
  }
}

/** Comparisons and leaderboards of runs: validation here, set-based SQL below and in leaderboard.ts. */
export class RunComparisonService {
  constructor(private readonly db: Database) {}

  /** Compares runs (in the order of `ids`) at their best or last epoch for `metric`. */
  async compare(ids: readonly string[], mode: SummaryMode = 'BEST', metric: MetricRef = DEFAULT_METRIC): Promise<RunComparison> {
    if (ids.length < 1 || ids.length > MAX_COMPARED_RUNS) throw errors.badInput(`ids must hold 1 to ${MAX_COMPARED_RUNS} run ids, got ${ids.length}`, { field: 'ids' });
    if (!metric.name) throw errors.badInput('metric.name must not be empty', { field: 'metric.name' });
    const selectedBy: MetricSelection = { name: metric.name, split: metric.split ?? 'val', aggregate: mode === 'LAST' ? 'LAST' : rankingAggregate(metric) };
    const unique = [...new Set(ids)];
    const prisma = this.db.prisma;
    const [runRows, paramRows, metricRows] = await Promise.all([repo.runsByIds(prisma, unique), repo.paramsOf(prisma, unique), metricsAtChosenEpoch(prisma, unique, selectedBy)]);
    const byId = new Map(runRows.map((r) => [r.id, r]));
    const missing = ids.find((id) => !byId.has(id));
    if (missing !== undefined) throw errors.runNotFound(missing);
    const runs = ids.map((id) => byId.get(id)!);
    const epochOf = new Map(metricRows.filter((m) => m.name === selectedBy.name && m.split === selectedBy.split).map((m) => [m.runId, m.epoch]));
    return new RunComparison(prisma, runs, selectedBy, ids.map((id) => epochOf.get(id) ?? null), alignParams(ids, paramRows), alignMetrics(ids, metricRows));
  }

  /** The best `first` runs of a dataset by a metric (see findLeaderboard), with their rows. */
  async leaderboard(datasetId: string, metric: MetricRef, filter: RunFilter = {}, first = 20) {
    if (first < 1 || first > MAX_LEADERBOARD) throw errors.badInput(`first must be between 1 and ${MAX_LEADERBOARD}`, { field: 'first' });
    if (!metric.name) throw errors.badInput('metric.name must not be empty', { field: 'metric.name' });
    const prisma = this.db.prisma;
    const [dataset, rows] = await Promise.all([prisma.dataset.findUnique({ where: { id: datasetId }, select: { id: true } }), findLeaderboard(prisma, datasetId, metric, filter, first)]);
    if (!dataset) throw errors.datasetNotFound(datasetId);
    const runs = new Map((await repo.runsByIds(prisma, rows.map((r) => r.runId))).map((r) => [r.id, r]));
    return rows.filter((r) => runs.has(r.runId)).map((r) => ({ ...r, run: runs.get(r.runId)! }));
  }
}

interface MetricAtEpoch {
  runId: string;
  name: string;
  split: string;
  epoch: number;
  value: number;
}

/**
 * Every metric of each run at the epoch the selection metric's summary names, in one query:
 * the summary is a primary-key lookup and the epoch rows a range of the (runId, …) unique index.
 */
function metricsAtChosenEpoch(prisma: PrismaClient, runIds: string[], selectedBy: MetricSelection) {
  const epochColumn = Prisma.raw(`s."${SUMMARY_COLUMNS[selectedBy.aggregate].epoch}"`);
  return prisma.$queryRaw<MetricAtEpoch[]>`
    SELECT e."runId", e."name", e."split", e."epoch", e."value"
    FROM "MetricSummary" s
    JOIN "EpochMetric" e ON e."runId" = s."runId" AND e."epoch" = ${epochColumn}
    WHERE s."runId" = ANY(${runIds}::text[]) AND s."name" = ${selectedBy.name} AND s."split" = ${selectedBy.split}`;
}

function alignParams(ids: readonly string[], rows: RunParam[]): ParamComparison[] {
  const byRun = new Map<string, Map<string, string>>();
  for (const p of rows) (byRun.get(p.runId) ?? byRun.set(p.runId, new Map()).get(p.runId)!).set(p.key, p.valueText);
  const keys = [...new Set(rows.map((p) => p.key))].sort(compareText);
  return keys.map((key) => {
    const values = ids.map((id) => byRun.get(id)?.get(key) ?? null);
    return { key, values, differs: new Set(values).size > 1 };
  });
}

function alignMetrics(ids: readonly string[], rows: MetricAtEpoch[]): MetricComparison[] {
  const value = new Map(rows.map((m) => [`${m.runId}\0${m.name}\0${m.split}`, m.value]));
  const series = [...new Map(rows.map((m) => [`${m.name}\0${m.split}`, { name: m.name, split: m.split }])).values()];
  series.sort((a, b) => compareText(a.name, b.name) || compareText(a.split, b.split));
  return series.map((s) => ({ ...s, values: ids.map((id) => value.get(`${id}\0${s.name}\0${s.split}`) ?? null) }));
}

/** Code-point order, the same on every machine (localeCompare depends on the locale). */
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
