import type { Database } from '../db/database.js';
import type { Run } from '../db/generated/client.js';
import type { RunStatus } from '../db/generated/enums.js';
import { fitsInEvent, type AppEvent, type EventBus } from '../events/bus.js';
import { errors } from '../errors.js';
import type { Actor } from '../registry/actor.js';
import { findProject } from '../projects/repository.js';
import { writeAudit } from '../registry/audit.js';
import { parseInput } from '../util/input.js';
import { epochInput, newRunInput, reopenInput, type NewRunInput } from './input.js';
import { isFinished } from './lifecycle.js';
import type { RunFilter, RunOrder } from './query.js';
import * as repo from './repository.js';
import { resolveRunRef } from '../refs/run-ref.js';
import { writeGateOf, type WriteGateOptions } from './write-gate.js';

const MAX_PAGE = 500;
const TX = { maxWait: 10_000, timeout: 20_000 };

export interface RunPage {
  runs: Run[];
  offset: number;
  hasMore: boolean;
  totalCount: () => Promise<number>;
}

/** Runs: creation, status, metric recording (published live), and queries. */
export class RunService {
  private readonly writes;
  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    writeGate?: WriteGateOptions,
  ) {
    this.writes = writeGateOf(db, writeGate);
  }

  /** Creates a QUEUED run; its input is checked field by field (BAD_INPUT names the field). */
  async create(raw: NewRunInput): Promise<Run> {
    const run = parseInput(newRunInput, raw);
    const project = await findProject(this.db.prisma, run.projectId);
    if (!project) throw errors.projectNotFound(String(run.projectId));
    if (project.deletedAt) throw errors.projectDeleted(project.name);
    if (run.datasetId && !(await this.db.prisma.dataset.findUnique({ where: { id: run.datasetId } }))) throw errors.datasetNotFound(run.datasetId);
    if (run.parentId) await this.get(run.parentId);
    return repo.createRun(this.db.prisma, run);
  }

  /** The id of a run typed as id, unique name or id start; RUN_NOT_FOUND or RUN_AMBIGUOUS otherwise (src/refs). */
  resolveRef = (ref: string) => resolveRunRef(this.db.prisma, ref);

  async get(id: string): Promise<Run> {
    const run = await this.db.prisma.run.findUnique({ where: { id } });
    if (!run) throw errors.runNotFound(id);
    return run;
  }

  /**
   * Moves an open run to `status` (the rules: ./lifecycle.ts). A finished run keeps its status:
   * asking for the one it has changes nothing (a retried job may finish twice); any other is
   * RUN_FINISHED.
   */
  async setStatus(id: string, status: RunStatus, extra: { error?: string | null; backend?: string | null } = {}): Promise<Run> {
    const run = await repo.moveOpenRun(this.db.prisma, id, status, extra);
    if (!run) {
      const current = await this.get(id);
      if (current.status === status) return current;
      throw errors.runFinished(id, current.status);
    }
    await this.events.publish({ topic: 'run', runId: id, type: 'STATUS', status, message: extra.error ?? undefined });
    return run;
  }

  /**
   * Makes a finished run RUNNING again, so that it takes metrics and a new finish: an admin's
   * explicit act, written to the audit log with the reason in the same transaction. A run that a
   * registered model version was made from never changes (RUN_REGISTERED).
   */
  async reopen(actor: Actor, id: string, reason: string): Promise<Run> {
    const input = parseInput(reopenInput, { id, reason });
    const run = await this.db.prisma.$transaction(async (tx) => {
      const status = await repo.lockRunStatus(tx, input.id);
      if (!status) throw errors.runNotFound(input.id);
      if (!isFinished(status)) throw errors.conflict(`Run ${input.id} is ${status}, not finished: there is nothing to reopen.`, { id: input.id, status });
      const versions = await repo.versionsOfRun(tx, input.id);
      if (versions.length) throw errors.runRegistered(input.id, versions);
      const reopened = await repo.reopenRun(tx, input.id);
      await writeAudit(tx, actor, { action: 'RUN_REOPENED', from: { runId: input.id, status }, to: { runId: input.id, status: reopened.status, reason: input.reason } });
      return reopened;
    }, TX);
    await this.events.publish({ topic: 'run', runId: run.id, type: 'STATUS', status: run.status, message: `reopened by ${actor.name}: ${input.reason}` });
    return run;
  }

  /**
   * Records an epoch (idempotent per run, metric, split and epoch), publishes it, and returns the
   * run. Only an open run takes metrics (RUN_FINISHED otherwise). `fromClient`: an API caller,
   * told SERVER_BUSY when too many writes wait; the server's own training jobs always wait their
   * turn instead of failing.
   */
  async recordEpoch(runId: string, epoch: number, metrics: repo.EpochMetricInput[], classMetrics: repo.ClassMetricInput[] = [], { fromClient = false } = {}): Promise<Run> {
    parseInput(epochInput, { runId, epoch, metrics, classMetrics });
    const run = await this.get(runId);
    if (isFinished(run.status)) throw errors.runFinished(runId, run.status);
    // The statement checks again under a lock: the run may finish while this write waits its turn.
    const status = await this.writes.run(() => repo.recordEpoch(this.db.prisma, runId, epoch, metrics, classMetrics), { refuseWhenBusy: fromClient });
    if (!status) throw errors.runNotFound(runId);
    if (isFinished(status)) throw errors.runFinished(runId, status);
    // Class metrics stay out of the event (18 classes × splits would crowd NOTIFY); clients re-query
    // them. An epoch with too many metrics for one NOTIFY is announced without its values.
    const event: AppEvent = { topic: 'run', runId, type: 'EPOCH', epoch, metrics };
    await this.events.publish(fitsInEvent(event) ? event : { ...event, metrics: undefined, message: `${metrics.length} metrics recorded: too many for one event, query epochMetrics` });
    return run;
  }

  /** Live status changes and epochs of one run (for GraphQL subscriptions). */
  async subscribe(runId: string, signal?: AbortSignal): Promise<AsyncGenerator<Extract<AppEvent, { topic: 'run' }>>> {
    await this.get(runId);
    return this.events.iterate((e): e is Extract<AppEvent, { topic: 'run' }> => e.topic === 'run' && e.runId === runId, signal);
  }

  /** A page of runs; `offset` comes from the cursor of the previous page. */
  async list(filter: RunFilter = {}, order: RunOrder | null = null, first = 50, offset = 0): Promise<RunPage> {
    if (first < 1 || first > MAX_PAGE) throw errors.badInput(`first must be between 1 and ${MAX_PAGE}`, { field: 'first' });
    if (order?.field === 'PARAM' && !order.key) throw errors.badInput('orderBy.key is required to order by a param', { field: 'orderBy.key' });
    if (order?.field === 'METRIC' && !order.metric?.name) throw errors.badInput('orderBy.metric is required to order by a metric', { field: 'orderBy.metric' });
    const { ids, hasMore } = await repo.findRunIds(this.db.prisma, filter, order, first, offset);
    const rows = new Map((await repo.runsByIds(this.db.prisma, ids)).map((r) => [r.id, r]));
    return { runs: ids.map((id) => rows.get(id)!).filter(Boolean), offset, hasMore, totalCount: () => repo.countRuns(this.db.prisma, filter) };
  }

  params = (ids: readonly string[]) => repo.paramsOf(this.db.prisma, ids);
  children = (ids: readonly string[]) => repo.childrenOf(this.db.prisma, ids);
  summaries = (ids: readonly string[], filter?: repo.MetricFilter) => repo.summariesOf(this.db.prisma, ids, filter);
  epochMetrics = (ids: readonly string[], filter?: repo.MetricFilter) => repo.epochMetricsOf(this.db.prisma, ids, filter);
  classMetrics = (ids: readonly string[], filter?: repo.MetricFilter) => repo.classMetricsOf(this.db.prisma, ids, filter);
  artifacts = (ids: readonly string[]) => repo.artifactsOf(this.db.prisma, ids);
  byIds = (ids: readonly string[]) => repo.runsByIds(this.db.prisma, ids);
}
