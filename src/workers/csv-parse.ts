/// <reference lib="es2024.sharedmemory" />
import { CsvFileError, parseCaptionCsv, type CsvFormat, type CsvProblem, type CsvRecord } from '../datasets/csv.js';
import type { TaskMessage } from '../jobs/pool.js';
import { FileTooLarge, NotARegularFile, readRegularFile } from '../util/read-file.js';

export interface CsvParseInput {
  /** real path of the caption file, already confined to the import roots */
  path: string;
  maxBytes: number;
  maxRecords: number;
  /**
   * One Int32: how many slices the caller has taken. The task sends at most SLICES_AHEAD slices
   * beyond it, so the caller never holds a backlog of messages (each one costs the main thread
   * its deserialisation) and has them all once the task's result arrives.
   */
  taken: SharedArrayBuffer;
}

/** A slice of the parsed file, in file order: records or rejected lines. */
export type CsvParseSlice = { records: CsvRecord[] } | { problems: CsvProblem[] };

/** Counts of what was sent, or why the file cannot be imported (worded for users, no content). */
export type CsvParseResult =
  | { format: CsvFormat; records: number; problems: number; slices: number }
  | { failure: 'unreadable' | 'invalid'; reason: string };

/**
 * Records per message. Deserialising 10,000 records takes the main thread about 15 ms, short
 * enough that /healthz and GraphQL answer between two slices.
 */
export const SLICE_RECORDS = 10_000;
const SLICES_AHEAD = 2;
/** A caller that takes no slice for this long has gone (its job failed): the task gives up. */
const STALLED_MS = 120_000;

/**
 * Reads a caption file (a regular file only: a named pipe would block the reading thread) and
 * parses it here, off the main thread, which on the embedded database also runs every query.
 */
export async function parseCsv({ input, port }: TaskMessage<CsvParseInput>): Promise<CsvParseResult> {
  let text: string;
  try {
    text = (await readRegularFile(input.path, input.maxBytes)).toString('utf8');
  } catch (err) {
    if (err instanceof FileTooLarge) return { failure: 'invalid', reason: `the file has ${err.size} bytes; at most ${err.limit} are imported (TAGFUSION_CSV_MAX_BYTES)` };
    if (err instanceof NotARegularFile && err.reason === 'special') return { failure: 'invalid', reason: `the path ${err.message}` };
    return { failure: 'unreadable', reason: err instanceof NotARegularFile ? err.message : 'cannot be read' };
  }
  let parsed;
  try {
    parsed = parseCaptionCsv(text, { maxRecords: input.maxRecords });
  } catch (err) {
    if (err instanceof CsvFileError) return { failure: 'invalid', reason: err.message };
    throw err;
  }
  const taken = new Int32Array(input.taken);
  let slices = 0;
  const send = async (slice: CsvParseSlice) => {
    let deadline = Date.now() + STALLED_MS;
    for (let seen = Atomics.load(taken, 0); slices - seen >= SLICES_AHEAD; seen = Atomics.load(taken, 0)) {
      const wait = Atomics.waitAsync(taken, 0, seen, 1000);
      if ((wait.async ? await wait.value : wait.value) !== 'timed-out') deadline = Date.now() + STALLED_MS;
      else if (Date.now() > deadline) throw new Error('the caller stopped taking parsed slices');
    }
    port.postMessage(slice);
    slices++;
  };
  for (let i = 0; i < parsed.records.length; i += SLICE_RECORDS) await send({ records: parsed.records.slice(i, i + SLICE_RECORDS) });
  for (let i = 0; i < parsed.problems.length; i += SLICE_RECORDS) await send({ problems: parsed.problems.slice(i, i + SLICE_RECORDS) });
  return { format: parsed.format, records: parsed.records.length, problems: parsed.problems.length, slices };
}
