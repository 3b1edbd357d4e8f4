import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp } from '../../src/app.js';
import { projectRoot } from '../../src/paths.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { parseCsv, parseJsonl, trackedRun } from './support.js';

// Each command starts a process that opens the database: slow on a busy machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const run = promisify(execFile);

describe.each(DB_KINDS)('tagfusion export on %s', (kind) => {
  let db: TestDatabase;
  let runId: string;
  const cli = (args: string[]) => run(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), 'export', ...args], { env: { ...process.env, ...db.env, LOG_LEVEL: 'info' } });

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    // The CLI opens the database itself (the embedded one takes one process at a time).
    const app = await startApp(db.config, { workJobs: false });
    const project = await app.services.projects.create({ name: 'vision' });
    runId = await trackedRun(app.services, { name: '@risky', projectId: project.id, params: { lr: '0.1' }, points: [{ name: 'f1', split: 'val', step: 1, value: NaN }] });
    await trackedRun(app.services, { name: 'elsewhere' });
    await app.close();
  });
  afterAll(async () => db?.drop());

  it('prints data only on stdout (logs go to stderr), filtered by project name', async () => {
    const csv = await cli(['runs', '--project', 'vision']);
    expect(parseCsv(csv.stdout)).toEqual([expect.objectContaining({ id: runId, name: "'@risky", 'params.lr': '0.1', 'metrics.val/f1': 'NaN' })]);
    const lines = await cli(['metrics', '--format', 'jsonl', '--run', runId.replace(/-/g, '')]);
    expect(parseJsonl(lines.stdout)).toEqual([{ run_id: runId, key: 'val/f1', name: 'f1', split: 'val', step: 1, timestamp: expect.any(Number), value: 'NaN' }]);
  });

  it('writes --out whole and says so on stderr; an unknown project is a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagfusion-export-'));
    const out = join(dir, 'runs.jsonl');
    const written = await cli(['runs', '--format', 'jsonl', '--out', out]);
    expect(written.stdout).toBe('');
    expect(written.stderr).toContain(`exported 2 runs to ${out}`);
    expect(parseJsonl(readFileSync(out, 'utf8')).map((r) => r.name)).toEqual(['elsewhere', '@risky']);
    expect(readdirSync(dir)).toEqual(['runs.jsonl']);
    const err = await cli(['runs', '--project', 'nope']).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stdout).toBe('');
    expect(err.stderr).toBe('tagfusion: Project nope does not exist.\n');
  });
});
