import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { buildRun } from '../support/runs.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { subscribe } from '../support/ws.js';

const RUNS = `query($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String) {
  runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { name }
  }
}`;

describe.each(DB_KINDS)('runs on %s', (kind) => {
  let server: TestServer;
  let parentId: string;
  const names = async (variables: Record<string, unknown>) => (await server.data(RUNS, variables)).runs.nodes.map((n: any) => n.name);

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false });
    const s = server.app.services;
    const parent = await buildRun(s, { name: 'sweep', kind: 'sweep' });
    parentId = parent.id;
    await buildRun(s, { name: 'a', parentId, params: { lr: 0.0001, optimizer: 'adam', batch: 32 }, valF1: [0.5, 0.7, 0.6] });
    await buildRun(s, { name: 'b', parentId, params: { lr: 0.0005, optimizer: 'adamw', batch: 48 }, valF1: [0.6, 0.8] });
    await buildRun(s, { name: 'c', parentId, params: { lr: 0.001, optimizer: 'adam', batch: 60 }, valF1: [0.4, 0.45] });
    await buildRun(s, { name: 'd', params: { lr: 0.0002, optimizer: 'adamw', batch: 32 }, valF1: [0.82] });
  });
  afterAll(async () => server?.close());

  it('lists newest first by default, with a total', async () => {
    const { runs } = await server.data(RUNS, {});
    expect(runs.totalCount).toBe(5);
    expect(runs.nodes.map((n: any) => n.name)).toEqual(['d', 'c', 'b', 'a', 'sweep']);
  });

  it('filters by kind, status, parent and top level', async () => {
    expect(await names({ filter: { kind: ['sweep'] } })).toEqual(['sweep']);
    expect(await names({ filter: { parentId, status: ['SUCCEEDED'] } })).toEqual(['c', 'b', 'a']);
    expect(await names({ filter: { topLevel: true } })).toEqual(['d', 'sweep']);
    expect(await names({ filter: { status: ['FAILED'] } })).toEqual([]);
    expect(await names({ filter: { search: 'SWE' } })).toEqual(['sweep']);
  });

  it('filters by param values, numerically for numbers', async () => {
    expect(await names({ filter: { params: [{ key: 'lr', gte: 0.0002, lt: 0.001 }] } })).toEqual(['d', 'b']);
    expect(await names({ filter: { params: [{ key: 'optimizer', equals: 'adam' }] } })).toEqual(['c', 'a']);
    expect(await names({ filter: { params: [{ key: 'batch', in: ['32', '60'] }, { key: 'optimizer', equals: 'adamw' }] } })).toEqual(['d']);
  });

  it('filters by metric thresholds on last, best or worst value', async () => {
    expect(await names({ filter: { metrics: [{ name: 'f1', gte: 0.7 }] } })).toEqual(['d', 'b']); // last val f1
    expect(await names({ filter: { metrics: [{ name: 'f1', aggregate: 'MAX', gte: 0.7 }] } })).toEqual(['d', 'b', 'a']);
    expect(await names({ filter: { metrics: [{ name: 'f1', split: 'train', gt: 0.8 }] } })).toEqual(['d', 'b']);
    expect(await names({ filter: { metrics: [{ name: 'loss', aggregate: 'MIN', lte: 0.31 }] } })).toEqual(['d', 'b', 'a']);
  });

  it('orders by a metric or a param, missing values last', async () => {
    expect(await names({ orderBy: { field: 'METRIC', metric: { name: 'f1', aggregate: 'MAX' }, direction: 'DESC' } })).toEqual(['d', 'b', 'a', 'c', 'sweep']);
    expect(await names({ orderBy: { field: 'PARAM', key: 'lr', direction: 'ASC' } })).toEqual(['a', 'd', 'b', 'c', 'sweep']);
    expect(await names({ orderBy: { field: 'NAME', direction: 'ASC' } })).toEqual(['a', 'b', 'c', 'd', 'sweep']);
  });

  it('pages with cursors', async () => {
    const order = { field: 'NAME', direction: 'ASC' };
    const p1 = (await server.data(RUNS, { orderBy: order, first: 2 })).runs;
    expect(p1.nodes.map((n: any) => n.name)).toEqual(['a', 'b']);
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const p2 = (await server.data(RUNS, { orderBy: order, first: 2, after: p1.pageInfo.endCursor })).runs;
    expect(p2.nodes.map((n: any) => n.name)).toEqual(['c', 'd']);
    const p3 = (await server.data(RUNS, { orderBy: order, first: 2, after: p2.pageInfo.endCursor })).runs;
    expect(p3.nodes.map((n: any) => n.name)).toEqual(['sweep']);
    expect(p3.pageInfo.hasNextPage).toBe(false);
  });

  it('rejects bad arguments with the field named', async () => {
    const bad = [
      [{ first: 0 }, /first must be between 1 and 500/],
      [{ after: 'garbage' }, /after is not a cursor/],
      [{ orderBy: { field: 'PARAM' } }, /orderBy.key is required/],
      [{ orderBy: { field: 'METRIC' } }, /orderBy.metric is required/],
    ] as const;
    for (const [variables, message] of bad) {
      const r = await server.gql(RUNS, variables);
      expect(r.errors?.[0].extensions?.code).toBe('BAD_INPUT');
      expect(r.errors?.[0].message).toMatch(message);
    }
  });

  it('shows a run with params, summaries, epoch and class metrics, and children', async () => {
    const { runs } = await server.data(RUNS, { filter: { search: 'sweep' } });
    expect(runs.nodes).toHaveLength(1);
    const q = `query($id: ID!) { run(id: $id) { name kind status backend durationMs
      children { name params { key value number } summaries { name split last lastEpoch max maxEpoch min minEpoch }
        valF1: summaries(names: ["f1"], split: "val") { name split }
        epochMetrics(name: "f1", split: "val") { epoch value }
        classMetrics(split: "val", epoch: 1) { classId f1 support } parent { name } } } }`;
    const { run } = await server.data(q, { id: parentId });
    expect(run).toMatchObject({ name: 'sweep', kind: 'sweep', status: 'SUCCEEDED', backend: 'test' });
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    const a = run.children.find((c: any) => c.name === 'a');
    expect(a.params).toEqual(
      expect.arrayContaining([
        { key: 'lr', value: '0.0001', number: 0.0001 },
        { key: 'optimizer', value: 'adam', number: null },
      ]),
    );
    expect(a.summaries.find((s: any) => s.name === 'f1' && s.split === 'val')).toEqual({ name: 'f1', split: 'val', last: 0.6, lastEpoch: 2, max: 0.7, maxEpoch: 1, min: 0.5, minEpoch: 0 });
    expect(a.summaries.length).toBeGreaterThan(1);
    expect(a.valF1).toEqual([{ name: 'f1', split: 'val' }]);
    expect(a.epochMetrics).toEqual([{ epoch: 0, value: 0.5 }, { epoch: 1, value: 0.7 }, { epoch: 2, value: 0.6 }]);
    expect(a.classMetrics).toEqual([{ classId: 1, f1: 0.7, support: 10 }, { classId: 2, f1: 0.7, support: 10 }]);
    expect(a.parent).toEqual({ name: 'sweep' });
  });

  it('records metrics through the API idempotently and validates them', async () => {
    const { createRun } = await server.data(
      `mutation { createRun(input: { kind: "external", name: "ext", config: { optimizer: { name: "adamw", weightDecay: 0.01 } }, params: { lr: 0.01 } }) { id status params { key value number } } }`,
    );
    expect(createRun.status).toBe('QUEUED');
    expect(createRun.params).toEqual([
      { key: 'lr', value: '0.01', number: 0.01 },
      { key: 'optimizer.name', value: 'adamw', number: null }, // nested config keys are flattened
      { key: 'optimizer.weightDecay', value: '0.01', number: 0.01 },
    ]);
    const log = `mutation($input: LogMetricsInput!) { logMetrics(input: $input) { summaries { name last } epochMetrics { epoch value } } }`;
    const input = { runId: createRun.id, epoch: 0, metrics: [{ name: 'f1', split: 'val', value: 0.3 }] };
    await server.data(log, { input });
    const again = await server.data(log, { input: { ...input, metrics: [{ name: 'f1', split: 'val', value: 0.9 }] } });
    expect(again.logMetrics.epochMetrics).toEqual([{ epoch: 0, value: 0.3 }]); // the first write of an epoch stands
    const bad = await server.gql(log, { input: { ...input, epoch: -1 } });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_INPUT');
    const missing = await server.gql(log, { input: { ...input, runId: 'nope' } });
    expect(missing.errors?.[0].extensions?.code).toBe('RUN_NOT_FOUND');
    const badParams = await server.gql(`mutation { createRun(input: { kind: "x", params: { lr: [1] } }) { id } }`);
    expect(badParams.errors?.[0].message).toBe('params.lr: must be a string, number or boolean');
  });

  it('refuses class metrics with a negative class id or support, or a score outside [0, 1], naming the field', async () => {
    const { createRun } = await server.data(`mutation { createRun(input: { kind: "external", name: "classes" }) { id } }`);
    const log = `mutation($input: LogMetricsInput!) { logMetrics(input: $input) { classMetrics { classId } } }`;
    const good = { split: 'val', classId: 0, precision: 0, recall: 1, f1: 0.5, accuracy: 1, support: 0 };
    const cases = [
      [{ classId: -1 }, 'classMetrics[1].classId: must not be negative'],
      [{ support: -3 }, 'classMetrics[1].support: must not be negative'],
      [{ precision: 1.2 }, 'classMetrics[1].precision: must be between 0 and 1'],
      [{ recall: -0.1 }, 'classMetrics[1].recall: must be between 0 and 1'],
      [{ f1: 1.0000001 }, 'classMetrics[1].f1: must be between 0 and 1'],
      [{ accuracy: 2 }, 'classMetrics[1].accuracy: must be between 0 and 1'],
    ] as const;
    for (const [bad, message] of cases) {
      const r = await server.gql(log, { input: { runId: createRun.id, epoch: 0, metrics: [], classMetrics: [good, { ...good, classId: 1, ...bad }] } });
      expect(r.errors?.[0], message).toMatchObject({ message, extensions: { code: 'BAD_INPUT', field: message.split(':')[0] } });
    }
    // The server's own jobs go through the same rules: a fractional support is no count.
    await expect(server.app.services.runs.recordEpoch(createRun.id, 0, [], [{ ...good, support: 2.5 }])).rejects.toMatchObject({ code: 'BAD_INPUT', message: 'classMetrics[0].support: must be a whole number' });
    const { logMetrics } = await server.data(log, { input: { runId: createRun.id, epoch: 0, metrics: [], classMetrics: [good, { ...good, classId: 1, precision: 1, support: 7 }] } });
    expect(logMetrics.classMetrics).toEqual([{ classId: 0 }, { classId: 1 }]); // only the good epoch was written
  });

  it('records an epoch with more metrics than one event holds, and announces it without the values', async () => {
    const { createRun } = await server.data(`mutation { createRun(input: { kind: "external", name: "wide" }) { id } }`);
    const sub = subscribe(server.http.url, `subscription($id: ID!) { runEvents(runId: $id) { type epoch metrics { name } message } }`, { id: createRun.id });
    await sub.ready;
    const metrics = Array.from({ length: 400 }, (_, i) => ({ name: `metric${i}`, split: 'val', value: i / 400 }));
    const { logMetrics } = await server.data(`mutation($input: LogMetricsInput!) { logMetrics(input: $input) { summaries { name } } }`, { input: { runId: createRun.id, epoch: 0, metrics } });
    expect(logMetrics.summaries).toHaveLength(400);
    await sub.until((events) => events.length > 0, 10_000);
    await sub.close();
    expect(sub.events[0].runEvents).toEqual({ type: 'EPOCH', epoch: 0, metrics: null, message: '400 metrics recorded: too many for one event, query epochMetrics' });
  });
});
