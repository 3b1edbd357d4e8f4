/** Columns padded to their widest cell, for terminal tables (`tagfusion datasets`, `runs`). */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Prints `value` as JSON with --json, else the text. */
export const printOutput = (json: boolean | undefined, value: unknown, text: string) => process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text);
