import { startCliApp } from './direct-app.js';
import { loadConfig } from '../config.js';
import { cliImportRoots } from '../datasets/paths.js';
import { succeeded, waitWithProgress } from './wait.js';
import { remoteImport } from './remote/import.js';
import { remoteApi } from './remote/target.js';

export interface ImportOptions {
  name: string;
  images?: string;
  valFraction: number;
  seed: number;
  json?: boolean;
}

/**
 * `tagfusion import`: the same service as the importDataset mutation, worked in this process,
 * which may also read the working directory and the temporary folder (cliImportRoots).
 */
export async function importCommand(csv: string, o: ImportOptions) {
  const api = remoteApi();
  if (api) return remoteImport(api, csv, o);
  const config = loadConfig();
  const app = await startCliApp({ ...config, dataRoots: cliImportRoots(config) }, { workJobs: true });
  try {
    const { datasets } = app.services;
    const job = await datasets.importDataset({ name: o.name, csvPath: csv, imagesDir: o.images, valFraction: o.valFraction, splitSeed: o.seed });
    const done = await waitWithProgress(app, job.id, Boolean(o.json));
    if (!succeeded(done, 'import')) return;
    const result = done.result as { datasetId: string; version: number; reused: boolean };
    const dataset = await datasets.get(result.datasetId);
    const classes = await datasets.classes([dataset.id]);
    const rejected = await datasets.rejections(dataset.id, 1_000_000, 0);
    const splits = await datasets.splitCounts(dataset.id);
    const summary: ImportSummary = {
      datasetId: dataset.id,
      name: dataset.name,
      version: dataset.version,
      reused: result.reused,
      checksum: dataset.checksum,
      labelled: dataset.labelled,
      hasImages: dataset.hasImages,
      sampleCount: dataset.sampleCount,
      splits: { train: splits.TRAIN, val: splits.VAL, unlabelled: splits.UNLABELLED },
      labels: classes.map((c) => ({ id: c.classId, count: c.count, ...(c.name ? { name: c.name } : {}) })),
      rejected: rejected.map((r) => ({ line: r.line, imageId: r.imageId, reason: r.reason })),
    };
    printImportSummary(summary, o.json);
  } finally {
    await app.close();
  }
}

/** What an import prints: the dataset version, its splits and labels, and the rejected records. */
export interface ImportSummary {
  datasetId: string;
  name: string;
  version: number;
  reused: boolean;
  checksum: string;
  labelled: boolean;
  hasImages: boolean;
  sampleCount: number;
  splits: { train: number; val: number; unlabelled: number };
  labels: { id: number; count: number; name?: string }[];
  rejected: { line: number; imageId: string | null; reason: string }[];
}

/** Prints an import's summary as JSON (--json) or as text; the same whether a server or this process imported. */
export function printImportSummary(summary: ImportSummary, json?: boolean) {
  if (json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return;
  }
  const { splits, rejected } = summary;
  const out = [
    `${summary.name} v${summary.version}${summary.reused ? ' (identical content: existing version)' : ''}  id ${summary.datasetId}`,
    `samples ${summary.sampleCount}  (train ${splits.train}, val ${splits.val}, unlabelled ${splits.unlabelled})  images ${summary.hasImages ? 'yes' : 'no'}`,
    `labels  ${summary.labels.map((l) => `${l.id}:${l.count}`).join(' ') || '(none)'}`,
    `rejected ${rejected.length}`,
    ...rejected.slice(0, 20).map((r) => `  line ${r.line}  ${r.imageId ?? '-'}  ${r.reason}`),
    ...(rejected.length > 20 ? [`  … ${rejected.length - 20} more (--json lists all)`] : []),
  ];
  process.stdout.write(out.join('\n') + '\n');
}
