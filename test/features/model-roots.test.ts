import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { modelRoots } from '../../src/features/model-roots.js';
import { colourEncoder, importDataset, multimodalDataset } from '../experiments/support.js';
import { DB_KINDS } from '../support/databases.js';
import { waitForJob } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';

const EXTRACT = `mutation($input: ExtractFeaturesInput!) { extractFeatures(input: $input) { id } }`;
const START = `mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`;

describe('model roots setting', () => {
  it('is a PATH-like list, and defaults to the data folder’s models/', () => {
    expect(loadConfig({ TAGFUSION_MODEL_ROOTS: '/srv/models::/opt/onnx/' }).modelRoots).toEqual(['/srv/models', '/opt/onnx']);
    const config = loadConfig({ TAGFUSION_DATA_DIR: '/srv/tagfusion' });
    expect(config.modelRoots).toBeUndefined();
    expect(modelRoots(config)).toEqual(['/srv/tagfusion/models']);
  });
});

/** Encoder folders load only from the model roots (here the default: the data folder's models/). */
describe.each(DB_KINDS)('encoder paths (%s)', (kind) => {
  let server: TestServer;
  let datasetId: string;
  let models: string;
  let outside: string;
  beforeAll(async () => {
    server = await startTestServer(kind);
    datasetId = await importDataset(server, 'roots', await multimodalDataset(12));
    models = join(server.app.config.dataDir, 'models');
    mkdirSync(models, { recursive: true });
    outside = colourEncoder(); // a valid model, in the run's temporary folder
    cpSync(outside, join(models, 'colour'), { recursive: true });
    cpSync(outside, join(server.app.config.dataDir, 'beside'), { recursive: true });
    symlinkSync(outside, join(models, 'escape')); // a link inside the root that leads out of it
    symlinkSync(join(models, 'colour'), join(models, 'alias')); // one that stays inside
  });
  afterAll(async () => server?.close());

  const escapes = () => [
    ['outside the roots', outside],
    ['a .. escape', join(models, '..', 'beside')],
    ['a symbolic link out of the root', join(models, 'escape')],
    ['a symbolic link out of the root, to its model file', join(models, 'escape', 'model.onnx')],
  ];

  it('refuses an extraction whose encoder path leads out of the model roots, naming the field', async () => {
    for (const [what, path] of escapes()) {
      const r = await server.gql(EXTRACT, { input: { datasetId, encoder: { id: 'onnx', path } } });
      expect(r.errors?.[0].extensions?.code, what).toBe('PATH_NOT_ALLOWED');
      expect(r.errors?.[0].message, what).toBe(`encoder.path ${path} is outside the folders this server may read (its model roots: see TAGFUSION_MODEL_ROOTS).`);
    }
    expect(await server.app.db.prisma.job.count({ where: { kind: 'extract-features' } })).toBe(0);
  });

  it('refuses training whose vision or text encoder path leads out of the model roots, naming the field', async () => {
    for (const [what, path] of escapes()) {
      const vision = await server.gql(START, { input: { datasetId, head: 'VISION', visionEncoder: { id: 'onnx', path } } });
      expect(vision.errors?.[0].extensions?.code, what).toBe('PATH_NOT_ALLOWED');
      expect(vision.errors?.[0].message, what).toMatch(/^visionEncoder\.path .* \(its model roots: see TAGFUSION_MODEL_ROOTS\)\.$/);
      const text = await server.gql(START, { input: { datasetId, head: 'TEXT_FINETUNE', textEncoder: { id: 'bert', path } } });
      expect(text.errors?.[0].extensions?.code, what).toBe('PATH_NOT_ALLOWED');
      expect(text.errors?.[0].message, what).toMatch(/^textEncoder\.path /);
    }
    expect(await server.app.db.prisma.run.count()).toBe(0);
  });

  it('loads an encoder from under the data folder’s models/, through a link that stays inside too', async () => {
    const missing = await server.gql(EXTRACT, { input: { datasetId, encoder: { id: 'onnx', path: join(models, 'nothing') } } });
    expect(missing.errors?.[0].extensions?.code).toBe('PATH_NOT_FOUND');
    for (const path of [join(models, 'colour'), join(models, 'alias', 'model.onnx')]) {
      const { extractFeatures } = await server.data(EXTRACT, { input: { datasetId, encoder: { id: 'onnx', path } } });
      const job = await waitForJob(server, extractFeatures.id);
      expect(job.status, job.error).toBe('SUCCEEDED');
    }
  });
});
