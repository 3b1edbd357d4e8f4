import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { jpeg, labelledDataset, writeDataset } from '../support/fixtures.js';
import { IMPORT, importThroughApi } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';

const DATASET = `query($id: ID!) { dataset(id: $id) {
  id name version labelled hasImages sampleCount checksum
  classes { id index name count }
  splitCounts { train val unlabelled }
  samples(first: 100) { imageId imagePath imageHash caption labels split line }
  rejectedCount rejected { line imageId reason }
} }`;

describe.each(DB_KINDS)('dataset import on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterAll(async () => server?.close());

  it('rejects bad input before queueing anything, naming the field', async () => {
    const fx = await labelledDataset(3);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ name: '', csvPath: fx.csvPath }, 'BAD_INPUT', /name/],
      [{ name: 'a/b', csvPath: fx.csvPath }, 'BAD_INPUT', /name may hold/],
      [{ name: 'x', csvPath: fx.csvPath, valFraction: 1.5 }, 'BAD_INPUT', /valFraction/],
      [{ name: 'x', csvPath: join(fx.dir, 'missing.csv') }, 'PATH_NOT_FOUND', /missing\.csv/],
      [{ name: 'x', csvPath: fx.csvPath, imagesDir: join(fx.dir, 'nope') }, 'PATH_NOT_FOUND', /nope/],
    ];
    for (const [input, code, message] of cases) {
      const r = await server.gql(IMPORT, { input });
      expect(r.errors?.[0].extensions?.code, JSON.stringify(input)).toBe(code);
      expect(r.errors?.[0].message).toMatch(message);
    }
    const { jobs } = await server.data(`{ jobs { id } }`);
    expect(jobs).toEqual([]);
  });

  it('fails the job with a clear reason for a file that is not a caption CSV', async () => {
    const fx = await writeDataset('a;b;c\n1;2;3\n');
    const job = await importThroughApi(server, { name: 'broken', csvPath: fx.csvPath });
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatch(/line 1: expected the header "ImageID,Labels,Caption"/);
    expect(job.attempts).toBe(1); // a bad file is not retried
    const { datasets } = await server.data(`{ datasets(name: "broken") { id } }`);
    expect(datasets).toEqual([]);
  });

  it('imports usable records and reports each defect with line, ImageID and reason', async () => {
    const truncated = (await jpeg(64, 48, 9)).subarray(0, 200);
    const csv = [
      'ImageID,Labels,Caption',
      '0.jpg,1,"A sign that reads "for rent"."', // unescaped inner quotes: kept
      '1.jpg,1 19,"Two lines,',
      'of caption."', // multi-line: joined
      '2.jpg,x,"label is not an integer"',
      '3.jpg,2,"image is missing"',
      '4.jpg,3,"image is garbage"',
      '0.jpg,1,"duplicate id"',
      '5.jpg,3,"image is truncated"',
      '../etc.jpg,1,"tries to leave the folder"',
      'no-fields-here',
      '6.jpg,19 3,plain caption, with a comma',
    ].join('\n');
    const fx = await writeDataset(csv + '\n', { '0.jpg': 'jpeg', '1.jpg': 'jpeg', '4.jpg': Buffer.from('not an image at all'), '5.jpg': truncated, '6.jpg': 'jpeg' });
    const job = await importThroughApi(server, { name: 'defects', csvPath: fx.csvPath, imagesDir: fx.imagesDir, labelNames: [{ id: 1, name: 'person' }] });
    expect(job.status, job.error).toBe('SUCCEEDED');
    expect(job.progress).toBe(1);
    const { dataset } = await server.data(DATASET, { id: job.dataset.id });
    expect(dataset).toMatchObject({ name: 'defects', version: 1, labelled: true, hasImages: true, sampleCount: 3, rejectedCount: 7 });
    expect(dataset.samples.map((s: any) => [s.imageId, s.caption, s.labels, s.line])).toEqual([
      ['0.jpg', 'A sign that reads "for rent".', [1], 2],
      ['1.jpg', 'Two lines,\nof caption.', [1, 19], 3],
      ['6.jpg', 'plain caption, with a comma', [19, 3], 12],
    ]);
    expect(dataset.samples.every((s: any) => /^[0-9a-f]{64}$/.test(s.imageHash))).toBe(true);
    expect(dataset.rejected).toEqual([
      { line: 5, imageId: '2.jpg', reason: 'label "x" is not an integer' },
      { line: 6, imageId: '3.jpg', reason: 'image file is missing' },
      { line: 7, imageId: '4.jpg', reason: expect.stringMatching(/^image cannot be decoded/) },
      { line: 8, imageId: '0.jpg', reason: 'duplicate ImageID (first seen on line 2)' },
      { line: 9, imageId: '5.jpg', reason: expect.stringMatching(/^image cannot be decoded/) },
      { line: 10, imageId: '../etc.jpg', reason: 'ImageID is not a plain file name' },
      { line: 11, imageId: null, reason: expect.stringContaining('expected 3 comma-separated fields') }, // not a record: nothing of it is repeated
    ]);
    expect(dataset.classes).toEqual([
      { id: 1, index: 0, name: 'person', count: 2 },
      { id: 3, index: 1, name: null, count: 1 },
      { id: 19, index: 2, name: null, count: 2 },
    ]);
  });

  it('returns the same version for identical content and a new one for changed content', async () => {
    const fx = await labelledDataset(20);
    const first = await importThroughApi(server, { name: 'reimport', csvPath: fx.csvPath, imagesDir: fx.imagesDir });
    const again = await importThroughApi(server, { name: 'reimport', csvPath: fx.csvPath, imagesDir: fx.imagesDir });
    expect(again.result).toMatchObject({ reused: true, version: 1, datasetId: first.result.datasetId });
    writeFileSync(join(fx.imagesDir, '3.jpg'), await jpeg(32, 24, 99)); // same CSV, one image changed
    const changed = await importThroughApi(server, { name: 'reimport', csvPath: fx.csvPath, imagesDir: fx.imagesDir });
    expect(changed.result).toMatchObject({ reused: false, version: 2 });
    const { datasets } = await server.data(`{ datasets(name: "reimport") { version sampleCount } }`);
    expect(datasets).toEqual([
      { version: 2, sampleCount: 20 },
      { version: 1, sampleCount: 20 },
    ]);
  });

  it('stores a seeded stratified split with the dataset', async () => {
    const fx = await labelledDataset(100, [[1], [1], [1, 2], [1], [5]]);
    const a = await importThroughApi(server, { name: 'split-a', csvPath: fx.csvPath, imagesDir: fx.imagesDir, valFraction: 0.2, splitSeed: 3 });
    const b = await importThroughApi(server, { name: 'split-b', csvPath: fx.csvPath, imagesDir: fx.imagesDir, valFraction: 0.2, splitSeed: 3 });
    const q = `query($id: ID!) { dataset(id: $id) { splitCounts { train val } samples(split: VAL, first: 100) { imageId labels } } }`;
    const da = (await server.data(q, { id: a.result.datasetId })).dataset;
    const db = (await server.data(q, { id: b.result.datasetId })).dataset;
    expect(da.splitCounts).toEqual({ train: 80, val: 20 });
    expect(da.samples).toEqual(db.samples); // same seed, same split
    expect(da.samples.filter((s: any) => s.labels.includes(5)).length).toBe(4); // 20 of class 5 → 4
  });

  it('imports a text-only dataset and an unlabelled test file', async () => {
    const text = await writeDataset('ImageID,Labels,Caption\n1.jpg,1,"a"\n2.jpg,2,"b"\n3.jpg,1 2,"c"\n');
    const job = await importThroughApi(server, { name: 'text-only', csvPath: text.csvPath });
    expect(job.status).toBe('SUCCEEDED');
    const { dataset } = await server.data(DATASET, { id: job.result.datasetId });
    expect(dataset).toMatchObject({ hasImages: false, labelled: true, sampleCount: 3 });
    expect(dataset.samples[0].imagePath).toBeNull();

    const test = await writeDataset('ImageID,Caption\n40000.jpg,"unseen, unlabelled"\n40001.jpg,"another"\n');
    const tjob = await importThroughApi(server, { name: 'test-set', csvPath: test.csvPath });
    const unl = (await server.data(DATASET, { id: tjob.result.datasetId })).dataset;
    expect(unl).toMatchObject({ labelled: false, sampleCount: 2, classes: [], splitCounts: { train: 0, val: 0, unlabelled: 2 } });
    expect(unl.samples.map((s: any) => [s.caption, s.labels, s.split])).toEqual([
      ['unseen, unlabelled', [], 'UNLABELLED'],
      ['another', [], 'UNLABELLED'],
    ]);
  });
});
