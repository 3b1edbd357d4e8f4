import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp } from '../../src/app.js';
import { projectRoot } from '../../src/paths.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { multimodalDataset } from './support.js';

// Each test starts server or CLI processes (each opens its database): slow on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const run = promisify(execFile);

// The CLI path is the same on both databases (the services are); the embedded one suffices.
describe('tagfusion sweep and compare', () => {
  let db: TestDatabase;
  let datasetId: string;
  const cli = (args: string[]) => run(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), ...args], { env: { ...process.env, ...db.env } });
  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    const fx = await multimodalDataset(80);
    datasetId = JSON.parse((await cli(['import', fx.csvPath, '--name', 'cli-experiments', '--val-fraction', '0.25', '--json'])).stdout).datasetId;
  });
  afterAll(async () => db?.drop());

  it('runs a sweep and prints its table; compares its runs side by side', async () => {
    // The dataset by name (its latest version) works where its id does.
    const { stdout } = await cli(['sweep', '-d', 'cli-experiments', '--head', 'text', '--epochs', '2', '-p', 'learningRate=0.05,0.01', '-p', 'optimizer=adam,adamw', '--csv']);
    const [status, , ...table] = stdout.trim().split('\n');
    expect(status).toMatch(/^sweep \S+ {2}SUCCEEDED$/);
    expect(table[0].trim()).toBe('Trial,learningRate,optimizer,val microF1,Val loss,Epochs,Time (s),Status,Run');
    expect(table.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['t0,0.05,adam', 't1,0.05,adamw', 't2,0.01,adam', 't3,0.01,adamw']);
    // Each trial's run, as printed, is accepted back wherever a run id is (here: compare).
    const printed = table.slice(1).map((l) => l.trim().split(',').at(-1)!);
    expect(printed.every((id) => /^[0-9a-f]{8}$/.test(id))).toBe(true);
    const byPrinted = JSON.parse((await cli(['compare', '--runs', ...printed.slice(0, 2), '--json'])).stdout);
    expect(byPrinted.runs.map((id: string) => id.slice(0, 8))).toEqual(printed.slice(0, 2));

    const json = JSON.parse((await cli(['sweep', '-d', datasetId, '--head', 'text', '--epochs', '1', '-p', 'batchSize=16,32', '--json'])).stdout);
    expect(json).toMatchObject({ kind: 'sweep', status: 'SUCCEEDED', summary: { plannedTrials: 2, trials: 2, succeeded: 2 } });
    expect(json.table).toContain('| t1 | 32 |');

    const ids = json.children.map((c: any) => c.runId);
    expect(ids).toHaveLength(2);
    const compared = JSON.parse((await cli(['compare', '--runs', ...ids, '--json'])).stdout);
    expect(compared.runs).toEqual(ids);
    // only what differs: the swept value and the trial key
    expect(compared.params).toEqual([
      { key: 'batchSize', values: ['16', '32'], differs: true },
      { key: 'trial', values: ['t0', 't1'], differs: true },
    ]);
    expect(compared.metrics.find((m: any) => m.name === 'microF1' && m.split === 'val').values.every((v: number) => v > 0)).toBe(true);
    const text = (await cli(['compare', '--runs', ...ids])).stdout;
    expect(text).toMatch(/^\| run \| batchSize=16 \| batchSize=32 \|\n/);
    expect(text).toMatch(/\n\| batchSize \| 16 \| 32 \|\n/);
  });

  it('puts train and sweep runs into --project (a name or an id); an unknown or deleted project is refused', async () => {
    const app = await startApp(db.config, { workJobs: false });
    const project = await app.services.projects.create({ name: 'cli-study' });
    const gone = await app.services.projects.create({ name: 'cli-gone' });
    await app.services.projects.delete(gone.id);
    await app.close();

    const trained = JSON.parse((await cli(['train', '-d', datasetId, '--head', 'text', '--epochs', '1', '--project', 'cli-study', '--json'])).stdout);
    expect(trained.status).toBe('SUCCEEDED');
    const swept = JSON.parse((await cli(['sweep', '-d', datasetId, '--head', 'text', '--epochs', '1', '-p', 'learningRate=0.05,0.01', '--project', String(project.id), '--json'])).stdout);
    expect(swept.status).toBe('SUCCEEDED');
    const rows = (await cli(['export', 'runs', '--format', 'jsonl', '--project', 'cli-study'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const expected = [trained.runId, swept.runId, ...swept.children.map((c: any) => c.runId)];
    expect(rows.map((r) => r.id).sort()).toEqual(expected.sort());
    expect(rows.every((r) => r.projectId === project.id)).toBe(true);

    const refusals: [string[], string][] = [
      [['train', '-d', datasetId, '--head', 'text', '--project', 'nope'], 'Project nope does not exist.'],
      // ablate shares its flags with sweep and pseudo-label; compare defines its own
      [['ablate', '-d', datasetId, '--project', 'cli-gone'], 'Project cli-gone is deleted; restore it first.'],
      [['compare', '-d', datasetId, '--encoders', 'tfidf', '--head', 'text', '--project', '999'], 'Project 999 does not exist.'],
    ];
    for (const [args, message] of refusals) {
      const err = await cli(args).catch((e) => e);
      expect(err.code, args[0]).toBe(2);
      expect(err.stderr, args[0]).toBe(`tagfusion: ${message}\n`);
    }
  });

  it('refuses a malformed --param with a clear message', async () => {
    const err = await cli(['sweep', '-d', datasetId, '-p', 'learningRate']).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toBe('tagfusion: --param learningRate: write name=v1,v2 or name=min:max[:log]\n');
    const both = await cli(['compare']).catch((e) => e);
    expect(both.stderr).toMatch(/give --dataset and --encoders \(compare encoders\), or --runs \(compare runs\)/);
  });
});
