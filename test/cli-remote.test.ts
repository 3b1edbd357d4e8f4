import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../src/paths.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { labelledDataset } from './support/fixtures.js';
import { freePort, startServerProcess, type ServerProcess } from './support/process.js';

// Server and CLI processes each open the app: slow on a busy machine.
vi.setConfig({ testTimeout: 400_000, hookTimeout: 120_000 });
const run = promisify(execFile);

/**
 * The CLI beside a running server (issue 14, item 3): the server holds the embedded database,
 * and a CLI on the same data folder goes through the server's API instead of failing on the
 * lock, printing what it prints in-process.
 */
describe('the CLI beside a running server', () => {
  let db: TestDatabase;
  let server: ServerProcess | undefined;
  let csvPath: string;
  const cli = (args: string[], env: Record<string, string> = {}) => run(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), ...args], { env: { ...process.env, ...db.env, ...env } });
  beforeAll(async () => {
    ({ csvPath } = await labelledDataset(12));
    // the server may read the fixture's folder (its data roots), as the in-process CLI may
    db = await createTestDatabase('pglite', { TAGFUSION_DATA_ROOTS: dirname(csvPath) });
  });
  afterAll(async () => {
    await server?.kill('SIGTERM');
    await db?.drop();
  });

  it('works through the server, then in-process once it stops, with the same output', async () => {
    server = await startServerProcess(db.env, await freePort(), 120_000);
    const advert = join(db.config.dataDir, 'tagfusion.url');
    expect(JSON.parse(readFileSync(advert, 'utf8'))).toEqual({ url: server.url, pid: server.child.pid });

    const imported = JSON.parse((await cli(['import', csvPath, '--name', 'beside', '--json'])).stdout);
    expect(imported).toMatchObject({ name: 'beside', version: 1, reused: false, sampleCount: 12 });
    const extracted = JSON.parse((await cli(['extract', '-d', 'beside', '-e', 'tfidf', '--json'])).stdout);
    expect(extracted.status).toBe('SUCCEEDED');
    const trained = JSON.parse((await cli(['train', '-d', 'beside@1', '--head', 'text', '--epochs', '1', '--name', 'beside-run', '--json'])).stdout);
    expect(trained).toMatchObject({ status: 'SUCCEEDED', bestEpoch: expect.any(Number) });
    // the server did the work: its job list holds the three jobs
    const { jobs } = await server.gql(`{ jobs { kind status } }`);
    expect(jobs).toHaveLength(3);
    // the run by its name; the listings below then show a registered model with a version
    const registered = JSON.parse((await cli(['register', '--run', 'beside-run', '--model', 'beside-model', '--json'])).stdout);
    expect(registered).toMatchObject({ model: 'beside-model', version: 1, created: true, runId: trained.runId });
    const listings = [['models', '--json'], ['datasets', '--json'], ['runs', '--dataset', 'beside', '--json'], ['datasets']];
    const remote = [];
    for (const args of listings) remote.push((await cli(args)).stdout);
    expect(JSON.parse(remote[2])).toMatchObject([{ id: trained.runId, name: 'beside-run', status: 'SUCCEEDED', datasetId: imported.datasetId, project: 'Default' }]);

    await server.kill('SIGTERM');
    expect(existsSync(advert)).toBe(false); // removed at shutdown
    // In-process now: the same bytes for each listing, and the same import summary.
    for (const [i, args] of listings.entries()) expect((await cli(args)).stdout, args.join(' ')).toBe(remote[i]);
    const again = JSON.parse((await cli(['import', csvPath, '--name', 'beside', '--json'])).stdout);
    expect(again).toEqual({ ...imported, reused: true });
    const registeredAgain = JSON.parse((await cli(['register', '--run', 'beside-run', '--model', 'beside-model', '--json'])).stdout);
    expect(registeredAgain).toEqual({ ...registered, created: false });
  });

  it('sweeps, compares, promotes, lists tokens and exports through the server, with the in-process output; gc refuses', async () => {
    server = await startServerProcess(db.env, await freePort(), 120_000);
    const sweep = JSON.parse((await cli(['sweep', '-d', 'beside', '--head', 'text', '--epochs', '1', '-p', 'learningRate=0.05,0.01', '--json'])).stdout);
    expect(sweep).toMatchObject({ kind: 'sweep', status: 'SUCCEEDED', children: [{ status: 'SUCCEEDED' }, { status: 'SUCCEEDED' }] });
    const trials: string[] = sweep.children.map((c: { runId: string }) => c.runId);
    for (const id of trials) expect(sweep.table).toContain(`| ${id.slice(0, 8)} |`); // the table names each trial by its id start

    const promote = ['promote', '--model', 'beside-model', '--version', '1', '--alias', 'champion', '--expect', '0', '--json'];
    expect(JSON.parse((await cli(promote)).stdout)).toEqual({ model: 'beside-model', alias: 'champion', version: 1, previousVersion: null, changed: true, protected: false });
    const missing = await cli(['promote', '--model', 'beside-model', '--version', '2', '--alias', 'champion']).catch((e) => e);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('tagfusion: Model beside-model has no version 2.\n');
    expect(JSON.parse((await cli(['token', 'create', '--name', 'reader', '--role', 'viewer', '--json'])).stdout)).toMatchObject({ name: 'reader', role: 'viewer', secret: expect.stringMatching(/^tf_/) });

    const exported = await cli(['export', 'runs', '--format', 'jsonl', '--out', join(db.config.dataDir, 'runs.jsonl')]);
    const runLines = readFileSync(join(db.config.dataDir, 'runs.jsonl'), 'utf8').trimEnd().split('\n');
    expect(runLines).toHaveLength(4); // the trained run, the sweep and its two trials
    expect(exported.stderr).toContain(`exported 4 runs to`);
    const gc = await cli(['gc', '--dry-run']).catch((e) => e);
    expect(gc.code).toBe(2);
    expect(gc.stderr).toBe(`tagfusion: gc removes files that the running server at ${server.url.replace(/\/graphql$/, '')} may read: stop the server, then run gc again.\n`);

    const listings = [promote.slice(0, -3), ['compare', '--runs', ...trials], ['compare', '--runs', ...trials, '--json'], ['token', 'list'], ['token', 'list', '--json'], ['export', 'runs'], ['export', 'metrics', '--format', 'jsonl', '--run', trials[0]]];
    const remote = [];
    for (const args of listings) remote.push((await cli(args)).stdout);
    expect(remote[0]).toBe('beside-model@champion already points at version 1\n');
    expect(remote[1]).toContain('| run |');
    expect(remote[6].trimEnd().split('\n').length).toBeGreaterThan(1);
    await server.kill('SIGTERM');
    for (const [i, args] of listings.entries()) expect((await cli(args)).stdout, args.join(' ')).toBe(remote[i]);
  });

  it('sends TAGFUSION_TOKEN when the server needs tokens, over HTTP and graphql-ws', async () => {
    const secured = await createTestDatabase('pglite', { TAGFUSION_AUTH: 'required', TAGFUSION_DATA_ROOTS: dirname(csvPath) });
    const as = (env: Record<string, string>) => (args: string[]) => run(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), ...args], { env: { ...process.env, ...secured.env, ...env } });
    const { secret } = JSON.parse((await as({})(['token', 'create', '--name', 'cli', '--role', 'editor', '--json'])).stdout);
    const guarded = await startServerProcess(secured.env, await freePort(), 120_000);
    try {
      const refused = await as({})(['datasets', '--json']).catch((e) => e);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^tagfusion: .*API token/);
      const withToken = as({ TAGFUSION_TOKEN: secret });
      // the import's progress comes over graphql-ws, which takes the token as a connection parameter
      expect(JSON.parse((await withToken(['import', csvPath, '--name', 'guarded', '--json'])).stdout)).toMatchObject({ name: 'guarded', sampleCount: 12 });
      expect(JSON.parse((await withToken(['datasets', '--json'])).stdout).map((d: { name: string }) => d.name)).toEqual(['guarded']);
    } finally {
      await guarded.kill('SIGTERM');
      await secured.drop();
    }
  });

  it('ignores an advert left by a dead server, and says so when TAGFUSION_URL does not answer', async () => {
    const advert = join(db.config.dataDir, 'tagfusion.url');
    writeFileSync(advert, JSON.stringify({ url: `http://127.0.0.1:${await freePort()}/graphql`, pid: 2 ** 30 }));
    expect(JSON.parse((await cli(['models', '--json'])).stdout).map((m: { name: string }) => m.name)).toEqual(['beside-model']);
    const port = await freePort();
    const err = await cli(['datasets'], { TAGFUSION_URL: `http://127.0.0.1:${port}` }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toBe(`tagfusion: The tagfusion server at http://127.0.0.1:${port}/graphql does not answer; is it still running?\n`);
  });
});
