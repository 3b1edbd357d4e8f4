import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureStoreRoot } from '../../src/features/paths.js';
import { PART_SIZE, partFileNames, readFeatureSet } from '../../src/features/store.js';
import { cliActor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { captionDataset, labelsOf } from '../support/fixtures.js';
import { importThroughApi } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { train } from '../prediction/fixtures.js';

/** Samples: more than one cached part, so the stream crosses a part boundary. */
const N = PART_SIZE + 44;

/** The header line and the float32 matrix of an export's body. */
function parseExport(body: Buffer) {
  const end = body.indexOf(0x0a);
  const header = JSON.parse(body.subarray(0, end).toString('utf8'));
  const rest = body.subarray(end + 1);
  return { header, matrix: new Float32Array(rest.buffer.slice(rest.byteOffset, rest.byteOffset + rest.byteLength)) };
}

describe.each(DB_KINDS)('GET /datasets/:id/features on %s', (kind) => {
  let server: TestServer;
  let viewer: string;
  let datasetId: string;
  let otherDatasetId: string;
  let textRun: string;
  let externalRun: string;
  const get = (path: string, token: string | null = viewer) =>
    fetch(server.http.url.replace(/\/graphql$/, path), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const features = (dataset: string, query: string, token?: string | null) => get(`/datasets/${dataset}/features?${query}`, token);

  beforeAll(async () => {
    server = await startTestServer(kind, { env: { TAGFUSION_AUTH: 'required' } });
    const s = server.app.services;
    viewer = (await s.auth.create(cliActor(), { name: 'reader', role: 'viewer' })).secret;
    // GraphQL as an admin: the helpers take any object with the server's methods.
    const admin = { ...server, ...server.withToken((await s.auth.create(cliActor(), { name: 'admin', role: 'admin' })).secret) };
    datasetId = (await importThroughApi(admin, { name: 'captions', csvPath: (await captionDataset(N)).csvPath, valFraction: 0.2 })).result.datasetId;
    otherDatasetId = (await importThroughApi(admin, { name: 'others', csvPath: (await captionDataset(12)).csvPath })).result.datasetId;
    textRun = (await train(admin, { datasetId, head: 'TEXT', textEncoder: { id: 'tfidf' }, epochs: 1, seed: 1 })).id;
    externalRun = (await s.runs.create({ kind: 'external', name: 'outside', projectId: 0, status: 'RUNNING' })).id;
  }, 180_000);
  afterAll(async () => server?.close());

  it('refuses a caller without a token, bad parameters and unknown ids, naming no server path', async () => {
    const anonymous = await features(datasetId, `encoderRun=${textRun}`, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await features(datasetId, `encoderRun=${textRun}`, 'tf_nope')).status).toBe(401);
    const cases: [string, string, number, string, RegExp][] = [
      [datasetId, '', 400, 'BAD_INPUT', /^encoderRun: must not be empty$/],
      [datasetId, `encoderRun=${textRun}&modality=audio`, 400, 'BAD_INPUT', /^modality must be text or image$/],
      [datasetId, `encoderRun=${textRun}&modality=image`, 400, 'BAD_INPUT', /used no image encoder \(it used text: tfidf\)/],
      [datasetId, `encoderRun=${externalRun}`, 400, 'BAD_INPUT', /has no tagfusion model, so no encoder to export features of/],
      ['no-such-dataset', `encoderRun=${textRun}`, 404, 'DATASET_NOT_FOUND', /^Dataset no-such-dataset does not exist\.$/],
      [datasetId, 'encoderRun=0123456789abcdef0123456789abcdef', 404, 'RUN_NOT_FOUND', /^Run 01234567-89ab-cdef-0123-456789abcdef does not exist\.$/],
      // The run's vocabulary was never applied to another dataset: extraction is a job, not a GET.
      [otherDatasetId, `encoderRun=${textRun}`, 409, 'FEATURES_UNAVAILABLE', /its tfidf features \(encoder version \w+\) of this dataset were never extracted/],
    ];
    for (const [dataset, query, status, code, message] of cases) {
      const res = await features(dataset, query);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect([res.status, body.error.code], query).toEqual([status, code]);
      expect(body.error.message, query).toMatch(message);
      expect(body.error.message).not.toContain(server.app.config.dataDir);
    }
  });

  it("streams every sample's features in dataset order, with image ids, splits and labels, as the run's encoder cached them", async () => {
    // MLflow's spelling of the run id (32 hex digits) is accepted too.
    const res = await features(datasetId, `encoderRun=${textRun.replace(/-/g, '')}&modality=text`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const body = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(body.byteLength);
    const { header, matrix } = parseExport(body);
    const set = await server.app.db.prisma.featureSet.findFirstOrThrow({ where: { datasetId, encoderId: 'tfidf', variant: 'original' } });
    expect(header).toMatchObject({
      format: 'tagfusion-features/1',
      datasetId,
      encoderRunId: textRun,
      modality: 'text',
      encoder: { id: 'tfidf', version: set.encoderVersion },
      dim: set.dim,
      count: N,
      dtype: 'float32',
      byteOrder: 'little',
      classIds: [1, 2, 3, 4],
      skippedRows: [],
    });
    expect(header.rows.imageId).toEqual(Array.from({ length: N }, (_, i) => `${i}.jpg`));
    expect(header.rows.labels).toEqual(Array.from({ length: N }, (_, i) => labelsOf(i)));
    const { dataset } = await server.withToken(viewer).data(`query($id: ID!) { dataset(id: $id) { splitCounts { train val } } }`, { id: datasetId });
    expect(header.rows.split.filter((s: string) => s === 'VAL')).toHaveLength(dataset.splitCounts.val);
    expect(header.rows.split.filter((s: string) => s === 'TRAIN')).toHaveLength(dataset.splitCounts.train);
    expect(matrix).toEqual(await readFeatureSet(join(featureStoreRoot(server.app.config), set.path), N, set.dim));
    // The run used one encoder, so modality may be left out.
    expect(Buffer.from(await (await features(datasetId, `encoderRun=${textRun}`)).arrayBuffer())).toEqual(body);
  });

  it('refuses a set with a damaged part before its first byte', async () => {
    const set = await server.app.db.prisma.featureSet.findFirstOrThrow({ where: { datasetId, encoderId: 'tfidf', variant: 'original' } });
    truncateSync(join(featureStoreRoot(server.app.config), set.path, partFileNames(1)[1]), 100);
    const res = await features(datasetId, `encoderRun=${textRun}`);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'FEATURES_UNAVAILABLE', message: expect.stringMatching(/parts of its cached tfidf features .* are missing or damaged/) } });
  });
});
