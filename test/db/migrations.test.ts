import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate, readMigrations } from '../../src/db/migrate.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { factsFromDatabase, factsFromPrismaSchema } from './schema-catalog.js';

describe.each(DB_KINDS)('migrations on %s', (kind) => {
  let testDb: TestDatabase;
  let db: Database;
  afterEach(async () => {
    await db?.close();
    await testDb?.drop();
  });

  async function open() {
    testDb = await createTestDatabase(kind);
    db = await openDatabase({ databaseUrl: testDb.config.databaseUrl, dataDir: testDb.config.dataDir });
  }

  it('produce exactly the database the Prisma schema describes', async () => {
    await open();
    await migrate(db);
    const expected = factsFromPrismaSchema();
    const actual = await factsFromDatabase(db);
    // A field, index or relation added to schema.prisma without a migration fails here, and so
    // does a migration that creates something the schema does not declare.
    expect({ missingFromDatabase: [...expected].filter((f) => !actual.has(f)).sort(), notInSchema: [...actual].filter((f) => !expected.has(f)).sort() }).toEqual({
      missingFromDatabase: [],
      notInSchema: [],
    });
    expect(expected.size).toBeGreaterThan(100);
  });

  it('notice a schema change that no migration carries', async () => {
    await open();
    await migrate(db);
    const schema = readFileSync(join(projectRoot, 'prisma', 'schema.prisma'), 'utf8')
      .replace('  seed       Int?', '  seed       Int?\n  priority   Int @default(0)')
      .replace('@@index([kind])', '@@index([kind, status])');
    const path = join(mkdtempSync(join(tmpdir(), 'tagfusion-schema-')), 'schema.prisma');
    writeFileSync(path, schema);
    const expected = factsFromPrismaSchema(path);
    const actual = await factsFromDatabase(db);
    expect([...expected].filter((f) => !actual.has(f)).sort()).toEqual(['column Run.priority int4 not null', 'index Run(kind, status)']);
    expect([...actual].filter((f) => !expected.has(f))).toEqual(['index Run(kind)']);
  });

  it('are recorded in _prisma_migrations as Prisma Migrate records them, once', async () => {
    await open();
    const all = readMigrations();
    expect(await migrate(db)).toEqual(all.map((m) => m.name));
    expect(await migrate(db)).toEqual([]);
    const rows = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows.map((r) => [r.migration_name, r.checksum, r.applied_steps_count])).toEqual(all.map((m) => [m.name, m.checksum, 1]));
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  it('refuse to start when an applied migration was edited', async () => {
    await open();
    const all = readMigrations();
    await migrate(db, all);
    const edited = all.map((m, i) => (i === 0 ? { ...m, checksum: 'f'.repeat(64) } : m));
    await expect(migrate(db, edited)).rejects.toThrow(/was modified after it was applied/);
  });

  it('roll back a failing migration entirely', async () => {
    await open();
    await migrate(db);
    const bad = { name: '99999999999999_bad', sql: 'CREATE TABLE "Half" (id int); SELECT 1/0;', checksum: 'x'.repeat(64) };
    await expect(migrate(db, [...readMigrations(), bad])).rejects.toThrow();
    const tables = await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'Half'`);
    expect(tables).toEqual([]);
    expect(await db.query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = $1`, [bad.name])).toEqual([]);
  });
});
