import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate, readMigrations } from '../../src/db/migrate.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';

const SHIFT = '20261208130000_epochs_from_one';

/**
 * The migration that numbers tagfusion's own epochs from 1: rows its training and pseudo-labelling
 * wrote from 0 shift by one, and what clients logged keeps its steps.
 */
describe.each(DB_KINDS)('the epochs-from-one migration on %s', (kind) => {
  let testDb: TestDatabase;
  let db: Database;
  afterEach(async () => {
    await db?.close();
    await testDb?.drop();
  });

  it('shifts the epochs, class metrics, summaries and best epoch of tagfusion’s runs, and only theirs', async () => {
    testDb = await createTestDatabase(kind);
    db = await openDatabase({ databaseUrl: testDb.config.databaseUrl, dataDir: testDb.config.dataDir });
    const all = readMigrations();
    expect(all.map((m) => m.name)).toContain(SHIFT);
    await migrate(db, all.filter((m) => m.name < SHIFT));

    const sql = (text: string) => db.prisma.$executeRawUnsafe(text);
    // A training run (with its train job), an old one whose job is gone, a pseudo-labelling round,
    // and a run a client logged steps 0 and 1 into.
    await sql(`INSERT INTO "Run" ("id", "kind", "summary") VALUES
      ('trained', 'train', '{"bestEpoch": 1, "epochsRun": 3, "val": {"microF1": 0.8}}'),
      ('old', 'train', '{"bestEpoch": 0, "epochsRun": 1}'),
      ('round', 'pseudo-label-round', NULL),
      ('logged', 'train', '{"bestEpoch": 0}')`);
    await sql(`INSERT INTO "Job" ("id", "kind", "runId") VALUES ('j1', 'train', 'trained')`);
    for (const run of ['trained', 'old', 'round', 'logged']) {
      // Equal timestamps and values at neighbouring epochs: a one-step update would collide.
      await sql(`INSERT INTO "EpochMetric" ("runId", "epoch", "split", "name", "value", "timestamp") VALUES
        ('${run}', 0, 'val', 'microF1', 0.5, 1000), ('${run}', 1, 'val', 'microF1', 0.5, 1000), ('${run}', 2, 'val', 'microF1', 0.7, 1000)`);
      await sql(`INSERT INTO "ClassMetric" ("runId", "split", "epoch", "classId", "precision", "recall", "f1", "accuracy", "support") VALUES
        ('${run}', 'val', 0, 1, 0.5, 0.5, 0.5, 0.5, 3), ('${run}', 'val', 1, 1, 0.6, 0.6, 0.6, 0.6, 3)`);
      await sql(`INSERT INTO "MetricSummary" ("runId", "name", "split", "lastValue", "lastEpoch", "minValue", "minEpoch", "maxValue", "maxEpoch") VALUES
        ('${run}', 'microF1', 'val', 0.7, 2, 0.5, 0, 0.7, 2)`);
    }

    expect(await migrate(db)).toContain(SHIFT);

    const epochs = async (run: string) => (await db.prisma.epochMetric.findMany({ where: { runId: run }, orderBy: { epoch: 'asc' } })).map((m) => m.epoch);
    const classEpochs = async (run: string) => (await db.prisma.classMetric.findMany({ where: { runId: run }, orderBy: { epoch: 'asc' } })).map((m) => m.epoch);
    const summary = async (run: string) => {
      const s = await db.prisma.metricSummary.findFirstOrThrow({ where: { runId: run } });
      return [s.lastEpoch, s.minEpoch, s.maxEpoch];
    };
    const best = async (run: string) => ((await db.prisma.run.findUniqueOrThrow({ where: { id: run } })).summary as { bestEpoch?: number } | null)?.bestEpoch;
    for (const run of ['trained', 'old', 'round']) {
      expect([run, await epochs(run), await classEpochs(run), await summary(run)]).toEqual([run, [1, 2, 3], [1, 2], [3, 1, 3]]);
    }
    expect(await best('trained')).toBe(2);
    expect(await best('old')).toBe(1);
    expect((await db.prisma.run.findUniqueOrThrow({ where: { id: 'trained' } })).summary).toMatchObject({ epochsRun: 3, val: { microF1: 0.8 } });
    // A client's steps are its own.
    expect([await epochs('logged'), await classEpochs('logged'), await summary('logged'), await best('logged')]).toEqual([[0, 1, 2], [0, 1], [2, 0, 2], 0]);
  });
});
