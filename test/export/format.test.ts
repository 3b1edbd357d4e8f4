import { describe, expect, it } from 'vitest';
import { csvField, csvHeader, csvRecord, jsonLine, neutralise } from '../../src/export/format.js';

describe('export cells', () => {
  it('neutralises cells a spreadsheet would run as formulas (OWASP), but not plain numbers', () => {
    for (const cell of ['=cmd()', '+SUM(A1)', '-2+3', '@SUM(A1)', '\tx', '\rx', "=HYPERLINK(\"http://x\")", '-', '+']) expect(neutralise(cell)).toBe(`'${cell}`);
    for (const cell of ['-0.5', '+1e-3', '-12', '.5', '1,5', 'a=b', 'plain', '', "'=x"]) expect(neutralise(cell)).toBe(cell);
  });

  it('quotes fields as RFC 4180 says: commas, quotes and line breaks, quotes doubled', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=1,2')).toBe(`"'=1,2"`);
    expect(csvField(null)).toBe('');
    expect(csvField(0.1)).toBe('0.1');
    expect([NaN, Infinity, -Infinity].map(csvField)).toEqual(['NaN', 'Infinity', '-Infinity']);
    expect(csvHeader(['id', '=x'])).toBe(`id,'=x\r\n`);
    expect(csvRecord(['a', 'b', 'c'], { a: 'x', c: 3 })).toBe('x,,3\r\n');
  });

  it('writes JSON lines with non-finite numbers as text and no formula guard', () => {
    expect(jsonLine({ a: NaN, b: -Infinity, c: 1.5, d: '=cmd()', e: null })).toBe('{"a":"NaN","b":"-Infinity","c":1.5,"d":"=cmd()","e":null}\n');
  });
});
