import { runIdOf } from '../artifacts/paths.js';
import type { Database } from '../db/database.js';
import { errors } from '../errors.js';
import type { Actor } from '../registry/actor.js';
import { parseSource } from '../registry/source-uri.js';
import { addFreed, nothingFreed, placeOf, sweep, type Freed, type Place } from './files.js';
import { Journal, type JournalEntry } from './journal.js';
import { planCollection, type Kept, type Plan, type VersionUse } from './plan.js';
import * as repo from './repository.js';

/** Runs removed per transaction: each takes its child rows (metric points can be many) with it. */
const RUN_BATCH = 100;
const DAY_MS = 86_400_000;

export interface GcOptions {
  /** only items deleted at least this many days ago (0: every deleted item) */
  olderThanDays: number;
  /** report what would go, change nothing */
  dryRun: boolean;
  /** recorded in the audit log for purged model versions */
  actor: Actor;
}

export interface GcReport {
  dryRun: boolean;
  olderThanDays: number;
  /** items deleted at or before this moment were candidates */
  cutoff: string;
  /** what was removed (with dryRun: what would be) */
  removed: { runs: number; projects: number; modelVersions: number; predictionSets: number; rows: repo.RowCounts } & Freed;
  /** candidates that stay, each with why */
  kept: Kept[];
  /** deleted items not old enough yet */
  tooRecent: { runs: number; projects: number; modelVersions: number };
}

/**
 * `tagfusion gc`: removes for good what was soft-deleted (runs with their params, metrics, tags
 * and artifact rows and files; projects left empty; model versions), never a file that a model
 * version still uses (./plan.ts says what stays and why). Rows go first, each batch in one
 * transaction that checks every rule again under row locks; files after the commit.
 */
export class GcService {
  private readonly journal: Journal;

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
  ) {
    this.journal = new Journal(dataDir);
  }

  async collect(o: GcOptions): Promise<GcReport> {
    if (!Number.isFinite(o.olderThanDays) || o.olderThanDays < 0 || o.olderThanDays > 36_500) throw errors.badInput('--older-than: must be a number of days from 0 to 36500', { field: '--older-than' });
    const cutoff = Date.now() - Math.round(o.olderThanDays * DAY_MS);
    const leftover = o.dryRun ? nothingFreed() : await this.finishPending();
    const plan = await this.plan(cutoff);
    const base = { dryRun: o.dryRun, olderThanDays: o.olderThanDays, cutoff: new Date(cutoff).toISOString(), tooRecent: await repo.tooRecent(this.db.prisma, cutoff) };
    if (o.dryRun) {
      const runIds = plan.runs.map((r) => r.id);
      const sets = await repo.predictionSetsOf(this.db.prisma, plan.versions.map((v) => v.id));
      const freed = await sweep(this.dataDir, [...this.places('Run', runIds), ...this.places('PredictionSet', sets.map((s) => s.id))], false);
      const removed = { runs: runIds.length, projects: plan.projects.length, modelVersions: plan.versions.length, predictionSets: sets.length, rows: await repo.rowCounts(this.db.prisma, runIds), ...freed };
      return { ...base, removed, kept: plan.kept };
    }
    const versions = await this.purgeVersions(plan, cutoff, o.actor);
    const runs = await this.purgeRuns(plan, cutoff);
    const projects = await this.db.prisma.$transaction((tx) => repo.purgeProjects(tx, plan.projects.map((p) => p.id), cutoff));
    const changed = (kind: Kept['kind'], planned: { id: string | number; name: string | null }[], done: Set<string>): Kept[] =>
      planned.filter((x) => !done.has(String(x.id))).map((x) => ({ kind, id: String(x.id), name: x.name, reason: 'it changed while gc ran (restored, or given a new use); run gc again' }));
    const kept = [
      ...plan.kept,
      ...changed('modelVersion', plan.versions.map((v) => ({ id: v.id, name: v.label })), versions.ids),
      ...changed('run', plan.runs, runs.ids),
      ...changed('project', plan.projects, new Set(projects.map(String))),
    ];
    const removed = {
      runs: runs.ids.size,
      projects: projects.length,
      modelVersions: versions.ids.size,
      predictionSets: versions.sets,
      rows: runs.rows,
      ...addFreed(leftover, addFreed(versions.freed, runs.freed)),
    };
    return { ...base, removed, kept };
  }

  private async plan(cutoff: number): Promise<Plan> {
    const prisma = this.db.prisma;
    const runs = await repo.deletedRuns(prisma, cutoff);
    const ids = runs.map((r) => r.id);
    const candidates = new Set(ids);
    const bySource: VersionUse[] = (await repo.versionsBySourceOnly(prisma)).flatMap((v) => {
      const source = sourceRun(v.source);
      return source && candidates.has(source) ? [{ versionId: v.versionId, label: v.label, deleted: v.deleted, runId: source }] : [];
    });
    return planCollection({
      runs,
      children: ids.length ? await repo.childrenOf(prisma, ids) : [],
      versions: await repo.deletedVersions(prisma, cutoff),
      uses: [...(ids.length ? await repo.versionsUsing(prisma, ids) : []), ...bySource],
      projects: await repo.deletedProjects(prisma, cutoff),
    });
  }

  private places(table: JournalEntry['table'], ids: string[]): Place[] {
    return ids.flatMap((id) => placeOf(this.dataDir, table, id) ?? []);
  }

  /** Versions first: a run whose versions all go may then go too. Their submission files go with them. */
  private async purgeVersions(plan: Plan, cutoff: number, actor: Actor) {
    const ids = plan.versions.map((v) => v.id);
    if (!ids.length) return { ids: new Set<string>(), sets: 0, freed: nothingFreed() };
    const sets = await repo.predictionSetsOf(this.db.prisma, ids);
    const journal = await this.journal.open(sets.map((s) => ({ table: 'PredictionSet', id: s.id })));
    const purged = await this.db.prisma.$transaction(async (tx) => {
      const rows = await repo.purgeVersions(tx, ids, cutoff);
      if (rows.length) await repo.auditPurges(tx, actor, rows);
      return rows;
    });
    const done = new Set(purged.map((v) => v.id));
    const gone = sets.filter((s) => done.has(s.versionId)).map((s) => s.id);
    const freed = await sweep(this.dataDir, this.places('PredictionSet', gone), true);
    await this.journal.close(journal);
    return { ids: done, sets: gone.length, freed };
  }

  private async purgeRuns(plan: Plan, cutoff: number) {
    const all = plan.runs.map((r) => r.id);
    const ids = new Set<string>();
    let rows: repo.RowCounts = { params: 0, metricPoints: 0, classMetrics: 0, tags: 0, artifacts: 0 };
    let freed = nothingFreed();
    for (let i = 0; i < all.length; i += RUN_BATCH) {
      const batch = all.slice(i, i + RUN_BATCH);
      const journal = await this.journal.open(batch.map((id) => ({ table: 'Run', id })));
      const { gone, counts } = await this.db.prisma.$transaction(async (tx) => {
        const gone = await repo.lockCollectable(tx, batch, all, cutoff);
        if (!gone.length) return { gone, counts: null };
        const counts = await repo.rowCounts(tx, gone);
        await repo.purgeRuns(tx, gone);
        return { gone, counts };
      });
      for (const id of gone) ids.add(id);
      if (counts) rows = { params: rows.params + counts.params, metricPoints: rows.metricPoints + counts.metricPoints, classMetrics: rows.classMetrics + counts.classMetrics, tags: rows.tags + counts.tags, artifacts: rows.artifacts + counts.artifacts };
      freed = addFreed(freed, await sweep(this.dataDir, this.places('Run', gone), true));
      await this.journal.close(journal);
    }
    return { ids, rows, freed };
  }

  /** Removes the files a previous gc journaled but did not get to, of rows that are really gone. */
  private async finishPending(): Promise<Freed> {
    let freed = nothingFreed();
    for (const { path, entries } of await this.journal.pending()) {
      for (const table of ['Run', 'PredictionSet'] as const) {
        const ids = entries.filter((e) => e.table === table).map((e) => e.id);
        if (!ids.length) continue;
        const alive = await repo.existing(this.db.prisma, table, ids);
        freed = addFreed(freed, await sweep(this.dataDir, this.places(table, ids.filter((id) => !alive.has(id))), true));
      }
      await this.journal.close(path);
    }
    return freed;
  }
}

/** The run (UUID) a version's source names, or null for other sources and unreadable ones. */
function sourceRun(source: string): string | null {
  try {
    const parsed = parseSource(source);
    return parsed.kind === 'run' ? runIdOf(parsed.runId) : null;
  } catch {
    return null;
  }
}
