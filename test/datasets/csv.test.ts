import { describe, expect, it } from 'vitest';
import { CsvHeaderError, CsvLimitError, DEFAULT_CSV_LIMITS, MAX_LABEL_ID, parseCaptionCsv } from '../../src/datasets/csv.js';
import { echoField } from '../../src/util/echo.js';

const H = 'ImageID,Labels,Caption';

describe('parseCaptionCsv', () => {
  it('rejects a file whose header is neither format, naming line 1', () => {
    expect(() => parseCaptionCsv('id,label\n1,2\n')).toThrow(CsvHeaderError);
    expect(() => parseCaptionCsv('id,label\n1,2\n')).toThrow(/line 1: expected the header/);
  });

  it('repeats nothing of a file that is not a caption file, nor of a line that is not a record', () => {
    // an .env or a server's configuration, imported by mistake or on purpose
    expect(() => parseCaptionCsv('SECRET_TOKEN=abc123\nOTHER=x\n')).toThrow(/^line 1: expected the header "ImageID,Labels,Caption" or "ImageID,Caption"; the file does not start with either$/);
    const r = parseCaptionCsv(`${H}\nSECRET_TOKEN=abc123\n`);
    expect(r.problems).toEqual([{ line: 2, reason: 'expected 3 comma-separated fields (imageid,labels,caption)' }]);
    expect(JSON.stringify(r)).not.toContain('abc123');
  });

  it('rejects the line of a label that is negative, fractional or beyond the stored integer, naming it', () => {
    const labels = ['99999999999999999999', '-3', '1.5', String(MAX_LABEL_ID + 1), '9'.repeat(400), `1${'\t'}2${'\u001b'}[2J`];
    const r = parseCaptionCsv(`${H}\n${labels.map((l, i) => `${i}.jpg,${l},"c"`).join('\n')}\n9.jpg,${MAX_LABEL_ID} 0 007,"ok"\n`);
    const range = `(label ids are whole numbers from 0 to ${MAX_LABEL_ID})`;
    expect(r.problems).toEqual([
      { line: 2, imageId: '0.jpg', reason: `label "99999999999999999999" is out of range ${range}` },
      { line: 3, imageId: '1.jpg', reason: `label "-3" is negative ${range}` },
      { line: 4, imageId: '2.jpg', reason: 'label "1.5" is not an integer' },
      { line: 5, imageId: '3.jpg', reason: `label "2147483648" is out of range ${range}` },
      { line: 6, imageId: '4.jpg', reason: `label "${'9'.repeat(40)}…" is out of range ${range}` },
      // the tab splits labels; the escape character is written out, never sent to a terminal
      { line: 7, imageId: '5.jpg', reason: 'label "2\\u001b[2J" is not an integer' },
    ]);
    expect(r.records).toEqual([{ line: 8, imageId: '9.jpg', labels: [MAX_LABEL_ID, 0, 7], caption: 'ok' }]);
  });

  it('echoField bounds a field and writes control characters out', () => {
    expect(echoField('a'.repeat(50))).toBe(`${'a'.repeat(40)}…`);
    expect(echoField('x\ny\r\u0000\u009b\u2028')).toBe('x\\ny\\r\\u0000\\u009b\\u2028');
    expect(echoField('short')).toBe('short');
  });

  it('reads plain records, with commas inside quoted and unquoted captions', () => {
    const r = parseCaptionCsv(`${H}\n0.jpg,1,"A man, a plan, a canal."\n1.jpg,2 3,Dogs, cats and birds\n`);
    expect(r.problems).toEqual([]);
    expect(r.records).toEqual([
      { line: 2, imageId: '0.jpg', labels: [1], caption: 'A man, a plan, a canal.' },
      { line: 3, imageId: '1.jpg', labels: [2, 3], caption: 'Dogs, cats and birds' },
    ]);
  });

  it('keeps unescaped inner quotes as written', () => {
    const r = parseCaptionCsv(`${H}\n5.jpg,1,"A sign that reads "for rent"."\n6.jpg,1,"A man surfing with titling that reads "spray.""\n7.jpg,3 13,"the word " Driving ' written under it."\n`);
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => x.caption)).toEqual([
      'A sign that reads "for rent".',
      'A man surfing with titling that reads "spray."',
      `the word " Driving ' written under it.`,
    ]);
  });

  it('undoes RFC 4180 doubled quotes only when every inner quote is doubled', () => {
    const r = parseCaptionCsv(`${H}\n1.jpg,1,"He said ""hi"" twice"\n`);
    expect(r.records[0].caption).toBe('He said "hi" twice');
  });

  it('joins captions that span lines, blank lines included, without losing the next record', () => {
    const r = parseCaptionCsv(`${H}\n10.jpg,18,"a taller one\nfull of jeans."\n11.jpg,1 2,"A couple of men w\n\n\nA couple of men standing."\n12.jpg,1,"Men loading a van.\n."\n13.jpg,4,"next"\n`);
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => [x.imageId, x.line, x.caption])).toEqual([
      ['10.jpg', 2, 'a taller one\nfull of jeans.'],
      ['11.jpg', 4, 'A couple of men w\n\n\nA couple of men standing.'],
      ['12.jpg', 8, 'Men loading a van.\n.'],
      ['13.jpg', 10, 'next'],
    ]);
  });

  it('keeps trailing spaces inside a caption that breaks across lines', () => {
    const r = parseCaptionCsv(`${H}\r\n1.jpg,4,"Red motor \r\nscooter on sand."\r\n`);
    expect(r.records[0].caption).toBe('Red motor \nscooter on sand.');
  });

  it('reports records it cannot use with line, ImageID and reason, and keeps the rest', () => {
    const r = parseCaptionCsv(`${H}\n1.jpg,1,"ok"\n2.jpg,x 3,"bad label"\n3.jpg,,"no labels"\njust some text\n4.jpg,2,"ok too"\n`);
    expect(r.records.map((x) => x.imageId)).toEqual(['1.jpg', '4.jpg']);
    expect(r.problems).toEqual([
      { line: 3, imageId: '2.jpg', reason: 'label "x" is not an integer' },
      { line: 4, imageId: '3.jpg', reason: 'no labels' },
      { line: 5, reason: expect.stringContaining('expected 3 comma-separated fields') }, // not a record: nothing of it is repeated
    ]);
  });

  it('reads the unlabelled test format', () => {
    const r = parseCaptionCsv('\uFEFFImageID,Caption\n30000.jpg,"A cat, asleep."\n30001.jpg,"Two\nlines"\n');
    expect(r.format).toBe('unlabelled');
    expect(r.records).toEqual([
      { line: 2, imageId: '30000.jpg', caption: 'A cat, asleep.' },
      { line: 3, imageId: '30001.jpg', caption: 'Two\nlines' },
    ]);
  });

  it('deduplicates repeated labels within a record', () => {
    expect(parseCaptionCsv(`${H}\n1.jpg,3 1 3,"c"\n`).records[0].labels).toEqual([3, 1]);
  });

  describe('limits against CSV bombs', () => {
    const limit = DEFAULT_CSV_LIMITS.maxFieldChars;

    it('accepts a caption at the field limit and refuses one a character longer, naming line and limit', () => {
      const at = parseCaptionCsv(`${H}\n0.jpg,1,${'a'.repeat(limit)}\n`);
      expect(at.records[0].caption.length).toBe(limit);
      const over = () => parseCaptionCsv(`${H}\n0.jpg,1,ok\n1.jpg,1,${'a'.repeat(limit + 1)}\n`);
      expect(over).toThrow(CsvLimitError);
      expect(over).toThrow(`line 3: a field is longer than ${limit} characters (the limit is ${limit})`);
    });

    it('refuses a huge image id or a huge line without fields', () => {
      expect(() => parseCaptionCsv(`${H}\n${'x'.repeat(limit + 1)}.jpg,1,ok\n`)).toThrow(/line 2: a field is longer/);
      expect(() => parseCaptionCsv(`${H}\n${'x'.repeat(limit + 1)}\n`)).toThrow(/line 2: a field is longer/);
    });

    it('counts a multi-line caption as one field, quickly even when it has many lines', () => {
      // An unclosed quote followed by 200 000 lines that never start a record: before the limit,
      // the caption was re-joined at each line (quadratic).
      const bomb = `${H}\n0.jpg,1,"open\n${'-\n'.repeat(200_000)}`;
      const started = Date.now();
      expect(() => parseCaptionCsv(bomb)).toThrow(`line 2: the caption is longer than ${limit} characters`);
      expect(Date.now() - started).toBeLessThan(2000);
      // blank lines inside a caption count too
      expect(() => parseCaptionCsv(`${H}\n0.jpg,1,"open${'\n'.repeat(limit + 1)}end"\n`)).toThrow(CsvLimitError);
    });

    it('refuses a line with more columns than the limit', () => {
      const columns = (n: number) => `${H}\n0.jpg,1,${Array.from({ length: n - 2 }, (_, i) => `w${i}`).join(',')}\n`;
      expect(parseCaptionCsv(columns(DEFAULT_CSV_LIMITS.maxColumns)).records).toHaveLength(1);
      expect(() => parseCaptionCsv(columns(DEFAULT_CSV_LIMITS.maxColumns + 1))).toThrow(`line 2: more than ${DEFAULT_CSV_LIMITS.maxColumns} comma-separated columns`);
      // a million columns is refused without splitting them all
      expect(() => parseCaptionCsv(`${H}\n${','.repeat(1_000_000)}\n`)).toThrow(CsvLimitError);
    });

    it('refuses more records than the limit, rejected records included, and ignores blank lines', () => {
      const rows = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? 'bad-row' : `${i}.jpg,1,c${i}`));
      const text = (n: number) => `${H}\n${rows(n).join('\n\n\n')}\n`;
      expect(parseCaptionCsv(text(5), { maxRecords: 5 })).toMatchObject({ records: { length: 4 }, problems: [{ line: 2 }] });
      expect(() => parseCaptionCsv(text(6), { maxRecords: 5 })).toThrow('line 17: more than 5 records (the limit is 5)');
      // a million empty lines are not records
      expect(parseCaptionCsv(`${H}\n${'\n'.repeat(1_000_000)}0.jpg,1,x\n`, { maxRecords: 1 }).records).toHaveLength(1);
    });
  });
});
