import { describe, expect, it } from 'vitest';
import { CsvHeaderError, parseCaptionCsv } from '../../src/datasets/csv.js';

const H = 'ImageID,Labels,Caption';

describe('parseCaptionCsv', () => {
  it('rejects a file whose header is neither format, naming line 1', () => {
    expect(() => parseCaptionCsv('id,label\n1,2\n')).toThrow(CsvHeaderError);
    expect(() => parseCaptionCsv('id,label\n1,2\n')).toThrow(/line 1: expected the header/);
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
      { line: 5, imageId: 'just some text', reason: expect.stringContaining('expected 3 comma-separated fields') },
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
});
