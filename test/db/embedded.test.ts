import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { buildRun } from '../support/runs.js';

describe('embedded database folder', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-embedded-'));
  const config = loadConfig({ TAGFUSION_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps its data across restarts', async () => {
    const first = await startApp(config, { workJobs: false });
    const run = await buildRun(first.services, { name: 'kept', valF1: [0.5] });
    await first.close();
    const second = await startApp(config, { workJobs: false });
    expect((await second.services.runs.get(run.id)).name).toBe('kept');
    await second.close();
  });

  it('respects an older tagfusion’s pid file: refused while its process lives, taken over once it is dead', async () => {
    writeFileSync(join(dataDir, 'tagfusion.pid'), String(process.ppid)); // a live process
    await expect(openDatabase({ dataDir })).rejects.toMatchObject({ code: 'DATA_DIR_IN_USE' });
    writeFileSync(join(dataDir, 'tagfusion.pid'), '999999999'); // no such process
    const db = await openDatabase({ dataDir });
    await db.close();
  });
});
