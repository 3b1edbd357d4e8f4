import { join } from 'node:path';
import { loadDatasetForExtraction } from '../features/extract.js';
import { artifactRoot } from '../features/paths.js';
import type { JobContext } from '../jobs/types.js';
import type { FinetunedModel } from '../ml/finetune.js';
import type { RunService } from '../runs/service.js';
import type { FinetuneInput } from '../workers/finetune.js';
import type { EpochMessage } from '../workers/training.js';
import { publishArtifactFolder, saveJson } from './artifact.js';
import type { TrainingInput } from './input.js';
import { EpochWriter, finishRun, flatMetrics, recordEpoch } from './record.js';

/**
 * BERT fine-tuned end to end with its classifier (the paper's text module). Captions of the
 * main dataset's training split and of every extra dataset train it; validation is the main
 * dataset's. The fine-tuned BERT is saved beside model.json in the artifact folder.
 */
export async function finetuneText(ctx: JobContext, runs: RunService, runId: string, input: TrainingInput) {
  const started = performance.now();
  const main = await loadDatasetForExtraction(ctx.db.prisma, input.datasetId);
  const extras = await Promise.all(input.extraTrainDatasetIds.map((id) => loadDatasetForExtraction(ctx.db.prisma, id)));
  const classes = main.classIds.length;
  const index = new Map(main.classIds.map((id, i) => [id, i]));
  const split = (picks: { d: typeof main; rows: number[] }[]) => {
    const captions = picks.flatMap(({ d, rows }) => rows.map((r) => d.samples[r].caption));
    const labels = new Uint8Array(captions.length * classes);
    let at = 0;
    for (const { d, rows } of picks) for (const r of rows) d.labels[r].forEach((l) => index.has(l) && (labels[at * classes + index.get(l)!] = 1)), at++;
    return { captions, labels };
  };
  const rowsOf = (d: typeof main, s: string) => d.splits.flatMap((x, i) => (x === s ? [i] : []));
  const train = split([{ d: main, rows: rowsOf(main, 'TRAIN') }, ...extras.map((d) => ({ d, rows: d.splits.map((_, i) => i) }))]);
  const val = split([{ d: main, rows: rowsOf(main, 'VAL') }]);
  const dir = join(artifactRoot(ctx.config), runId);
  ctx.progress(0.02, `fine-tuning bert on ${train.captions.length} captions`);
  // Epochs are written in order; a failed write stops the fine-tuning task and fails the attempt.
  const epochs = new EpochWriter((report) => recordEpoch(runs, runId, report, main.classIds));
  const result = await epochs.run(ctx.signal, (signal) =>
    ctx.pool.run<FinetuneInput, { model: FinetunedModel; backend: string; bertSource: string; vocabSize: number }>(
      'finetuneText',
      {
        device: ctx.config.device,
        source: { path: input.textEncoder?.path, hubId: input.textEncoder?.hubId },
        maxLength: input.maxLength,
        classes,
        train,
        val,
        saveDir: join(dir, 'bert'),
        config: { ...input, earlyStopping: input.earlyStopping ?? null, synonymRounds: input.augmentation.synonymRounds },
      },
      {
        signal,
        onMessage: (m) => {
          const { report } = m as EpochMessage;
          epochs.push(report);
          ctx.progress(report.epoch / input.epochs, `epoch ${report.epoch}: val micro-F1 ${report.val.metrics.microF1.toFixed(4)}`);
        },
      },
    ),
  );
  ctx.signal.throwIfAborted(); // a cancel that came while epochs were written still wins
  const { model, backend } = result;
  // The BERT folder goes up before model.json, which names it, and before the row.
  await publishArtifactFolder(join(dir, 'bert'));
  const artifact = {
    format: 'tagfusion-bert-finetune/1',
    runId,
    datasetId: input.datasetId,
    classIds: main.classIds,
    bert: { dir: 'bert', source: result.bertSource, vocabSize: result.vocabSize, maxLength: input.maxLength },
    training: input,
    model,
  };
  const saved = await saveJson(artifactRoot(ctx.config), runId, artifact);
  await finishRun(ctx, runs, runId, backend, saved, {
    bestEpoch: model.bestEpoch,
    epochsRun: model.epochsRun,
    parameters: model.parameterCount,
    encoderParameters: 0,
    seconds: (performance.now() - started) / 1000,
    trainSamples: train.captions.length,
    thresholds: model.thresholds,
    val: flatMetrics(model.val),
    encoders: { text: { id: 'bert', source: result.bertSource } },
  });
  return { runId, artifact: saved.uri };
}
