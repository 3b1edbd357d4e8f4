import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { App } from '../../src/app.js';
import { artifactRoot } from '../../src/features/paths.js';
import { linearOnnx } from './onnx-writer.js';

/**
 * Runs with artifact files as an upload through the artifact API leaves them: the file at
 * `<data>/artifacts/<runId>/<path>` and an Artifact row (name = path, kind 'file', uri, size,
 * sha256). Cheaper than the HTTP upload when a test is about what the registry reads.
 */
export async function addFiles(app: App, runId: string, files: Record<string, Buffer | string | object>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(typeof content === 'string' ? content : JSON.stringify(content));
    const file = join(artifactRoot(app.config), runId, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    const checksum = createHash('sha256').update(bytes).digest('hex');
    const row = { kind: 'file', uri: `${runId}/${path}`, sizeBytes: bytes.byteLength, checksum };
    await app.db.prisma.artifact.upsert({ where: { runId_name: { runId, name: path } }, create: { runId, name: path, ...row }, update: row });
  }
}

/** A RUNNING run, as an MLflow script's `start_run` leaves it, holding the files. */
export async function runWithFiles(app: App, files: Record<string, Buffer | string | object> = {}, projectId?: number): Promise<string> {
  const run = await app.services.runs.create({ kind: 'external', name: 'pytorch script', status: 'RUNNING', projectId });
  await addFiles(app, run.id, files);
  return run.id;
}

/** A card for `linearOnnx` (input `features`, output `logits`) with three labels; fields may be replaced. */
export const card = (o: Record<string, unknown> = {}) => ({
  format: 'onnx',
  model: 'model.onnx',
  inputs: [{ name: 'features', kind: 'features', encoder: 'glove-100d' }],
  output: { name: 'logits', kind: 'logits', labels: [3, 1, 2] },
  ...o,
});

/** A servable folder: a linear ONNX head over 100 features with its card. */
export const servableFolder = (prefix = 'model', o: Record<string, unknown> = {}) => ({
  [`${prefix}/model.onnx`]: linearOnnx({ features: 100, labels: 3 }),
  [`${prefix}/model-card.json`]: card(o),
});

/** A dataset with the given label ids, written directly (an import is not what these tests are about). */
export async function datasetWithLabels(app: App, labels: number[]): Promise<string> {
  const name = `labels-${labels.join('-')}-${Date.now()}`;
  const d = await app.db.prisma.dataset.create({
    data: { name, version: 1, checksum: name, labelled: true, hasImages: false, csvPath: 'x.csv', sampleCount: 0, splitSeed: 1, valFraction: 0.2 },
  });
  await app.db.prisma.labelClass.createMany({ data: labels.map((classId, index) => ({ datasetId: d.id, classId, index, count: 1 })) });
  return d.id;
}

export const hex = (runId: string) => runId.replace(/-/g, '');
