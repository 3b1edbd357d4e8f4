import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { freePort, SCHED_IDLE, startServerProcess, threadsOf } from './support/process.js';
import { labelledDataset } from './support/fixtures.js';
import { schedIdleAvailable } from '../src/workers/cpu-priority.js';

// Each test starts server or CLI processes (each opens its database): slow on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

describe('tagfusion serve', () => {
  let db: TestDatabase;
  let other: TestDatabase | undefined;
  afterAll(async () => {
    await db?.drop();
    await other?.drop();
  });

  it('answers health on the embedded database and shuts down cleanly on SIGTERM', async () => {
    db = await createTestDatabase('pglite');
    const server = await startServerProcess(db.env, await freePort());
    expect(await server.gql('{ health { status database } }')).toEqual({ health: { status: 'ok', database: 'pglite' } });
    expect(existsSync(join(db.config.dataDir, 'tagfusion.pid'))).toBe(true);
    await server.kill('SIGTERM');
    expect(server.child.exitCode).toBe(0);
    expect(existsSync(join(db.config.dataDir, 'tagfusion.pid'))).toBe(false); // the folder is released
    expect(server.output()).toMatch(/shutting down/);
  });

  // The API thread answers while training runs in the same process: job threads take leftover CPU only.
  it.skipIf(process.platform !== 'linux' || !schedIdleAvailable())('runs its job threads at SCHED_IDLE and its API thread at normal priority', async () => {
    other = await createTestDatabase('pglite', { TAGFUSION_JOB_CPU_PRIORITY: '' }); // '' is unset: serve's default
    const server = await startServerProcess(other.env, await freePort());
    try {
      const fx = await labelledDataset(3);
      const { importDataset } = await server.gql(`mutation($i: ImportDatasetInput!) { importDataset(input: $i) { id } }`, { i: { name: 'p', csvPath: fx.csvPath, imagesDir: fx.imagesDir } });
      for (let status = ''; status !== 'SUCCEEDED'; await new Promise((r) => setTimeout(r, 100))) {
        ({ status } = (await server.gql(`query($id: ID!) { job(id: $id) { status } }`, { id: importDataset.id })).job);
        expect(['QUEUED', 'RUNNING', 'SUCCEEDED']).toContain(status);
      }
      const threads = threadsOf(server.child.pid!);
      expect(threads.filter((t) => t.policy === SCHED_IDLE).length).toBeGreaterThan(0); // the pool's thread, idle for 30 s before it ends
      expect(threads.find((t) => t.tid === server.child.pid)).toMatchObject({ policy: 0, nice: 0 });
      expect(server.output()).toMatch(/"jobCpuPriority":"idle"/);
    } finally {
      await server.kill('SIGTERM');
    }
  });
});
