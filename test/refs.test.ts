import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isAppError } from '../src/errors.js';
import { labelledDataset } from './support/fixtures.js';
import { DB_KINDS } from './support/databases.js';
import { importThroughApi } from './support/jobs.js';
import { buildRun } from './support/runs.js';
import { startTestServer, type TestServer } from './support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const failure = async (p: Promise<unknown>) => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!isAppError(err)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
};

// Names wherever ids (issue 14, item 7): one resolution (src/refs) behind GraphQL and the CLI.
describe.each(DB_KINDS)('dataset and run references (%s)', (kind) => {
  let server: TestServer;
  let v1: string;
  let v2: string;
  let other: string;
  beforeAll(async () => {
    server = await startTestServer(kind);
    const a = await labelledDataset(6);
    const b = await labelledDataset(7); // other content: a second version of the same name
    v1 = (await importThroughApi(server, { name: 'comp5329', csvPath: a.csvPath })).result.datasetId;
    v2 = (await importThroughApi(server, { name: 'comp5329', csvPath: b.csvPath })).result.datasetId;
    other = (await importThroughApi(server, { name: 'comp5329-captions', csvPath: a.csvPath })).result.datasetId;
  });
  afterAll(async () => server?.close());

  it('reads a dataset as its id, its name (the latest version) or name@version', async () => {
    const { datasets } = server.app.services;
    expect(await datasets.resolveRef(v1)).toBe(v1);
    expect(await datasets.resolveRef('comp5329')).toBe(v2);
    expect(await datasets.resolveRef('comp5329@1')).toBe(v1);
    expect(await datasets.resolveRef('comp5329@2')).toBe(v2);
    expect(await datasets.resolveRef('comp5329-captions')).toBe(other);
  });

  it('names the known datasets that look alike when a reference names none', async () => {
    const { datasets } = server.app.services;
    const typo = await failure(datasets.resolveRef('comp5329x'));
    expect(typo.code).toBe('DATASET_NOT_FOUND');
    expect(typo.message).toBe('No dataset "comp5329x"; known: comp5329, comp5329-captions.');
    expect((await failure(datasets.resolveRef('comp5329@9'))).message).toBe('No dataset "comp5329@9"; known: comp5329, comp5329-captions.');
    // nothing alike: every name is listed while there are few
    expect((await failure(datasets.resolveRef('zzz'))).message).toBe('No dataset "zzz"; known: comp5329, comp5329-captions.');
  });

  it('takes names through GraphQL: dataset(id), the runs filter and startTraining', async () => {
    const { dataset } = await server.data(`{ dataset(id: "comp5329@1") { id version } }`);
    expect(dataset).toEqual({ id: v1, version: 1 });
    expect((await server.data(`{ dataset(id: "nope") { id } }`)).dataset).toBeNull();
    const { startTraining } = await server.data(`mutation { startTraining(input: { datasetId: "comp5329", head: TEXT, epochs: 1 }) { id dataset { id } } }`);
    expect(startTraining.dataset.id).toBe(v2);
    const { runs } = await server.data(`{ runs(filter: { datasetId: "comp5329@2" }) { nodes { id } } }`);
    expect(runs.nodes.map((r: { id: string }) => r.id)).toContain(startTraining.id);
    const bad = await server.gql(`mutation { extractFeatures(input: { datasetId: "comp5329x", encoder: { id: "tfidf" } }) { id } }`);
    expect(bad.errors?.[0]).toMatchObject({ message: 'No dataset "comp5329x"; known: comp5329, comp5329-captions.', extensions: { code: 'DATASET_NOT_FOUND' } });
  });

  it('reads a run as its id, a unique name or the start of its id; an ambiguous one lists the candidates', async () => {
    const { runs } = server.app.services;
    const alone = await buildRun(server.app.services, { name: 'alone' });
    const twinA = await buildRun(server.app.services, { name: 'twin' });
    const twinB = await buildRun(server.app.services, { name: 'twin' });
    expect(await runs.resolveRef(alone.id)).toBe(alone.id);
    expect(await runs.resolveRef('alone')).toBe(alone.id);
    expect(await runs.resolveRef(alone.id.slice(0, 8))).toBe(alone.id);
    expect(await runs.resolveRef(alone.id.slice(0, 8).toUpperCase())).toBe(alone.id);
    const twin = await failure(runs.resolveRef('twin'));
    expect(twin.code).toBe('RUN_AMBIGUOUS');
    expect(twin.message).toContain(twinA.id);
    expect(twin.message).toContain(twinB.id);
    // shorter than the tables print: not an id start (too likely to match several)
    expect((await failure(runs.resolveRef(alone.id.slice(0, 5)))).code).toBe('RUN_NOT_FOUND');
    expect((await failure(runs.resolveRef('nobody'))).message).toBe('No run "nobody" (by id, name or id start); list them with `tagfusion runs`.');
    // a deleted run's name no longer counts
    await server.app.services.tracking.delete(twinB.id);
    expect(await runs.resolveRef('twin')).toBe(twinA.id);
  });
});
