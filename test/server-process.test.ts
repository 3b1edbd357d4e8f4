import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { freePort, startServerProcess } from './support/process.js';

// Each test starts server or CLI processes (each opens its database): slow on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

describe('tagfusion serve', () => {
  let db: TestDatabase;
  afterAll(async () => db?.drop());

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
});
