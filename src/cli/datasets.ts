import type { App } from '../app.js';
import { withDirectApp } from './direct-app.js';
import type { RemoteApi } from './remote/api.js';
import { remoteApi } from './remote/target.js';
import { printOutput, textTable } from './table.js';

/** One dataset version as `tagfusion datasets` prints it (the same through a server or in-process). */
export interface DatasetRow {
  id: string;
  name: string;
  version: number;
  sampleCount: number;
  labelled: boolean;
  hasImages: boolean;
  createdAt: string;
}

const FIELDS = 'id name version sampleCount labelled hasImages createdAt';

const localRows = async (app: App): Promise<DatasetRow[]> =>
  (await app.services.datasets.list()).map((d) => ({ id: d.id, name: d.name, version: d.version, sampleCount: d.sampleCount, labelled: d.labelled, hasImages: d.hasImages, createdAt: d.createdAt.toISOString() }));

const remoteRows = async (api: RemoteApi): Promise<DatasetRow[]> => (await api.request<{ datasets: DatasetRow[] }>(`{ datasets { ${FIELDS} } }`)).datasets;

/** `tagfusion datasets`: every dataset version, by name then newest version first; `name` or `name@version` works wherever an id does. */
export async function datasetsCommand(o: { json?: boolean }) {
  const api = remoteApi();
  const rows = api ? await remoteRows(api) : await withDirectApp(localRows);
  const text = rows.length
    ? textTable(
        ['NAME', 'VERSION', 'SAMPLES', 'LABELLED', 'IMAGES', 'CREATED', 'ID'],
        rows.map((d) => [d.name, `@${d.version}`, String(d.sampleCount), d.labelled ? 'yes' : 'no', d.hasImages ? 'yes' : 'no', d.createdAt.slice(0, 16).replace('T', ' '), d.id]),
      )
    : 'no datasets; import one with `tagfusion import`\n';
  printOutput(o.json, rows, text);
}
