import { Prisma, type PrismaClient } from '../db/generated/client.js';
import { whereClause, type MetricAggregate, type RunFilter } from './query.js';

/** A metric as queries name it; the split defaults to "val". */
export interface MetricRef {
  name: string;
  split?: string | null;
  aggregate?: MetricAggregate | null;
}

/** Losses (`loss`, `bceLoss`, `val_loss`…) are minimised; scores (F1, accuracy…) maximised. */
export const isLoss = (name: string): boolean => /[Ll]oss$/.test(name);

/** The summary column that holds a metric's best value: the one asked for, else MIN for losses, MAX for scores. */
export const rankingAggregate = (m: MetricRef): MetricAggregate => m.aggregate ?? (isLoss(m.name) ? 'MIN' : 'MAX');

/** MetricSummary's value and epoch columns per aggregate (fixed names: safe to splice into SQL). */
export const SUMMARY_COLUMNS: Record<MetricAggregate, { value: string; epoch: string }> = {
  LAST: { value: 'lastValue', epoch: 'lastEpoch' },
  MIN: { value: 'minValue', epoch: 'minEpoch' },
  MAX: { value: 'maxValue', epoch: 'maxEpoch' },
};

export interface LeaderboardRow {
  rank: number;
  runId: string;
  value: number;
  epoch: number;
}

/**
 * The dataset's runs that have the metric, best first, ties to the earlier run. One query: the
 * filter's EXISTS conditions and the summary join are primary-key lookups per run of the dataset
 * (Run_datasetId_idx), and the top `first` come from a bounded sort.
 */
export async function findLeaderboard(prisma: PrismaClient, datasetId: string, metric: MetricRef, filter: RunFilter, first: number): Promise<LeaderboardRow[]> {
  const columns = SUMMARY_COLUMNS[rankingAggregate(metric)];
  const value = Prisma.raw(`lb."${columns.value}"`);
  const epoch = Prisma.raw(`lb."${columns.epoch}"`);
  const direction = Prisma.raw(isLoss(metric.name) ? 'ASC' : 'DESC');
  const rows = await prisma.$queryRaw<{ runId: string; value: number; epoch: number }[]>`
    SELECT r."id" AS "runId", ${value} AS "value", ${epoch} AS "epoch"
    FROM "Run" r
    JOIN "MetricSummary" lb ON lb."runId" = r."id" AND lb."name" = ${metric.name} AND lb."split" = ${metric.split ?? 'val'}
    ${whereClause({ ...filter, datasetId })}
    ORDER BY ${value} ${direction}, r."createdAt" ASC, r."id" ASC
    LIMIT ${first}`;
  return rows.map((r, i) => ({ rank: i + 1, runId: r.runId, value: r.value, epoch: r.epoch }));
}
