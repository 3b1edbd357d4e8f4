import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { GcService } from '../../src/gc/service.js';
import { cliActor } from '../../src/registry/actor.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { editor, fullRun, hasFolder, rowsOf, versionOf } from './support.js';

describe.each(DB_KINDS)('tagfusion gc on %s', (kind) => {
  let db: TestDatabase;
  let app: App;
  let gc: GcService;
  const ids = { gone: '', usedByLive: '', usedByDeleted: '', restored: '', parent: '', child: '', inProject: '' };
  let project: number;
  const collect = (o: { dryRun?: boolean; olderThanDays?: number } = {}) => gc.collect({ olderThanDays: o.olderThanDays ?? 0, dryRun: o.dryRun ?? false, actor: cliActor() });

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    app = await startApp(db.config, { workJobs: false });
    gc = new GcService(app.db, app.config.dataDir);
    const { tracking, runs, projects, registry } = app.services;
    for (const key of ['gone', 'usedByLive', 'usedByDeleted', 'restored', 'parent'] as const) ids[key] = await fullRun(app, key);
    await versionOf(app, 'm', ids.usedByLive);
    const v2 = await versionOf(app, 'm', ids.usedByDeleted);
    await registry.lifecycle.deleteVersion(editor, 'm', v2);
    ids.child = (await runs.create({ kind: 'external', name: 'child', parentId: ids.parent })).id;
    project = (await projects.create({ name: 'old' })).id;
    ids.inProject = await fullRun(app, 'inProject', project);
    for (const id of [ids.gone, ids.usedByLive, ids.usedByDeleted, ids.restored, ids.parent]) await tracking.delete(id);
    await tracking.restore(ids.restored);
    await projects.delete(project);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('refuses a bad --older-than, and leaves items deleted more recently than it', async () => {
    await expect(collect({ olderThanDays: -1 })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^--older-than: /) });
    const report = await collect({ olderThanDays: 1 });
    expect(report.removed).toMatchObject({ runs: 0, projects: 0, modelVersions: 0, files: 0 });
    expect(report.tooRecent).toEqual({ runs: 5, projects: 1, modelVersions: 1 });
    expect((await rowsOf(app, ids.gone)).run).toBe(1);
  });

  it('--dry-run reports what would go and what stays, and changes nothing', async () => {
    const report = await collect({ dryRun: true });
    expect(report).toMatchObject({ dryRun: true, olderThanDays: 0, tooRecent: { runs: 0, projects: 0, modelVersions: 0 } });
    expect(report.removed).toMatchObject({ runs: 3, projects: 1, modelVersions: 1, files: 3, rows: { params: 3, metricPoints: 6, tags: 3, artifacts: 3 } });
    expect(report.removed.bytes).toBe(['gone', 'usedByDeleted', 'inProject'].reduce((n, name) => n + `weights of ${name}`.length, 0));
    expect(report.kept).toEqual([
      { kind: 'run', id: ids.usedByLive, name: 'usedByLive', reason: 'the live model version m/1 was made from it' },
      { kind: 'run', id: ids.parent, name: 'parent', reason: `its child run ${ids.child} stays` },
    ]);
    for (const id of [ids.gone, ids.usedByDeleted, ids.inProject]) {
      expect(await rowsOf(app, id)).toEqual({ run: 1, params: 1, points: 2, tags: 1, artifacts: 1 });
      expect(hasFolder(app, id)).toBe(true);
    }
    expect(await app.db.prisma.modelVersion.count()).toBe(2);
    expect(await app.db.prisma.project.count({ where: { id: project } })).toBe(1);
  });

  it('removes deleted runs with their rows and files, the emptied project and the deleted version; keeps what a live version uses', async () => {
    const report = await collect();
    expect(report.removed).toMatchObject({ runs: 3, projects: 1, modelVersions: 1, files: 3, rows: { params: 3, metricPoints: 6, tags: 3, artifacts: 3 } });
    for (const id of [ids.gone, ids.usedByDeleted, ids.inProject]) {
      expect(await rowsOf(app, id)).toEqual({ run: 0, params: 0, points: 0, tags: 0, artifacts: 0 });
      expect(hasFolder(app, id)).toBe(false);
    }
    // the live version's run keeps its row, rows and files; so do the restored run and the parent of a live child
    for (const id of [ids.usedByLive, ids.restored, ids.parent]) {
      expect(await rowsOf(app, id)).toEqual({ run: 1, params: 1, points: 2, tags: 1, artifacts: 1 });
      expect(hasFolder(app, id)).toBe(true);
    }
    expect((await app.services.registry.getVersion('m', { version: 1 })).runId).toBe(ids.usedByLive);
    expect(await app.db.prisma.modelVersion.findMany({ select: { version: true } })).toEqual([{ version: 1 }]);
    expect(await app.db.prisma.project.count({ where: { id: project } })).toBe(0);
    const audit = await app.db.prisma.auditLog.findMany({ where: { action: 'VERSION_PURGED' } });
    expect(audit).toMatchObject([{ modelName: 'm', version: 2, actorRole: 'admin' }]);
    expect(report.kept.map((k) => k.id)).toEqual([ids.usedByLive, ids.parent]);

    const again = await collect();
    expect(again.removed).toMatchObject({ runs: 0, projects: 0, modelVersions: 0, files: 0 });
  });

  it('collects a kept run once the version that held it is deleted, and a restored run never', async () => {
    await app.services.registry.lifecycle.deleteVersion(editor, 'm', 1);
    const report = await collect();
    expect(report.removed).toMatchObject({ runs: 1, modelVersions: 1, files: 1 });
    expect((await rowsOf(app, ids.usedByLive)).run).toBe(0);
    expect(hasFolder(app, ids.usedByLive)).toBe(false);
    expect((await rowsOf(app, ids.restored)).run).toBe(1);
  });
});
