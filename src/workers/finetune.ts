import type { TaskMessage } from '../jobs/pool.js';
import { initBackend, type DevicePreference } from '../ml/backend.js';
import { loadBert, saveBert } from '../ml/encoders/bert.js';
import { finetuneBert, type CaptionSplit, type FinetuneConfig, type FinetunedModel } from '../ml/finetune.js';
import type { EpochMessage } from './training.js';

export interface FinetuneInput {
  device: DevicePreference;
  /** pretrained weights; with neither, random init and a vocabulary from the training captions */
  source: { path?: string | null; hubId?: string | null };
  maxLength: number;
  classes: number;
  train: CaptionSplit;
  val: CaptionSplit;
  config: FinetuneConfig;
  /** folder where the fine-tuned BERT is saved (Hugging Face layout) */
  saveDir: string;
}

/** Fine-tunes BERT end to end, streams epochs, and saves the best weights to `saveDir`. */
export async function finetuneText({ input, port }: TaskMessage<FinetuneInput>): Promise<{ model: FinetunedModel; backend: string; bertSource: string; vocabSize: number }> {
  const backend = await initBackend(input.device);
  const bert = await loadBert({ path: input.source.path ?? undefined, hubId: input.source.hubId ?? undefined, vocabFromCaptions: input.train.captions, seed: input.config.seed, maxLength: input.maxLength });
  try {
    const model = await finetuneBert(bert, input.classes, input.train, input.val, input.config, (report) => port.postMessage({ type: 'epoch', report } satisfies EpochMessage));
    saveBert(input.saveDir, bert.model, bert.tokenizer, input.maxLength);
    return { model, backend: backend.label, bertSource: bert.source, vocabSize: bert.tokenizer.size };
  } finally {
    bert.model.dispose();
  }
}
