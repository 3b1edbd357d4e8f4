import type { ExportStream } from '../../export/service.js';
import type { ExportOptions } from '../export.js';
import type { RemoteApi } from './api.js';
import { remoteProjectId } from './project.js';

/**
 * `tagfusion export` through a running server: its export route (src/export/http.ts) with the
 * same filters, streamed as text. The rows are counted as they pass (records end at a newline
 * outside quotes: a CSV field may hold one; a JSON line never does), for the `--out` message.
 */
export async function remoteExport(api: RemoteApi, table: 'runs' | 'metrics', o: ExportOptions, runIds: string[]): Promise<ExportStream> {
  const params = new URLSearchParams();
  if (o.project !== undefined) params.append('projectId', await remoteProjectId(api, o.project));
  for (const id of runIds) params.append('runId', id);
  if (o.lifecycle !== undefined) params.append('lifecycle', o.lifecycle);
  const res = await api.get(`/export/${table}.${o.format}?${params}`);
  let records = 0;
  let quoted = false;
  async function* text() {
    const decoder = new TextDecoder();
    for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
      const chunk = decoder.decode(bytes, { stream: true });
      for (const c of chunk) {
        if (c === '"' && o.format === 'csv') quoted = !quoted;
        else if (c === '\n' && !quoted) records++;
      }
      yield chunk;
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  }
  const chunks = text();
  return {
    [Symbol.asyncIterator]: () => chunks,
    // a CSV export starts with its header line
    get rows() {
      return o.format === 'csv' ? Math.max(0, records - 1) : records;
    },
  };
}
