import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp } from '../../src/app.js';
import { projectRoot } from '../../src/paths.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { fullRun } from './support.js';

// Each command starts a process that opens the database: slow on a busy machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const run = promisify(execFile);

describe.each(DB_KINDS)('tagfusion gc on %s', (kind) => {
  let db: TestDatabase;
  let runId: string;
  const cli = (args: string[]) => run(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), 'gc', ...args], { env: { ...process.env, ...db.env, LOG_LEVEL: 'info' } });

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    // The CLI opens the database itself (the embedded one takes one process at a time).
    const app = await startApp(db.config, { workJobs: false });
    runId = await fullRun(app, 'doomed');
    await app.services.tracking.delete(runId);
    await app.close();
  });
  afterAll(async () => db?.drop());

  it('refuses a bad --older-than with a clear message', async () => {
    const err = await cli(['--older-than', 'soon']).catch((e) => e);
    expect(err.code).not.toBe(0);
    expect(err.stdout).toBe('');
    expect(err.stderr).toBe("error: option '--older-than <days>' argument 'soon' is invalid. must be a number of days, 0 or more.\n");
  });

  it('prints a table, or with --json a report that parses (stdout is data only)', async () => {
    const table = await cli(['--dry-run']);
    expect(table.stdout).toMatch(/^gc dry run: would remove items deleted before \S+ \(--older-than 0\)\n/);
    expect(table.stdout).toMatch(/\n {2}runs +1\n/);
    expect(table.stdout).toMatch(/\n {2}files in the data folder +1 +17 B\n/);
    const json = await cli(['--json']);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ dryRun: false, olderThanDays: 0, removed: { runs: 1, files: 1, bytes: 17, rows: { params: 1, metricPoints: 2, tags: 1, artifacts: 1 } }, kept: [] });
  });
});
