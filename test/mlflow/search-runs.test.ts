import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runsJson } from '../../src/mlflow/convert.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dashed, editorAndViewer, mlflowError, ok, type MlflowClient } from './tracking-client.js';

interface Seed {
  name: string;
  start: number;
  acc?: number[];
  lr?: string;
  team?: string;
  status?: 'FINISHED' | 'FAILED';
}

/** Five runs in one experiment and one in another; acc lists each step's value (the last counts). */
const SEEDS: Seed[] = [
  { name: 'alpha', start: 1_000, acc: [0.2, 0.9], lr: '0.01', team: 'vision', status: 'FINISHED' },
  { name: 'beta', start: 2_000, acc: [0.95, 0.4], lr: '0.1', team: 'text' },
  { name: 'gamma', start: 3_000, acc: [0.7], lr: '0.001', team: 'vision', status: 'FAILED' },
  { name: 'Delta', start: 4_000, lr: '0.01' },
  { name: 'epsilon', start: 5_000, acc: [0.6] },
];

describe.each(DB_KINDS)('MLflow runs/search on %s', (kind) => {
  let server: TestServer;
  let editor: MlflowClient;
  let viewer: MlflowClient;
  let experimentId: string;
  let otherId: string;
  const ids = new Map<string, string>();
  const search = async (body: Record<string, unknown>) => ok(await viewer.post('/runs/search', { experiment_ids: [experimentId], ...body }));
  const names = (r: { runs?: { info: { run_name: string } }[] }) => (r.runs ?? []).map((x) => x.info.run_name);

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    ({ editor, viewer } = await editorAndViewer(server));
    experimentId = ok(await editor.post('/experiments/create', { name: 'search' })).experiment_id;
    otherId = ok(await editor.post('/experiments/create', { name: 'other' })).experiment_id;
    for (const s of SEEDS) {
      const runId = ok(await editor.post('/runs/create', { experiment_id: experimentId, run_name: s.name, start_time: s.start })).run.info.run_id;
      ids.set(s.name, runId);
      ok(
        await editor.post('/runs/log-batch', {
          run_id: runId,
          metrics: (s.acc ?? []).map((value, step) => ({ key: 'acc', value, timestamp: s.start + step, step })),
          params: s.lr ? [{ key: 'lr', value: s.lr }] : [],
          tags: s.team ? [{ key: 'team', value: s.team }] : [],
        }),
      );
      if (s.status) ok(await editor.post('/runs/update', { run_id: runId, status: s.status, end_time: s.start + 500 }));
    }
    ok(await editor.post('/runs/create', { experiment_id: otherId, run_name: 'elsewhere', start_time: 6_000 }));
  });
  afterAll(async () => server?.close());

  it('refuses bad searches with INVALID_PARAMETER_VALUE, and finds nothing in unknown experiments', async () => {
    for (const bad of [{ max_results: 50_001 }, { max_results: 0 }, { page_token: 'bm9wZQ==' }, { filter: 'metrics.acc >' }, { order_by: ['metrics.acc SIDEWAYS'] }, { run_view_type: 'SOME' }]) {
      expect(mlflowError(await viewer.post('/runs/search', { experiment_ids: [experimentId], ...bad }))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    }
    expect(ok(await viewer.post('/runs/search', { experiment_ids: ['9999', 'x'] }))).toEqual({});
    expect(ok(await viewer.post('/runs/search', {}))).toEqual({});
  });

  it("answers MLflow's default order (latest start first) and searches several experiments", async () => {
    expect(names(await search({}))).toEqual(['epsilon', 'Delta', 'gamma', 'beta', 'alpha']);
    expect(names(await search({ experiment_ids: [experimentId, otherId], max_results: 2 }))).toEqual(['elsewhere', 'epsilon']);
    const alpha = (await search({ filter: "run_name = 'alpha'" })).runs[0];
    expect(alpha.data).toMatchObject({ metrics: [{ key: 'acc', value: 0.9, timestamp: 1_001, step: 1 }], params: [{ key: 'lr', value: '0.01' }] });
    expect(alpha.info).toMatchObject({ status: 'FINISHED', start_time: 1_000, end_time: 1_500 });
  });

  it('filters metrics by their latest value, params and tags by text, attributes by column', async () => {
    const cases: [string, string[]][] = [
      ['metrics.acc > 0.5', ['epsilon', 'gamma', 'alpha']],
      ['metrics.acc > 0.5 AND params.lr = \'0.01\'', ['alpha']],
      ['metrics.acc != 0.6', ['gamma', 'beta', 'alpha']],
      ["params.lr LIKE '0.0%'", ['Delta', 'gamma', 'alpha']],
      ["params.lr != '0.01'", ['gamma', 'beta']],
      ["tags.team = 'vision'", ['gamma', 'alpha']],
      ["tags.team ILIKE 'TE%'", ['beta']],
      ["tags.mlflow.runName = 'beta'", ['beta']],
      ["attributes.run_name ILIKE 'd%'", ['Delta']],
      ["attributes.run_name LIKE 'd%'", []],
      ["attributes.status = 'FINISHED'", ['alpha']],
      ["status != 'RUNNING'", ['gamma', 'alpha']],
      ["attributes.status LIKE 'FAIL%'", ['gamma']],
      ['attributes.start_time >= 3000', ['epsilon', 'Delta', 'gamma']],
      ['created < 2000', ['alpha']],
      ['attributes.end_time <= 1500', ['alpha']],
      ["attributes.user_id = 'editor' AND metrics.acc < 0.5", ['beta']],
    ];
    for (const [filter, expected] of cases) expect([filter, names(await search({ filter }))]).toEqual([filter, expected]);
    const two = [ids.get('beta')!, ids.get('Delta')!.toUpperCase()];
    expect(names(await search({ filter: `attributes.run_id IN ('${two[0]}', '${two[1]}')` }))).toEqual(['Delta', 'beta']);
    expect(names(await search({ filter: `run_id NOT IN ('${two[0]}') AND run_id != '${ids.get('alpha')}'` }))).toEqual(['epsilon', 'Delta', 'gamma']);
    expect(names(await search({ filter: `attributes.run_id LIKE '${ids.get('gamma')!.slice(0, 10)}%'` }))).toEqual(['gamma']);
  });

  it('orders by metrics, params, tags and attributes, missing values last, ties by start time', async () => {
    expect(names(await search({ order_by: ['metrics.acc DESC'] }))).toEqual(['alpha', 'gamma', 'epsilon', 'beta', 'Delta']);
    expect(names(await search({ order_by: ['metrics.acc'] }))).toEqual(['beta', 'epsilon', 'gamma', 'alpha', 'Delta']);
    expect(names(await search({ order_by: ['params.lr ASC', 'attributes.start_time ASC'] }))).toEqual(['gamma', 'alpha', 'Delta', 'beta', 'epsilon']);
    expect(names(await search({ order_by: ['tags.team DESC'] }))).toEqual(['gamma', 'alpha', 'beta', 'epsilon', 'Delta']);
    expect(names(await search({ order_by: ['attributes.start_time ASC'] }))).toEqual(['alpha', 'beta', 'gamma', 'Delta', 'epsilon']);
  });

  it('pages with tokens, and sees deleted runs only when asked', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await search({ max_results: 2, order_by: ['attributes.start_time ASC'], ...(token ? { page_token: token } : {}) });
      seen.push(...names(page));
      token = page.next_page_token;
    } while (token);
    expect(seen).toEqual(['alpha', 'beta', 'gamma', 'Delta', 'epsilon']);

    ok(await editor.post('/runs/delete', { run_id: ids.get('beta') }));
    expect(names(await search({}))).not.toContain('beta');
    expect(names(await search({ run_view_type: 'DELETED_ONLY' }))).toEqual(['beta']);
    expect(names(await search({ run_view_type: 'ALL', filter: 'metrics.acc < 0.5' }))).toEqual(['beta']);
    ok(await editor.post('/runs/restore', { run_id: ids.get('beta') }));
  });

  it('answers pages longer than one query may list ids for (MLflow allows 50,000 runs a page)', async () => {
    const alpha = await server.app.services.runs.get(dashed(ids.get('alpha')!));
    const many = [alpha, ...Array.from({ length: 40_000 }, () => ({ ...alpha, id: randomUUID() }))];
    const json = await runsJson(server.app, many);
    expect(json).toHaveLength(many.length);
    expect(json[0].data).toMatchObject({ params: [{ key: 'lr', value: '0.01' }] });
  });
});
