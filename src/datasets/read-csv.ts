import { errors } from '../errors.js';
import type { JobContext } from '../jobs/types.js';
import type { CsvParseInput, CsvParseResult, CsvParseSlice } from '../workers/csv-parse.js';
import type { ParsedCsv } from './csv.js';

/**
 * Reads and parses a caption file in the worker pool (src/workers/csv-parse.ts), taking the
 * records in slices: parsing 300,000 records costs seconds of CPU, which on the main thread
 * stalled every request of an embedded server (its database runs there too). `csvPath` is the
 * real path, `shownAs` the path as the user gave it, for errors (INVALID_CSV, PATH_NOT_FOUND).
 */
export async function readCaptionCsv(ctx: Pick<JobContext, 'pool' | 'signal' | 'config'>, csvPath: string, shownAs: string): Promise<ParsedCsv> {
  const taken = new Int32Array(new SharedArrayBuffer(4));
  const records: ParsedCsv['records'] = [];
  const problems: ParsedCsv['problems'] = [];
  const take = (message: unknown) => {
    const slice = message as CsvParseSlice;
    if ('records' in slice) for (const r of slice.records) records.push(r);
    else for (const p of slice.problems) problems.push(p);
    Atomics.add(taken, 0, 1);
    Atomics.notify(taken, 0);
  };
  const input: CsvParseInput = { path: csvPath, maxBytes: ctx.config.csvMaxBytes, maxRecords: ctx.config.csvMaxRecords, taken: taken.buffer as SharedArrayBuffer };
  const result = await ctx.pool.run<CsvParseInput, CsvParseResult>('parseCsv', input, { signal: ctx.signal, onMessage: take });
  if ('failure' in result) {
    throw result.failure === 'invalid' ? errors.invalidCsv(shownAs, result.reason) : errors.pathNotFound('CSV file', shownAs);
  }
  if (records.length !== result.records || problems.length !== result.problems) {
    throw new Error(`parsed CSV slices went missing: ${records.length} of ${result.records} records, ${problems.length} of ${result.problems} rejected lines arrived`);
  }
  return { format: result.format, records, problems };
}
