/**
 * How exported cells are written: CSV as RFC 4180 has it, with a guard against spreadsheet
 * formula injection, and JSON lines. Both spell the non-finite numbers a diverging training logs
 * as `NaN`, `Infinity` and `-Infinity` (JSON has no literal for them; MLflow prints them so).
 */

export type ExportFormat = 'csv' | 'jsonl';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'jsonl'];

/** A cell: text a user wrote (names, params, tags), a number we measured, or nothing. */
export type Cell = string | number | null;

/** A row's cells by column name, in column order. */
export type Row = Record<string, Cell>;

/** RFC 4180 ends records with CRLF; spreadsheet programs and Python's csv module expect it. */
const EOL = '\r\n';

/**
 * OWASP's CSV injection advice: a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage
 * return is read by spreadsheet programs as a formula (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`),
 * so such a cell gets a leading single quote, which makes it text. A cell that is wholly a
 * decimal number (`-0.5`, `+1e-3`, a learning rate logged as a param) is left alone: no formula
 * is a bare number, and quoting it would turn every negative value into text.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function neutralise(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** A number as both formats print it: JavaScript's shortest round-trip form, or NaN/Infinity/-Infinity. */
export const numberText = (n: number): string => (Number.isNaN(n) ? 'NaN' : n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : String(n));

/** RFC 4180: a field holding a comma, a double quote or a line break is quoted, its quotes doubled. */
function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** One CSV field: text is guarded and quoted, numbers written as numberText, null as empty. */
export function csvField(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return numberText(cell);
  return quote(neutralise(cell));
}

/** A CSV record of the given columns (a missing cell is empty). Column names are guarded too. */
export const csvRecord = (columns: readonly string[], row: Row): string => columns.map((c) => csvField(row[c] ?? null)).join(',') + EOL;
export const csvHeader = (columns: readonly string[]): string => columns.map((c) => csvField(c)).join(',') + EOL;

/** A JSON line: the row's cells as given, non-finite numbers as their text. */
export function jsonLine(row: Row): string {
  const out: Record<string, string | number | null> = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'number' && !Number.isFinite(v) ? numberText(v) : v;
  return JSON.stringify(out) + '\n';
}
