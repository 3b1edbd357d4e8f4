import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { Journal } from '../../src/gc/journal.js';
import { GcService } from '../../src/gc/service.js';
import { cliActor } from '../../src/registry/actor.js';
import { mirrorFor } from '../../src/storage/mirror.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { startLocalS3, type LocalS3 } from '../support/s3.js';
import { hasFolder, upload } from './support.js';

describe.each(DB_KINDS)('gc and files on %s', (kind) => {
  let s3: LocalS3;
  let db: TestDatabase;
  let app: App;
  let gc: GcService;
  const collect = (dryRun = false) => gc.collect({ olderThanDays: 0, dryRun, actor: cliActor() });
  const newRun = async (name: string) => (await app.services.runs.create({ kind: 'external', name, status: 'RUNNING' })).id;

  beforeAll(async () => {
    s3 = await startLocalS3();
    db = await createTestDatabase(kind, s3.env());
    app = await startApp(db.config, { workJobs: false });
    gc = new GcService(app.db, app.config.dataDir);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await s3?.close();
  });

  it('removes a collected run’s objects from the bucket as well as its local folder', async () => {
    const runId = await newRun('bucketed');
    await upload(app, runId, 'a.txt', 'hello');
    await upload(app, runId, 'sub/b.txt', 'world!');
    const store = mirrorFor(app.config.dataDir).store;
    expect(store.remote).toBe(true);
    expect(await store.list(`artifacts/${runId}/`)).toEqual(expect.arrayContaining(['a.txt', 'sub/b.txt']));
    await app.services.tracking.delete(runId);
    const dry = await collect(true);
    expect(dry.removed).toMatchObject({ runs: 1, files: 2, bytes: 11, storeObjects: 2, storeBytes: 11 });
    expect(await store.has(`artifacts/${runId}/a.txt`)).toBe(true);
    const done = await collect();
    expect(done.removed).toMatchObject({ runs: 1, files: 2, bytes: 11, storeObjects: 2, storeBytes: 11 });
    expect(await store.list(`artifacts/${runId}/`)).toEqual([]);
    expect(hasFolder(app, runId)).toBe(false);
  });

  it('finishes the file removals a crashed gc journaled, only for rows that are really gone', async () => {
    const crashed = await newRun('crashed');
    const alive = await newRun('alive');
    await upload(app, crashed, 'x.bin', 'abc');
    await upload(app, alive, 'y.bin', 'defg');
    // As a gc that committed the row removal of `crashed` and then died leaves things:
    await new Journal(app.config.dataDir).open([
      { table: 'Run', id: crashed },
      { table: 'Run', id: alive },
    ]);
    await app.db.prisma.run.delete({ where: { id: crashed } });
    const dry = await collect(true);
    expect(dry.removed.files).toBe(0);
    expect(hasFolder(app, crashed)).toBe(true);
    const report = await collect();
    expect(report.removed).toMatchObject({ runs: 0, files: 1, bytes: 3, storeObjects: 1, storeBytes: 3 });
    expect(hasFolder(app, crashed)).toBe(false);
    expect(hasFolder(app, alive)).toBe(true);
    expect(await mirrorFor(app.config.dataDir).store.has(`artifacts/${alive}/y.bin`)).toBe(true);
    const journals = join(app.config.dataDir, 'gc');
    expect(existsSync(journals) ? readdirSync(journals) : []).toEqual([]);
  });
});
