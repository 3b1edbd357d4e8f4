import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TaskMessage } from '../jobs/pool.js';
import { initBackend, type DevicePreference } from '../ml/backend.js';
import { bertFeatures, loadBert } from '../ml/encoders/bert.js';
import { gatherRows } from '../ml/features-matrix.js';
import type { FinetunedModel } from '../ml/finetune.js';
import { readFeatureSet } from '../features/store.js';
import { loadArtifact } from '../training/artifact.js';
import { loadModel } from '../training/model.js';
import type { FeatureRef } from './training.js';

export interface ComponentLogitsInput {
  device: DevicePreference;
  /** absolute path of the component run's model.json */
  artifactPath: string;
  /** samples in the dataset, and the rows wanted */
  count: number;
  rows: number[];
  /** cached features of the rows' dataset, for heads on features */
  text?: FeatureRef;
  image?: FeatureRef;
  /** captions of `rows`, for a fine-tuned BERT */
  captions?: string[];
}

/** Logits [rows × classes] of a finished run's model, from its artifact. */
export async function componentLogits({ input }: TaskMessage<ComponentLogitsInput>): Promise<Float32Array> {
  await initBackend(input.device);
  const document = JSON.parse(await readFile(input.artifactPath, 'utf8')) as { format: string; bert?: { dir: string; maxLength: number }; model: FinetunedModel };
  if (document.format === 'tagfusion-bert-finetune/1') {
    const bert = await loadBert({ path: join(dirname(input.artifactPath), document.bert!.dir), maxLength: document.bert!.maxLength });
    const { kernel, bias } = document.model.head;
    const k = tf.tensor2d(kernel.data, kernel.shape as [number, number]);
    const b = tf.tensor1d(bias.data);
    const out = new Float32Array(input.rows.length * kernel.shape[1]);
    for (let s = 0; s < input.rows.length; s += 256) {
      const l = tf.tidy(() => tf.add(tf.matMul(bertFeatures(bert, input.captions!.slice(s, s + 256)), k), b));
      out.set(l.dataSync(), s * kernel.shape[1]);
      l.dispose();
    }
    tf.dispose([k, b]);
    bert.model.dispose();
    return out;
  }
  const model = loadModel(await loadArtifact(input.artifactPath));
  try {
    const read = async (ref?: FeatureRef) => (ref ? gatherRows(await readFeatureSet(ref.dir, input.count, ref.dim), ref.dim, input.rows) : undefined);
    return model.logits({ text: await read(input.text), image: await read(input.image) }, input.rows.length);
  } finally {
    model.dispose();
  }
}
