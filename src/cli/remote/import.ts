import { AppError, isAppError } from '../../errors.js';
import { resolve } from 'node:path';
import type { ImportOptions, ImportSummary } from '../import.js';
import { printImportSummary } from '../import.js';
import { succeeded } from '../wait.js';
import type { RemoteApi } from './api.js';
import { waitRemote } from './wait.js';

const PAGE = 1000;

interface RemoteDataset {
  id: string;
  name: string;
  version: number;
  checksum: string;
  labelled: boolean;
  hasImages: boolean;
  sampleCount: number;
  splitCounts: { train: number; val: number; unlabelled: number };
  classes: { id: number; count: number; name: string | null }[];
  rejectedCount: number;
}

/**
 * `tagfusion import` through a running server: the importDataset mutation with the paths made
 * absolute (the server's working directory is not this one; its data roots decide what it may
 * read), then the same summary as in-process.
 */
export async function remoteImport(api: RemoteApi, csv: string, o: ImportOptions): Promise<void> {
  const input = { name: o.name, csvPath: resolve(csv), imagesDir: o.images === undefined ? undefined : resolve(o.images), valFraction: o.valFraction, splitSeed: o.seed };
  const { importDataset: job } = await api
    .request<{ importDataset: { id: string } }>(`mutation($i: ImportDatasetInput!) { importDataset(input: $i) { id } }`, { i: input })
    .catch((err) => {
      // The server reads only its own data roots, which need not hold this working directory.
      if (isAppError(err) && err.code === 'PATH_NOT_ALLOWED') throw new AppError(err.code, `${err.message} The import went to the server at ${api.url}, which holds this data folder: add the folder to its TAGFUSION_DATA_ROOTS, or stop it to import in-process.`);
      throw err;
    });
  const done = await waitRemote(api, job.id, Boolean(o.json));
  if (!succeeded(done, 'import')) return;
  const result = done.result as { datasetId: string; reused: boolean };
  const { dataset: d } = await api.request<{ dataset: RemoteDataset }>(
    `query($id: ID!) { dataset(id: $id) { id name version checksum labelled hasImages sampleCount splitCounts { train val unlabelled } classes { id count name } rejectedCount } }`,
    { id: result.datasetId },
  );
  const rejected: ImportSummary['rejected'] = [];
  for (let offset = 0; offset < d.rejectedCount; offset += PAGE) {
    const page = await api.request<{ dataset: { rejected: ImportSummary['rejected'] } }>(`query($id: ID!, $n: Int, $o: Int) { dataset(id: $id) { rejected(first: $n, offset: $o) { line imageId reason } } }`, { id: d.id, n: PAGE, o: offset });
    rejected.push(...page.dataset.rejected);
  }
  printImportSummary(
    {
      datasetId: d.id,
      name: d.name,
      version: d.version,
      reused: result.reused,
      checksum: d.checksum,
      labelled: d.labelled,
      hasImages: d.hasImages,
      sampleCount: d.sampleCount,
      splits: d.splitCounts,
      labels: d.classes.map((c) => ({ id: c.id, count: c.count, ...(c.name ? { name: c.name } : {}) })),
      rejected,
    },
    o.json,
  );
}
