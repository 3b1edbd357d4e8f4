import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../src/paths.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
const run = promisify(execFile);

/**
 * A command that prints data starts on a fresh data folder, where the start applies every
 * migration and logs it: those lines go to stderr, so `--json | jq` works on the first call.
 */
describe('data commands on a fresh data folder', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('pglite');
  });
  afterAll(async () => db?.drop());

  it('print pure JSON on stdout and their logs on stderr', async () => {
    const { stdout, stderr } = await run(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), 'models', '--json'], { env: { ...process.env, ...db.env, LOG_LEVEL: 'info' } });
    expect(JSON.parse(stdout)).toEqual([]);
    expect(stderr).toMatch(/applied database migrations/);
  });
});
