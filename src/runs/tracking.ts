import { z } from 'zod';
import type { Database } from '../db/database.js';
import type { Run } from '../db/generated/client.js';
import type { EventBus } from '../events/bus.js';
import { errors } from '../errors.js';
import { canonicalMetric } from '../mlflow/metric-key.js';
import { tagKey, tagValue } from '../projects/input.js';
import { id, nonBlank, parseInput, safeString } from '../util/input.js';
import * as notes from './annotations.js';
import { MAX_METRIC_NAME_LENGTH, MAX_NAME_LENGTH, MAX_NOTE_LENGTH, MAX_PARAM_KEY_LENGTH, MAX_PARAM_VALUE_BYTES, MAX_SPLIT_LENGTH } from './input.js';
import { isFinished } from './lifecycle.js';
import { metricHistory, recordPoints, type MetricPoint } from './points.js';
import type { RunSort } from './query-columns.js';
import type { RunFilter } from './query.js';
import { runsByIds } from './repository.js';
import { latestPointsOf, searchRunIds, setFinishedAt } from './tracking-repo.js';
import type { WriteGate } from './write-gate.js';

/** Points in one call: MLflow's log-batch takes at most 1,000 metrics. */
export const MAX_POINTS_PER_CALL = 1_000;
const INT32 = 2 ** 31 - 1;

const pointsInput = z
  .array(
    z.object({
      name: nonBlank(MAX_METRIC_NAME_LENGTH),
      // a split never holds '/': MLflow's flat key `split/name` must name one metric (../mlflow/metric-key.ts)
      split: safeString(MAX_SPLIT_LENGTH).refine((s) => !s.includes('/'), "must not contain '/'"),
      step: z.number().int('must be a whole number').min(-INT32 - 1).max(INT32, `must be at most ${INT32}`),
      timestamp: z.number().int('must be whole milliseconds').min(0).max(Number.MAX_SAFE_INTEGER),
      // NaN and ±Infinity are values a diverging training really logs; MLflow keeps them.
      value: z.custom<number>((v) => typeof v === 'number', 'must be a number'),
    })
      // one spelling per metric: `val/loss` without a split is `loss` on `val`
      .transform((p) => ({ ...p, ...canonicalMetric(p.name, p.split) }))
      .refine((p) => p.split.length <= MAX_SPLIT_LENGTH, { message: `its part before the first '/' (the split) must be at most ${MAX_SPLIT_LENGTH} characters`, path: ['name'] }),
  )
  .max(MAX_POINTS_PER_CALL);

const paramsInput = z
  .array(
    z.object({
      key: nonBlank(MAX_PARAM_KEY_LENGTH),
      value: safeString(Number.POSITIVE_INFINITY).refine((v) => Buffer.byteLength(v) <= MAX_PARAM_VALUE_BYTES, `must be at most ${MAX_PARAM_VALUE_BYTES} bytes (UTF-8)`),
    }),
  )
  .max(MAX_POINTS_PER_CALL);

/**
 * What training code outside tagfusion writes about a run (GraphQL, MLflow's REST API): tags
 * and the note at any time, params once each, metric points at any step and time while the run
 * is open, soft delete and restore. A deleted run takes nothing until it is restored.
 */
export class RunTrackingService {
  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly writes: WriteGate,
  ) {}

  /** A run that may be written to: it exists and is not deleted. */
  private async live(rawId: unknown): Promise<Run> {
    const runId = parseInput(id(), rawId);
    const run = await this.db.prisma.run.findUnique({ where: { id: runId } });
    if (!run) throw errors.runNotFound(runId);
    if (run.deletedAt) throw errors.runDeleted(runId);
    return run;
  }

  /** Sets tags (key → value); allowed on finished runs too, as MLflow allows. */
  async setTags(rawId: unknown, rawTags: unknown): Promise<Run> {
    const run = await this.live(rawId);
    const tags = parseInput(z.array(z.object({ key: tagKey, value: tagValue })).max(MAX_POINTS_PER_CALL), rawTags);
    await notes.setTags(this.db.prisma, run.id, tags);
    return run;
  }

  /** Removes a tag; RESOURCE_DOES_NOT_EXIST-like BAD_INPUT when it was not set. */
  async deleteTag(rawId: unknown, rawKey: unknown): Promise<Run> {
    const run = await this.live(rawId);
    const key = parseInput(tagKey, rawKey);
    if (!(await notes.deleteTag(this.db.prisma, run.id, key))) throw errors.tagNotFound(run.id, key);
    return run;
  }

  async setNote(rawId: unknown, rawNote: unknown): Promise<Run> {
    const run = await this.live(rawId);
    const note = parseInput(safeString(MAX_NOTE_LENGTH).nullish(), rawNote);
    return notes.setNote(this.db.prisma, run.id, note || null);
  }

  async rename(rawId: unknown, rawName: unknown): Promise<Run> {
    const run = await this.live(rawId);
    return notes.setName(this.db.prisma, run.id, parseInput(safeString(MAX_NAME_LENGTH).nullish(), rawName) || null);
  }

  /**
   * Logs params as text. A param is written once: logging the same value again changes nothing,
   * another value is PARAM_CHANGED (MLflow refuses it the same way). Only open runs take params.
   */
  async logParams(rawId: unknown, rawParams: unknown): Promise<Run> {
    const run = await this.open(rawId);
    const params = parseInput(paramsInput, rawParams);
    const given = new Map<string, string>();
    for (const p of params) {
      if (given.has(p.key) && given.get(p.key) !== p.value) throw errors.paramChanged(run.id, p.key);
      given.set(p.key, p.value);
    }
    const existing = await notes.existingParams(this.db.prisma, run.id, [...given.keys()]);
    for (const e of existing) if (e.valueText !== given.get(e.key)) throw errors.paramChanged(run.id, e.key);
    await notes.addParams(this.db.prisma, run.id, [...given].map(([key, value]) => ({ key, value })));
    return run;
  }

  /**
   * Logs metric points (any step, any time, several per step) to an open run, through the write
   * gate. Names are stored in their canonical spelling: `val/loss` without a split is `loss` on
   * `val`, as MLflow's flat key of that metric (../mlflow/metric-key.ts).
   */
  async logPoints(rawId: unknown, rawPoints: unknown, { fromClient = true } = {}): Promise<Run> {
    const run = await this.open(rawId);
    const points = parseInput(pointsInput, rawPoints) as MetricPoint[];
    if (!points.length) return run;
    const status = await this.writes.run(() => recordPoints(this.db.prisma, run.id, points), { refuseWhenBusy: fromClient });
    if (!status) throw errors.runNotFound(run.id);
    if (isFinished(status)) throw errors.runFinished(run.id, status);
    await this.events.publish({ topic: 'run', runId: run.id, type: 'LOG', message: `${points.length} metric value${points.length === 1 ? '' : 's'} logged` });
    return run;
  }

  /** Soft-deletes a run (MLflow's lifecycle_stage deleted); `tagfusion gc` removes it for good. */
  async delete(rawId: unknown): Promise<Run> {
    const run = await this.get(rawId);
    return run.deletedAt ? run : notes.setDeleted(this.db.prisma, run.id, new Date());
  }

  async restore(rawId: unknown): Promise<Run> {
    const run = await this.get(rawId);
    return run.deletedAt ? notes.setDeleted(this.db.prisma, run.id, null) : run;
  }

  /**
   * A page of runs sorted by several keys in turn (MLflow's search); `first` up to MLflow's
   * 50,000, after `offset` of them.
   */
  async search(filter: RunFilter, sorts: readonly RunSort[], first: number, offset: number): Promise<{ runs: Run[]; hasMore: boolean }> {
    const { ids, hasMore } = await searchRunIds(this.db.prisma, filter, sorts, first, offset);
    const rows = new Map((await runsByIds(this.db.prisma, ids)).map((r) => [r.id, r]));
    return { runs: ids.flatMap((id) => rows.get(id) ?? []), hasMore };
  }

  /** Records when a run that has just finished ended, as its client says (MLflow's end_time). */
  async setEndTime(runId: string, endTime: Date): Promise<void> {
    await setFinishedAt(this.db.prisma, runId, endTime);
  }

  history = (runId: string, name: string, split: string, first: number, offset = 0) => metricHistory(this.db.prisma, runId, name, split, first, offset);
  latest = (runIds: readonly string[]) => latestPointsOf(this.db.prisma, runIds);
  tags = (runIds: readonly string[]) => notes.tagsOf(this.db.prisma, runIds);

  private async get(rawId: unknown): Promise<Run> {
    const runId = parseInput(id(), rawId);
    const run = await this.db.prisma.run.findUnique({ where: { id: runId } });
    if (!run) throw errors.runNotFound(runId);
    return run;
  }

  private async open(rawId: unknown): Promise<Run> {
    const run = await this.live(rawId);
    if (isFinished(run.status)) throw errors.runFinished(run.id, run.status);
    return run;
  }
}
