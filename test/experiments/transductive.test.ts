import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactRoot } from '../../src/features/paths.js';
import { DB_KINDS } from '../support/databases.js';
import { waitForJob } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { parseSubmission, register } from '../prediction/fixtures.js';
import { colourEncoder, importDataset, modelsRoot, multimodalDataset, waitForExperiment } from './support.js';

const PREDICT_DATASET = `mutation($model: String!, $datasetId: ID!) { predictDataset(model: $model, datasetId: $datasetId) { id job { id } } }`;

describe.each(DB_KINDS)('transductive pseudo-labelling (%s)', (kind) => {
  let server: TestServer;
  let datasetId: string;
  let testSetId: string;

  beforeAll(async () => {
    server = await startTestServer(kind, { env: { TAGFUSION_MODEL_ROOTS: modelsRoot() } });
    datasetId = await importDataset(server, 'labelled', await multimodalDataset(120));
    // The set to predict: images and captions; its labels are never read.
    testSetId = await importDataset(server, 'test-set', await multimodalDataset(40, 1000));
  });
  afterAll(async () => server?.close());

  it('pseudo-labels the set it must predict, then predicts it with the best round, as predictDataset would with that model', async () => {
    const { startPseudoLabeling } = await server.data(`mutation($input: PseudoLabelingInput!) { startPseudoLabeling(input: $input) { id } }`, {
      input: { datasetId, unlabelledDatasetId: testSetId, maxRounds: 1, predictUnlabelled: true, base: { epochs: 4, learningRate: 0.05 }, vision: { visionEncoder: { id: 'onnx', path: colourEncoder(1) } } },
    });
    const run = await waitForExperiment(server, startPseudoLabeling.id, 240_000);
    expect(run.status, run.error).toBe('SUCCEEDED');
    const best = run.summary.best.runId;
    expect(run.summary.submission).toMatchObject({ predictedBy: best, samples: 40 });
    // Round 1 trained on the test set's pseudo-labels, images included.
    expect(run.children[1].artifacts.find((a: any) => a.name === 'pseudo-labels').metadata).toMatchObject({ datasetId: testSetId, candidates: 40 });
    expect(run.children[1].children.map((c: any) => c.params.find((p: any) => p.key === 'trial').value).sort()).toEqual(['fusion', 'text', 'vision']);
    const artifact = await server.app.db.prisma.artifact.findUniqueOrThrow({ where: { runId_name: { runId: run.id, name: 'submission' } } });
    expect(artifact.metadata).toMatchObject({ datasetId: testSetId, predictedBy: best, samples: 40 });

    const ours = parseSubmission(readFileSync(join(artifactRoot(server.app.config), run.summary.submission.artifact), 'utf8'));
    expect(ours.header).toBe('ImageID,Labels');
    expect([...ours.rows.keys()].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `${1000 + i}.jpg`).sort());

    // The same model registered and asked through predictDataset labels every image alike.
    await register(server.app.db.prisma, 'transductive', best, 'champion');
    const { predictDataset } = await server.data(PREDICT_DATASET, { model: 'transductive@champion', datasetId: testSetId });
    expect((await waitForJob(server, predictDataset.job.id)).status).toBe('SUCCEEDED');
    const csv = await (await fetch(new URL(`/predictions/${predictDataset.id}/submission.csv`, server.http.url))).text();
    const theirs = parseSubmission(csv);
    for (const [imageId, labels] of theirs.rows) expect(ours.rows.get(imageId), imageId).toEqual(labels);
    expect(theirs.rows.size).toBe(40);
  });
});
