import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { artifactRoot, featureStoreRoot } from '../../src/features/paths.js';
import { completeFiles } from '../../src/features/store.js';
import { startHttpServer } from '../../src/server/http.js';
import { S3Store } from '../../src/storage/s3-store.js';
import { train } from '../prediction/fixtures.js';
import { DB_KINDS } from '../support/databases.js';
import { captionDataset } from '../support/fixtures.js';
import { importThroughApi, waitForJob } from '../support/jobs.js';
import { refusingProxy, startLocalS3, type LocalS3 } from '../support/s3.js';
import { startTestServer, type TestServer } from '../support/server.js';

const REGISTER = `mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { created version { version } } }`;
const PREDICT = `query($inputs: [PredictionInput!]!) { predict(model: "shared/1", inputs: $inputs) { model { runId } predictions { labels } } }`;
const PREDICT_DATASET = `mutation($d: ID!) { predictDataset(model: "shared/1", datasetId: $d, split: VAL) { id job { id } } }`;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A second app (API and worker) on the same database and bucket, with a data folder of its own. */
async function secondInstance(first: TestServer): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-other-machine-'));
  const app = await startApp(loadConfig({ ...first.db.env, TAGFUSION_DATA_DIR: dataDir }), { workJobs: true });
  const http = await startHttpServer(app, 0, '127.0.0.1');
  const gql = async (query: string, variables?: Record<string, unknown>) =>
    (await (await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })).json()) as any;
  const data = async (query: string, variables?: Record<string, unknown>) => {
    const r = await gql(query, variables);
    if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
    return r.data;
  };
  const close = async () => {
    await http.close();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { app, http, db: first.db, gql, data, withToken: () => ({ gql, data }), close };
}

/**
 * Two machines sharing one database and one bucket, each with its own data folder. On
 * PostgreSQL they are two app instances (the first one stopped before the second works, so
 * that the second does the work). PGlite is one process's database: there the "other machine"
 * is the same instance after its artifacts, features and predictions folders were deleted.
 */
describe.each(DB_KINDS)('artifacts and feature caches in a bucket (%s)', (kind) => {
  let s3: LocalS3;
  let bucket: S3Store;
  let first: TestServer;
  let second: TestServer | undefined;
  let datasetId: string;
  let runId: string;
  let bertRunId: string;
  let featureSets: { id: string; path: string; seconds: number }[];
  const work = mkdtempSync(join(tmpdir(), 'tagfusion-bucket-check-'));

  /** An object of the bucket, read back whole. */
  const object = async (key: string) => {
    const path = join(work, `${Math.random()}`);
    await bucket.get(key, path);
    return readFileSync(path);
  };

  beforeAll(async () => {
    s3 = await startLocalS3();
    const env = s3.env();
    const config = loadConfig({ ...env, TAGFUSION_DATA_DIR: work });
    if (config.store.kind !== 's3') throw new Error('expected an s3 store');
    bucket = new S3Store(config.store);
    first = await startTestServer(kind, { env });
    const fx = await captionDataset(300); // two feature parts of 256
    datasetId = (await importThroughApi(first, { name: 'captions', csvPath: fx.csvPath, valFraction: 0.25 })).result.datasetId;
  }, 120_000);
  afterAll(async () => {
    await second?.close().catch(() => undefined);
    await first?.close();
    bucket?.close();
    await s3?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('uploads the model artifact and every feature part before the rows that name them', async () => {
    runId = (await train(first, { datasetId, head: 'TEXT', epochs: 3, learningRate: 0.05, batchSize: 32, seed: 3 })).id;
    const prisma = first.app.db.prisma;
    const artifact = await prisma.artifact.findUniqueOrThrow({ where: { runId_name: { runId, name: 'model' } } });
    const stored = await object(`artifacts/${artifact.uri}`);
    expect(stored.byteLength).toBe(Number(artifact.sizeBytes));
    expect(sha(stored)).toBe(artifact.checksum);

    featureSets = await prisma.featureSet.findMany({ where: { datasetId }, select: { id: true, path: true, seconds: true } });
    expect(featureSets).toHaveLength(1);
    const dir = join(featureStoreRoot(first.app.config), featureSets[0].path);
    const local = await completeFiles(dir);
    expect(local).toEqual(['meta.json', 'part-00000.f32', 'part-00001.f32']);
    const prefix = `features/${featureSets[0].path.split('\\').join('/')}/`;
    expect((await bucket.list(prefix)).sort()).toEqual(local);
    for (const name of local) expect(sha(await object(prefix + name)), name).toBe(sha(readFileSync(join(dir, name))));

    // A fine-tuned BERT is a folder beside the head: every file of it goes up too.
    bertRunId = (await train(first, { datasetId, head: 'TEXT_FINETUNE', epochs: 1, learningRate: 0.003, batchSize: 32, maxLength: 24, seed: 3 })).id;
    const bertDir = join(artifactRoot(first.app.config), bertRunId, 'bert');
    const bertFiles = readdirSync(bertDir).sort();
    expect(bertFiles).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'vocab.txt']));
    expect((await bucket.list(`artifacts/${bertRunId}/bert/`)).sort()).toEqual(bertFiles);
    for (const name of bertFiles) expect(sha(await object(`artifacts/${bertRunId}/bert/${name}`)), name).toBe(sha(readFileSync(join(bertDir, name))));
  }, 180_000);

  it('lets another machine, whose folder never saw the files, register, predict, reuse the features and serve submissions', async () => {
    if (kind === 'postgres') {
      await first.http.close();
      await first.app.close();
      second = await secondInstance(first);
    } else {
      for (const f of ['artifacts', 'features', 'predictions']) rmSync(join(first.app.config.dataDir, f), { recursive: true, force: true });
    }
    const other = second ?? first;
    const modelPath = join(artifactRoot(other.app.config), runId, 'model.json');
    expect(existsSync(modelPath)).toBe(false);

    // The registry verifies size and sha256 of the downloaded copy.
    const { registerModelVersion } = await other.data(REGISTER, { input: { runId, model: 'shared' } });
    expect(registerModelVersion).toEqual({ created: true, version: { version: 1 } });
    expect(existsSync(modelPath)).toBe(true);

    const { predict } = await other.data(PREDICT, { inputs: [{ caption: 'a dog and a man near the park' }] });
    expect(predict.model.runId).toBe(runId);
    expect(predict.predictions[0].labels.length).toBeGreaterThan(0);

    // The fine-tuned BERT's folder is fetched as well, and predicts as it did where it was trained.
    const bertPath = join(artifactRoot(other.app.config), bertRunId, 'bert', 'model.safetensors');
    expect(existsSync(bertPath)).toBe(false);
    await other.data(REGISTER, { input: { runId: bertRunId, model: 'shared-bert' } });
    const bertPredict = await other.data(PREDICT.replace('shared/1', 'shared-bert/1'), { inputs: [{ caption: 'a dog and a man near the park' }] });
    expect(bertPredict.predict.model.runId).toBe(bertRunId);
    expect(existsSync(bertPath)).toBe(true);

    // Another head on the same dataset and encoder: the FeatureSet row is reused, its parts downloaded.
    const again = await train(other, { datasetId, head: 'TEXT', epochs: 2, learningRate: 0.05, batchSize: 32, seed: 4 });
    expect(again.summary.val.microF1).toBeGreaterThan(0.5);
    const after = await other.app.db.prisma.featureSet.findMany({ where: { datasetId }, select: { id: true, path: true, seconds: true } });
    expect(after).toEqual(featureSets); // not re-extracted: an extraction would have rewritten the row's seconds
    const dir = join(featureStoreRoot(other.app.config), after[0].path);
    expect(await completeFiles(dir)).toEqual(['meta.json', 'part-00000.f32', 'part-00001.f32']);

    // The submission file goes to the bucket; a machine without it downloads it to serve it.
    const { predictDataset } = await other.data(PREDICT_DATASET, { d: datasetId });
    const job = await waitForJob(other, predictDataset.job.id, 120_000);
    expect(job.status, job.error).toBe('SUCCEEDED');
    const key = `predictions/${predictDataset.id}/submission.csv`;
    const csv = (await object(key)).toString('utf8');
    expect(csv.split('\n')[0]).toBe('ImageID,Labels');
    rmSync(join(other.app.config.dataDir, 'predictions'), { recursive: true, force: true });
    const res = await fetch(new URL(`/predictions/${predictDataset.id}/submission.csv`, other.http.url));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(csv);
  }, 240_000);

  it('records no artifact when its upload is refused (features uploaded before theirs are kept)', async () => {
    const proxy = await refusingProxy(s3.endpoint, (method, path) => method === 'PUT' && path.includes('/artifacts/'));
    const broken = await startTestServer(kind, { env: { ...s3.env(), TAGFUSION_S3_ENDPOINT: proxy.endpoint } });
    try {
      const fx = await captionDataset(40);
      const id = (await importThroughApi(broken, { name: 'captions', csvPath: fx.csvPath, valFraction: 0.25 })).result.datasetId;
      const err = await train(broken, { datasetId: id, head: 'TEXT', epochs: 1, seed: 3 }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/Could not upload artifacts\/[0-9a-f-]+\/model\.json to the store s3:\/\/tagfusion-test\/run-[0-9a-f]+: AccessDenied/);
      const prisma = broken.app.db.prisma;
      expect(await prisma.artifact.count()).toBe(0);
      expect(await prisma.featureSet.count()).toBe(1);
      expect((await prisma.run.findFirstOrThrow({ where: { kind: 'train' } })).status).toBe('FAILED');
    } finally {
      await broken.close();
      await proxy.close();
    }
  }, 120_000);
});
