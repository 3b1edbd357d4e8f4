import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { artifactRoot } from '../../src/features/paths.js';

/**
 * A finished training run with an artifact file and an honest Artifact row (sha256 and size of
 * the bytes written), its summary and two epochs of metrics, as the train job leaves them. Far
 * cheaper than training when a test needs versions with chosen metrics.
 */
export async function finishedRun(app: App, o: { macroF1: number; loss?: number; name?: string; status?: 'SUCCEEDED' | 'FAILED'; textEncoder?: string }) {
  const { runs } = app.services;
  const run = await runs.create({ kind: 'train', name: o.name ?? `fixture ${o.macroF1}`, config: { head: 'text' } });
  await runs.setStatus(run.id, 'RUNNING', { backend: 'test' });
  const val = { loss: o.loss ?? 1 - o.macroF1, microF1: o.macroF1 + 0.01, macroF1: o.macroF1, samplesF1: o.macroF1 };
  for (const epoch of [1, 2]) {
    const scale = epoch === 2 ? 1 : 0.5;
    await runs.recordEpoch(run.id, epoch, [
      { name: 'macroF1', split: 'val', value: val.macroF1 * scale },
      { name: 'macroF1', split: 'train', value: Math.min(1, val.macroF1 * scale + 0.05) },
    ]);
  }
  const bytes = Buffer.from(JSON.stringify({ format: 'tagfusion-model/1', runId: run.id, weights: 'fixture', macroF1: o.macroF1 }));
  mkdirSync(join(artifactRoot(app.config), run.id), { recursive: true });
  writeFileSync(join(artifactRoot(app.config), run.id, 'model.json'), bytes);
  const checksum = createHash('sha256').update(bytes).digest('hex');
  await app.db.prisma.artifact.create({ data: { runId: run.id, name: 'model', kind: 'tagfusion-model', uri: `${run.id}/model.json`, sizeBytes: bytes.byteLength, checksum } });
  await app.db.prisma.run.update({
    where: { id: run.id },
    data: { summary: { bestEpoch: 2, val, encoders: { text: { id: o.textEncoder ?? 'tfidf', version: 'v-fixture' } } } },
  });
  await runs.setStatus(run.id, o.status ?? 'SUCCEEDED');
  return { runId: run.id, checksum, path: join(artifactRoot(app.config), run.id, 'model.json'), val };
}

export { captionDataset } from '../support/fixtures.js';
