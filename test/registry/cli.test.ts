import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp } from '../../src/app.js';
import { projectRoot } from '../../src/paths.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { finishedRun } from './fixtures.js';

// Each test starts server or CLI processes (each opens its database): slow on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const run = promisify(execFile);

describe.each(DB_KINDS)('tagfusion register, promote and models on %s', (kind) => {
  let db: TestDatabase;
  const runs: { runId: string; checksum: string }[] = [];
  const cli = (args: string[]) => run(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), ...args], { env: { ...process.env, ...db.env } });

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    // The embedded database belongs to one process: the fixtures are written, then it is closed for the CLI.
    const app = await startApp(db.config, { workJobs: false });
    try {
      for (const macroF1 of [0.7, 0.8]) runs.push(await finishedRun(app, { macroF1 }));
      runs.push(await finishedRun(app, { macroF1: 0.75, textEncoder: 'glove-100d' }));
    } finally {
      await app.close();
    }
  });
  afterAll(async () => db?.drop());

  it('registers runs as versions 1 and 2 and prints the documented JSON', async () => {
    const first = JSON.parse((await cli(['register', '--run', runs[0].runId, '--model', 'cli-model', '--description', 'from the CLI', '--json'])).stdout);
    expect(first).toMatchObject({ model: 'cli-model', version: 1, created: true, runId: runs[0].runId, artifactChecksum: runs[0].checksum, metrics: { val: { macroF1: 0.7 } } });
    const { stdout } = await cli(['register', '--run', runs[1].runId, '--model', 'cli-model', '--description', 'second try']);
    expect(stdout).toMatch(/^registered cli-model version 2 from run \S+ {2}\(val macro-F1 0\.8000, sha256 [0-9a-f]{12}…\)\n$/);
  });

  it('promotes, refuses an alias move that lost a race, and lists models', async () => {
    expect(JSON.parse((await cli(['promote', '--model', 'cli-model', '--version', '2', '--alias', 'champion', '--json'])).stdout)).toEqual({
      model: 'cli-model',
      alias: 'champion',
      version: 2,
      previousVersion: null,
      changed: true,
      protected: false,
    });
    expect((await cli(['promote', '--model', 'cli-model', '--version', '1', '--alias', 'champion'])).stdout).toBe('cli-model@champion → version 1 (was version 2)\n');
    const stale = await cli(['promote', '--model', 'cli-model', '--version', '2', '--alias', 'champion', '--expect', '2']).catch((e) => e);
    expect(stale.code).toBe(2);
    // Sequential calls: the alias simply is elsewhere; nothing moved "concurrently".
    expect(stale.stderr).toBe('tagfusion: Alias champion of model cli-model points at version 1 now, not version 2 as this call expected. Nothing was changed.\n');

    const listed = JSON.parse((await cli(['models', '--json'])).stdout);
    expect(listed).toEqual([
      {
        name: 'cli-model',
        description: 'from the CLI',
        tags: {},
        aliases: [{ alias: 'champion', version: 1, protected: false }],
        versions: [
          // The second --description is version 2's; the model keeps the one it was created with.
          expect.objectContaining({ version: 2, description: 'second try', runId: runs[1].runId, createdBy: expect.stringMatching(/^local/), val: expect.objectContaining({ macroF1: 0.8 }) }),
          expect.objectContaining({ version: 1, description: 'from the CLI', runId: runs[0].runId, val: expect.objectContaining({ macroF1: 0.7 }) }),
        ],
      },
    ]);
    const text = (await cli(['models'])).stdout;
    expect(text).toMatch(/^cli-model \(from the CLI\): 2 versions\n {2}aliases: champion → v1\n {2}v2 {2}run \S+ {2}val macro-F1 0\.8000/);
  });

  it('moves an alias to a version with another input signature only with --allow-signature-change', async () => {
    expect(JSON.parse((await cli(['register', '--run', runs[2].runId, '--model', 'cli-model', '--json'])).stdout).version).toBe(3);
    const refused = await cli(['promote', '--model', 'cli-model', '--version', '3', '--alias', 'champion']).catch((e) => e);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^tagfusion: Moving alias champion of model cli-model from version 1 to version 3 changes what it eats or returns: version 1 eats text features of tfidf .*--allow-signature-change \(tagfusion promote\)/);
    const moved = JSON.parse((await cli(['promote', '--model', 'cli-model', '--version', '3', '--alias', 'champion', '--allow-signature-change', '--json'])).stdout);
    expect(moved).toMatchObject({ version: 3, previousVersion: 1, changed: true });
  });
});
