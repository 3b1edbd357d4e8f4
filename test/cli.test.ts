import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../src/paths.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from './support/databases.js';
import { writeDataset } from './support/fixtures.js';

// Each test starts server or CLI processes (each opens its database): slow on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string>) => run(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), ...args], { env: { ...process.env, ...env } });

describe.each(DB_KINDS)('tagfusion import on %s', (kind) => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('prints the documented JSON summary', async () => {
    const db = await createTestDatabase(kind);
    dbs.push(db);
    const fx = await writeDataset('ImageID,Labels,Caption\n1.jpg,1,"a"\n2.jpg,2 1,"b"\n3.jpg,q,"bad"\n4.jpg,2,"no image"\n', { '1.jpg': 'jpeg', '2.jpg': 'jpeg' });
    const { stdout } = await cli(['import', fx.csvPath, '--images', fx.imagesDir, '--name', 'cli', '--json'], db.env);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({
      datasetId: expect.any(String),
      version: 1,
      sampleCount: 2,
      labels: [
        { id: 1, count: 2 },
        { id: 2, count: 1 },
      ],
      rejected: [
        { line: 4, imageId: '3.jpg', reason: 'label "q" is not an integer' },
        { line: 5, imageId: '4.jpg', reason: 'image file is missing' },
      ],
    });
  });

  it('exits with a clear message for a missing file', async () => {
    const db = await createTestDatabase(kind);
    dbs.push(db);
    // With no TAGFUSION_DATA_ROOTS the CLI, working in-process, may read the temporary folder.
    const { TAGFUSION_DATA_ROOTS: _roots, ...defaults } = db.env;
    const missing = join(tmpdir(), `tagfusion-missing-${process.pid}.csv`);
    const err = await cli(['import', missing, '--name', 'x'], defaults).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toBe(`tagfusion: CSV file ${missing} does not exist or cannot be read.\n`);
    const outside = await cli(['import', '/nonexistent.csv', '--name', 'x'], db.env).catch((e) => e);
    expect(outside.stderr).toBe('tagfusion: CSV file /nonexistent.csv is outside the folders this server may read (its data roots: see TAGFUSION_DATA_ROOTS).\n');
  });

  it('exits with a clear message for an invalid configuration', async () => {
    const err = await cli(['import', '/x.csv', '--name', 'x'], { PORT: 'abc' }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/Invalid configuration:\n {2}PORT: PORT must be a number/);
  });
});
