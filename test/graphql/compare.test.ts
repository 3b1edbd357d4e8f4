import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const COMPARE = `query($ids: [ID!]!, $summary: SummaryMode, $metric: MetricRef, $split: String) {
  compareRuns(ids: $ids, summary: $summary, metric: $metric) {
    runs { name } selectedBy { name split aggregate } epochs
    params { key values differs } metrics { name split values }
    classIds(split: $split) classF1(split: $split)
  }
}`;
const CURVES = `query($ids: [ID!]!, $names: [String!], $split: String) {
  compareRuns(ids: $ids) { curves(names: $names, split: $split) { runId name split epochs values } }
}`;
const LEADERBOARD = `query($datasetId: ID!, $metric: MetricRef!, $filter: RunFilter, $first: Int) {
  leaderboard(datasetId: $datasetId, metric: $metric, filter: $filter, first: $first) { rank value epoch run { name } }
}`;

/** One epoch as a trainer logs it: val F1 and loss, train F1, and val F1 per class. */
interface Epoch {
  f1: number;
  loss: number;
  classF1?: Record<number, number>;
}

describe.each(DB_KINDS)('compareRuns and leaderboard on %s', (kind) => {
  let server: TestServer;
  const id: Record<string, string> = {};
  let datasetA: string;
  let datasetB: string;
  const board = async (variables: Record<string, unknown>) =>
    (await server.data(LEADERBOARD, { datasetId: datasetA, ...variables })).leaderboard.map((e: any) => [e.rank, e.run.name, e.value, e.epoch]);

  async function run(name: string, datasetId: string, params: Record<string, unknown>, epochs: Epoch[]) {
    const created = await server.data(`mutation($input: CreateRunInput!) { createRun(input: $input) { id } }`, { input: { kind: 'train', name, datasetId, params } });
    id[name] = created.createRun.id;
    for (const [epoch, e] of epochs.entries()) {
      const metrics = [
        { name: 'microF1', split: 'val', value: e.f1 },
        { name: 'loss', split: 'val', value: e.loss },
        { name: 'microF1', split: 'train', value: e.f1 / 2 },
      ];
      const classMetrics = Object.entries(e.classF1 ?? {}).map(([classId, f1]) => ({ split: 'val', classId: Number(classId), precision: f1, recall: f1, f1, accuracy: f1, support: 5 }));
      await server.data(`mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }`, { input: { runId: id[name], epoch, metrics, classMetrics } });
    }
  }

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false });
    const dataset = (name: string) =>
      server.app.db.prisma.dataset.create({
        data: { name, version: 1, checksum: name, labelled: true, hasImages: false, csvPath: `${name}.csv`, sampleCount: 10, splitSeed: 1, valFraction: 0.2 },
      });
    datasetA = (await dataset('a')).id;
    datasetB = (await dataset('b')).id;
    // r1: F1 peaks at epoch 1, loss keeps falling to epoch 2. r3 ties r1's best F1 later.
    await run('r1', datasetA, { lr: 0.001, batchSize: 32, optimizer: 'adam' }, [
      { f1: 0.5, loss: 0.6, classF1: { 1: 0.4, 2: 0.6 } },
      { f1: 0.8, loss: 0.35, classF1: { 1: 0.7, 2: 0.9 } },
      { f1: 0.7, loss: 0.2, classF1: { 1: 0.65, 2: 0.75 } },
    ]);
    await run('r2', datasetA, { lr: 0.0005, batchSize: 32, optimizer: 'adamw', head: 'fcnn' }, [
      { f1: 0.9, loss: 0.25, classF1: { 1: 0.85, 2: 0.95, 3: 0.5 } },
      { f1: 0.85, loss: 0.3, classF1: { 1: 0.8, 2: 0.9, 3: 0.45 } },
    ]);
    await run('r3', datasetA, { lr: 0.001, batchSize: 32, optimizer: 'adam' }, [{ f1: 0.8, loss: 0.5 }]);
    await run('r4', datasetB, { lr: 0.001 }, [{ f1: 0.95, loss: 0.1 }]);
    await run('r5', datasetA, { lr: 0.001 }, []); // queued: no metrics yet
  });
  afterAll(async () => server?.close());

  it('rejects empty, oversized and unknown id lists with the field or id named', async () => {
    const empty = await server.gql(COMPARE, { ids: [] });
    expect(empty.errors?.[0].extensions).toMatchObject({ code: 'BAD_INPUT', field: 'ids' });
    const tooMany = await server.gql(CURVES, { ids: Array.from({ length: 201 }, () => id.r1) });
    expect(tooMany.errors?.[0].extensions).toMatchObject({ code: 'BAD_INPUT', field: 'ids' });
    expect(tooMany.errors?.[0].message).toMatch(/1 to 200 run ids, got 201/);
    const unknown = await server.gql(COMPARE, { ids: [id.r1, 'no-such-run'] });
    expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'RUN_NOT_FOUND', id: 'no-such-run' });
    const noName = await server.gql(COMPARE, { ids: [id.r1], metric: { name: '' } });
    expect(noName.errors?.[0].extensions).toMatchObject({ code: 'BAD_INPUT', field: 'metric.name' });
  });

  it('aligns params with the runs in the order asked, null where a run lacks a key', async () => {
    const c = (await server.data(COMPARE, { ids: [id.r2, id.r1, id.r3] })).compareRuns;
    expect(c.runs.map((r: any) => r.name)).toEqual(['r2', 'r1', 'r3']);
    expect(c.params).toEqual([
      { key: 'batchSize', values: ['32', '32', '32'], differs: false },
      { key: 'head', values: ['fcnn', null, null], differs: true },
      { key: 'lr', values: ['0.0005', '0.001', '0.001'], differs: true },
      { key: 'optimizer', values: ['adamw', 'adam', 'adam'], differs: true },
    ]);
    const same = (await server.data(COMPARE, { ids: [id.r1, id.r3] })).compareRuns.params;
    expect(same.every((p: any) => !p.differs)).toBe(true);
  });

  it('compares at the best epoch of val microF1 by default, or at the last', async () => {
    const best = (await server.data(COMPARE, { ids: [id.r1, id.r2, id.r3] })).compareRuns;
    expect(best.selectedBy).toEqual({ name: 'microF1', split: 'val', aggregate: 'MAX' });
    expect(best.epochs).toEqual([1, 0, 0]);
    expect(best.metrics).toEqual([
      { name: 'loss', split: 'val', values: [0.35, 0.25, 0.5] },
      { name: 'microF1', split: 'train', values: [0.4, 0.45, 0.4] },
      { name: 'microF1', split: 'val', values: [0.8, 0.9, 0.8] },
    ]);
    const last = (await server.data(COMPARE, { ids: [id.r1, id.r2, id.r3], summary: 'LAST' })).compareRuns;
    expect(last.selectedBy.aggregate).toBe('LAST');
    expect(last.epochs).toEqual([2, 1, 0]);
    expect(last.metrics.find((m: any) => m.name === 'microF1' && m.split === 'val').values).toEqual([0.7, 0.85, 0.8]);
  });

  it('gives no F1 (null) for a class with no samples in the split, rather than 0', async () => {
    const { createRun } = await server.data(`mutation($input: CreateRunInput!) { createRun(input: $input) { id } }`, { input: { kind: 'train', name: 'unsupported' } });
    const classMetrics = [
      { split: 'val', classId: 1, precision: 0.6, recall: 0.6, f1: 0.6, accuracy: 0.9, support: 5 },
      { split: 'val', classId: 2, precision: 0, recall: 0, f1: 0, accuracy: 1, support: 0 },
    ];
    await server.data(`mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }`, {
      input: { runId: createRun.id, epoch: 1, metrics: [{ name: 'microF1', split: 'val', value: 0.6 }], classMetrics },
    });
    const c = (await server.data(COMPARE, { ids: [createRun.id] })).compareRuns;
    expect(c.classIds).toEqual([1, 2]);
    expect(c.classF1).toEqual([[0.6, null]]);
  });

  it('minimises losses when choosing the best epoch', async () => {
    const c = (await server.data(COMPARE, { ids: [id.r1, id.r2], metric: { name: 'loss' } })).compareRuns;
    expect(c.selectedBy).toEqual({ name: 'loss', split: 'val', aggregate: 'MIN' });
    expect(c.epochs).toEqual([2, 0]);
    expect(c.metrics.find((m: any) => m.name === 'loss').values).toEqual([0.2, 0.25]);
    const worst = (await server.data(COMPARE, { ids: [id.r1], metric: { name: 'loss', aggregate: 'MAX' } })).compareRuns;
    expect(worst.epochs).toEqual([0]); // an explicit aggregate wins
  });

  it('gives per-class F1 at each run’s chosen epoch, null where a run has no value', async () => {
    const c = (await server.data(COMPARE, { ids: [id.r1, id.r2, id.r5] })).compareRuns;
    expect(c.epochs).toEqual([1, 0, null]);
    expect(c.classIds).toEqual([1, 2, 3]);
    expect(c.classF1).toEqual([
      [0.7, 0.9, null],
      [0.85, 0.95, 0.5],
      [null, null, null],
    ]);
    expect(c.metrics.every((m: any) => m.values[2] === null)).toBe(true);
    const last = (await server.data(COMPARE, { ids: [id.r1, id.r2], summary: 'LAST' })).compareRuns;
    expect(last.classF1).toEqual([
      [0.65, 0.75, null],
      [0.8, 0.9, 0.45],
    ]);
    const train = (await server.data(COMPARE, { ids: [id.r1, id.r2], split: 'train' })).compareRuns;
    expect(train.classIds).toEqual([]);
    expect(train.classF1).toEqual([[], []]);
  });

  it('returns every epoch as curves, in run order, narrowed by name and split', async () => {
    const narrowed = (await server.data(CURVES, { ids: [id.r2, id.r1], names: ['microF1'], split: 'val' })).compareRuns.curves;
    expect(narrowed).toEqual([
      { runId: id.r2, name: 'microF1', split: 'val', epochs: [0, 1], values: [0.9, 0.85] },
      { runId: id.r1, name: 'microF1', split: 'val', epochs: [0, 1, 2], values: [0.5, 0.8, 0.7] },
    ]);
    const all = (await server.data(CURVES, { ids: [id.r1, id.r5] })).compareRuns.curves;
    expect(all.map((c: any) => `${c.name}/${c.split}`)).toEqual(['loss/val', 'microF1/train', 'microF1/val']);
    expect(all[0]).toMatchObject({ runId: id.r1, epochs: [0, 1, 2], values: [0.6, 0.35, 0.2] });
  });

  it('ranks a dataset’s runs by a metric, best first, ties to the earlier run', async () => {
    expect(await board({ metric: { name: 'microF1' } })).toEqual([
      [1, 'r2', 0.9, 0],
      [2, 'r1', 0.8, 1],
      [3, 'r3', 0.8, 0],
    ]);
    expect(await board({ metric: { name: 'loss' } })).toEqual([
      [1, 'r1', 0.2, 2],
      [2, 'r2', 0.25, 0],
      [3, 'r3', 0.5, 0],
    ]);
    expect(await board({ metric: { name: 'microF1', aggregate: 'LAST' } })).toEqual([
      [1, 'r2', 0.85, 1],
      [2, 'r3', 0.8, 0],
      [3, 'r1', 0.7, 2],
    ]);
    expect(await board({ metric: { name: 'microF1', split: 'train' }, first: 1 })).toEqual([[1, 'r2', 0.45, 0]]);
    expect(await board({ metric: { name: 'microF1' }, filter: { params: [{ key: 'optimizer', equals: 'adam' }] } })).toEqual([
      [1, 'r1', 0.8, 1],
      [2, 'r3', 0.8, 0],
    ]);
    expect(await board({ datasetId: datasetB, metric: { name: 'microF1' } })).toEqual([[1, 'r4', 0.95, 0]]);
    expect(await board({ metric: { name: 'noSuchMetric' } })).toEqual([]);
  });

  it('rejects a bad leaderboard request', async () => {
    const first = await server.gql(LEADERBOARD, { datasetId: datasetA, metric: { name: 'microF1' }, first: 0 });
    expect(first.errors?.[0].extensions).toMatchObject({ code: 'BAD_INPUT', field: 'first' });
    const unknown = await server.gql(LEADERBOARD, { datasetId: 'nope', metric: { name: 'microF1' } });
    expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });

  it('counts the compared runs in the query cost', async () => {
    const heavy = `query($ids: [ID!]!) { ${Array.from({ length: 14 }, (_, i) => `c${i}: compareRuns(ids: $ids) { runs { name params { key value } } params { key values } metrics { name values } curves { name epochs values } }`).join(' ')} }`;
    expect((await server.gql(heavy, { ids: Array.from({ length: 10 }, () => id.r1) })).errors).toBeUndefined();
    const refused = await server.gql(heavy, { ids: Array.from({ length: 200 }, () => id.r1) });
    expect(refused.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });
});
