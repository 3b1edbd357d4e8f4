/**
 * A tolerant reader for the competition's caption files (`ImageID,Labels,Caption` or, for the
 * unlabelled test set, `ImageID,Caption`).
 *
 * The published files are not RFC 4180: quoted captions hold unescaped inner quotes
 * (`"reads "spray.""`) and some span several lines. A strict parser rejects them and a
 * naive split corrupts them. Here a record begins at a line that starts with an image id;
 * while a quoted caption is still open (its text does not yet end with a quote), following
 * lines continue it unless they clearly start a new record (an id of the same shape as the
 * file's ids, followed by the record's other fields). Captions keep their exact text,
 * including inner quotes and line breaks; only the enclosing quotes are removed, and
 * RFC-style doubled quotes are undone when every inner quote is doubled.
 */

import { echoField } from '../util/echo.js';

export type CsvFormat = 'labelled' | 'unlabelled';

export interface CsvRecord {
  /** 1-based line where the record starts (the header is line 1) */
  line: number;
  imageId: string;
  /** undefined in the unlabelled format */
  labels?: number[];
  caption: string;
}

export interface CsvProblem {
  line: number;
  imageId?: string;
  reason: string;
}

export interface ParsedCsv {
  format: CsvFormat;
  records: CsvRecord[];
  problems: CsvProblem[];
}

/** Thrown when the file as a whole cannot be read as a caption file; the message names the line. */
export class CsvFileError extends Error {}

/** The header is neither format. */
export class CsvHeaderError extends CsvFileError {}

/** The file breaks one of the size limits (a CSV bomb, or simply too big to import at once). */
export class CsvLimitError extends CsvFileError {}

/**
 * Limits that stop a hostile or broken file before it exhausts memory. A COCO caption is about
 * 60 characters and the competition's files hold 30 000 records, so each limit is far above
 * any real file; a file that hits one is refused as a whole rather than partly imported.
 */
export interface CsvLimits {
  /** longest field (image id, labels, caption, a multi-line caption included), in characters */
  maxFieldChars: number;
  /** most comma-separated columns on one line; captions may hold commas, so this is generous */
  maxColumns: number;
  /** most records (accepted and rejected together) */
  maxRecords: number;
}

export const DEFAULT_CSV_LIMITS: CsvLimits = { maxFieldChars: 64 * 1024, maxColumns: 100, maxRecords: 2_000_000 };

const HEADERS: Record<string, CsvFormat> = {
  'imageid,labels,caption': 'labelled',
  'imageid,caption': 'unlabelled',
};

interface Pending {
  line: number;
  imageId: string;
  labelsText?: string;
  /** caption lines as read, before the enclosing quotes are removed */
  raw: string[];
  quoted: boolean;
  /**
   * a quoted caption whose text does not yet end with a quote; kept up to date line by line
   * (re-joining the caption at each line would be quadratic in a many-line caption)
   */
  open: boolean;
  /** characters in the caption so far */
  chars: number;
}

export function parseCaptionCsv(text: string, limits: Partial<CsvLimits> = {}): ParsedCsv {
  const { maxFieldChars, maxColumns, maxRecords } = { ...DEFAULT_CSV_LIMITS, ...limits };
  const lines = linesOf(text.replace(/^\uFEFF/, ''));
  const first = lines.next();
  const headerLine = first.done ? '' : first.value.slice(0, 200);
  const header = headerLine.trim().toLowerCase().replace(/\s*,\s*/g, ',');
  const format = HEADERS[header];
  // The line found is not quoted: a file that is not a caption file (an .env, a server's
  // configuration) would otherwise be readable, line by line, through this error.
  if (!format) throw new CsvHeaderError('line 1: expected the header "ImageID,Labels,Caption" or "ImageID,Caption"; the file does not start with either');
  const fieldCount = format === 'labelled' ? 3 : 2;
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  let idSuffix: string | undefined;
  let pending: Pending | undefined;

  const flush = () => {
    if (!pending) return;
    const result = finishRecord(pending, format);
    if ('reason' in result) problems.push(result);
    else records.push(result);
    pending = undefined;
  };

  let lineNo = 1;
  for (const lineText of lines) {
    lineNo++;
    if (countColumns(lineText, maxColumns + 1) > maxColumns) {
      throw new CsvLimitError(`line ${lineNo}: more than ${maxColumns} comma-separated columns (the limit is ${maxColumns})`);
    }
    if (pending?.open && !looksLikeRecordStart(lineText, fieldCount, idSuffix)) {
      pending.raw.push(lineText);
      pending.chars += lineText.length + 1;
      if (pending.chars > maxFieldChars) {
        throw new CsvLimitError(`line ${pending.line}: the caption is longer than ${maxFieldChars} characters (the limit is ${maxFieldChars})`);
      }
      // The caption's text ends at its last line that holds anything: blank lines keep it open.
      if (lineText.trim() !== '') pending.open = !lineText.trimEnd().endsWith('"');
      continue;
    }
    flush();
    if (lineText.trim() === '') continue;
    if (records.length + problems.length >= maxRecords) {
      throw new CsvLimitError(`line ${lineNo}: more than ${maxRecords} records (the limit is ${maxRecords})`);
    }
    const fields = splitLeadingFields(lineText, fieldCount);
    const long = fields?.find((f) => f.length > maxFieldChars) ?? (fields ? undefined : lineText.length > maxFieldChars ? lineText : undefined);
    if (long !== undefined) {
      throw new CsvLimitError(`line ${lineNo}: a field is longer than ${maxFieldChars} characters (the limit is ${maxFieldChars})`);
    }
    if (!fields) {
      // No ImageID is quoted: a line that is not a record may be anything (see the header error).
      problems.push({ line: lineNo, reason: `expected ${fieldCount} comma-separated fields (${Object.keys(HEADERS).find((h) => HEADERS[h] === format)})` });
      continue;
    }
    const [imageId, ...rest] = fields;
    const caption = rest[rest.length - 1];
    idSuffix ??= suffixOf(imageId);
    const quoted = caption.trimStart().startsWith('"');
    const trimmed = caption.trim();
    pending = {
      line: lineNo,
      imageId,
      labelsText: format === 'labelled' ? rest[0] : undefined,
      raw: [caption],
      quoted,
      open: quoted && (trimmed.length < 2 || !trimmed.endsWith('"')),
      chars: caption.length,
    };
  }
  flush();
  return { format, records, problems };
}

/**
 * The file's lines (split at \n or \r\n) one at a time, so that a file of millions of empty
 * lines costs no more memory than its text.
 */
function* linesOf(text: string): Generator<string> {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    yield text.slice(start, stop);
    start = end + 1;
  }
}

/** Comma-separated columns on a line, counting no further than `stopAt`. */
function countColumns(line: string, stopAt: number): number {
  let columns = 1;
  for (let i = line.indexOf(','); i >= 0 && columns < stopAt; i = line.indexOf(',', i + 1)) columns++;
  return columns;
}

/** Splits off the first `count - 1` fields; the last field is the rest of the line (commas allowed). */
function splitLeadingFields(line: string, count: number): string[] | undefined {
  const out: string[] = [];
  let rest = line;
  for (let f = 0; f < count - 1; f++) {
    const comma = rest.indexOf(',');
    if (comma < 0) return undefined;
    out.push(rest.slice(0, comma).trim());
    rest = rest.slice(comma + 1);
  }
  out.push(rest);
  return out;
}

function looksLikeRecordStart(line: string, fieldCount: number, idSuffix: string | undefined): boolean {
  const fields = splitLeadingFields(line, fieldCount);
  if (!fields) return false;
  const id = fields[0];
  if (!/^[^\s",]+$/.test(id)) return false;
  if (idSuffix !== undefined && suffixOf(id) !== idSuffix) return false;
  return fieldCount === 2 || /^[\d\s]*$/.test(fields[1]);
}

function suffixOf(id: string): string {
  const dot = id.lastIndexOf('.');
  return dot > 0 ? id.slice(dot).toLowerCase() : '';
}

function finishRecord(p: Pending, format: CsvFormat): CsvRecord | CsvProblem {
  const base = { line: p.line, imageId: p.imageId };
  if (p.imageId === '') return { ...base, imageId: undefined, reason: 'empty ImageID' };
  let caption = p.raw.join('\n');
  if (p.quoted) caption = unquote(caption.trim());
  // PostgreSQL text cannot hold NUL: the record is rejected here, not the whole import there.
  if (p.imageId.includes('\u0000')) return { ...base, reason: 'ImageID holds a NUL character' };
  if (caption.includes('\u0000')) return { ...base, reason: 'caption holds a NUL character' };
  if (format === 'unlabelled') return { ...base, caption };
  const tokens = (p.labelsText ?? '').split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return { ...base, reason: 'no labels' };
  for (const t of tokens) {
    const problem = labelProblem(t);
    if (problem) return { ...base, reason: `label "${echoField(t)}" ${problem}` };
  }
  const labels = [...new Set(tokens.map(Number))];
  return { ...base, labels, caption };
}

/**
 * Label ids are stored in PostgreSQL integer columns (Sample.labels, LabelClass.classId): a
 * larger id would fail the whole import in the database, so its line is rejected here instead.
 */
export const MAX_LABEL_ID = 2_147_483_647;

function labelProblem(token: string): string | undefined {
  const range = `(label ids are whole numbers from 0 to ${MAX_LABEL_ID})`;
  if (/^-\d+$/.test(token)) return `is negative ${range}`;
  if (!/^\d+$/.test(token)) return 'is not an integer';
  // Compared as text as well: a 400-digit label is Infinity as a number.
  if (token.replace(/^0+(?=\d)/, '').length > 10 || Number(token) > MAX_LABEL_ID) return `is out of range ${range}`;
  return undefined;
}

function unquote(text: string): string {
  let inner = text.startsWith('"') ? text.slice(1) : text;
  if (inner.endsWith('"')) inner = inner.slice(0, -1);
  // RFC 4180 escaping ("" for ") is undone only when every inner quote is part of a pair;
  // the original file's unescaped quotes are kept as they are.
  if (inner.includes('""') && !inner.replace(/""/g, '').includes('"')) return inner.replace(/""/g, '"');
  return inner;
}
