import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.js';

export type DbKind = 'pglite' | 'postgres';

/** The databases every integration test runs against: PGlite always, PostgreSQL when configured. */
export const DB_KINDS: DbKind[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/**
 * The folder test fixtures are written under (test/support/fixtures.ts), in the run's temporary
 * folder (global-setup.ts). Test servers read imports from it as their one data root
 * (TAGFUSION_DATA_ROOTS), as a deployment names its dataset folders: a server never reads the
 * temporary folder itself, so files elsewhere in it stay out of reach, as they should.
 */
export function fixturesRoot(): string {
  const root = join(tmpdir(), 'fixtures');
  mkdirSync(root, { recursive: true });
  return root;
}

export interface TestDatabase {
  config: Config;
  /** the environment that gives a server process this database */
  env: Record<string, string>;
  /** removes the data folder or drops the database */
  drop(): Promise<void>;
}

/**
 * A fresh, isolated database: a new PGlite folder, or a new database on the PostgreSQL server
 * (named tf_test_<random>) so that test files never see each other's rows or queue.
 */
export async function createTestDatabase(kind: DbKind, extraEnv: Record<string, string> = {}): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-test-'));
  // Job threads at normal priority: a `serve` process's would otherwise be SCHED_IDLE and wait for
  // every other test process on the machine, which makes timings depend on the neighbours.
  const base = {
    TAGFUSION_DATA_DIR: dataDir,
    TAGFUSION_DATA_ROOTS: fixturesRoot(),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '4000',
    TAGFUSION_WORKER_THREADS: '2',
    TAGFUSION_AUTH: 'open',
    TAGFUSION_JOB_CPU_PRIORITY: 'normal',
    ...extraEnv,
  };
  if (kind === 'pglite') {
    return { config: loadConfig(base), env: base, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const name = `tf_test_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const env = { ...base, DATABASE_URL: url.toString() };
  return {
    config: loadConfig(env),
    env,
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** Runs `fn` with a fresh client on `url`, closed afterwards (the benchmarks use it too). */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
