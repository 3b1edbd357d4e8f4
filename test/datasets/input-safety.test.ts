import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { jpeg } from '../support/fixtures.js';
import { IMPORT, importThroughApi } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** A valid PNG whose header claims `width` × `height`: sharp reads the size without decoding. */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toBuffer());
  // IHDR is the first chunk: length (4) 'IHDR' (4) width (4) height (4) … then its CRC over type+data.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

/**
 * Imports read only under the data roots (here one folder, TAGFUSION_DATA_ROOTS), and refuse
 * files and images beyond the configured limits with a reason that names the limit.
 */
describe.each(DB_KINDS)('import input safety on %s', (kind) => {
  const base = mkdtempSync(join(tmpdir(), 'tagfusion-roots-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  let server: TestServer;

  beforeAll(async () => {
    for (const d of [root, join(root, 'images'), outside, join(outside, 'images')]) mkdirSync(d);
    writeFileSync(join(outside, 'data.csv'), 'ImageID,Labels,Caption\n0.jpg,1,x\n');
    writeFileSync(join(outside, 'secret.jpg'), await jpeg(8, 8, 1));
    symlinkSync(join(outside, 'data.csv'), join(root, 'link.csv'));
    symlinkSync(join(outside, 'images'), join(root, 'linked-images'));
    server = await startTestServer(kind, {
      env: { TAGFUSION_DATA_ROOTS: root, TAGFUSION_CSV_MAX_BYTES: '4096', TAGFUSION_CSV_MAX_RECORDS: '20', TAGFUSION_IMAGE_MAX_PIXELS: '10000' },
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(base, { recursive: true, force: true });
  });

  const write = (name: string, text: string) => {
    writeFileSync(join(root, name), text);
    return join(root, name);
  };

  it('refuses paths outside the data roots, through .. or a link, before queueing anything', async () => {
    const good = write('good.csv', 'ImageID,Labels,Caption\n0.jpg,1,x\n');
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ csvPath: join(outside, 'data.csv') }, 'PATH_NOT_ALLOWED', /CSV file .*outside\/data\.csv is outside the folders/],
      [{ csvPath: `${root}/../outside/data.csv` }, 'PATH_NOT_ALLOWED', /is outside the folders/],
      [{ csvPath: '/etc/passwd' }, 'PATH_NOT_ALLOWED', /\/etc\/passwd is outside/],
      [{ csvPath: join(root, 'link.csv') }, 'PATH_NOT_ALLOWED', /link\.csv is outside the folders/],
      [{ csvPath: good, imagesDir: join(root, 'linked-images') }, 'PATH_NOT_ALLOWED', /Images folder .*linked-images is outside/],
      [{ csvPath: good, imagesDir: outside }, 'PATH_NOT_ALLOWED', /Images folder/],
      [{ csvPath: join(root, 'missing.csv') }, 'PATH_NOT_FOUND', /missing\.csv does not exist/],
      [{ csvPath: join(root, 'images') }, 'PATH_NOT_FOUND', /CSV file/], // a folder is not a file
      [{ csvPath: good, imagesDir: good }, 'PATH_NOT_FOUND', /Images folder/],
    ];
    for (const [input, code, message] of cases) {
      const r = await server.gql(IMPORT, { input: { name: 'paths', ...input } });
      expect(r.errors?.[0].extensions?.code, JSON.stringify(input)).toBe(code);
      expect(r.errors?.[0].message, JSON.stringify(input)).toMatch(message);
    }
    expect((await server.data(`{ jobs { id } }`)).jobs).toEqual([]);
    // inside the root, the same file imports
    const job = await importThroughApi(server, { name: 'paths', csvPath: `${root}/images/../good.csv` });
    expect(job.status, job.error).toBe('SUCCEEDED');
  });

  it('fails a CSV larger than TAGFUSION_CSV_MAX_BYTES without retrying, naming file and limit', async () => {
    const path = write('big.csv', `ImageID,Labels,Caption\n${Array.from({ length: 19 }, (_, i) => `${i}.jpg,1,${'w'.repeat(250)}`).join('\n')}\n`);
    const job = await importThroughApi(server, { name: 'big', csvPath: path });
    expect(job).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(job.error).toMatch(/big\.csv: the file has \d+ bytes; at most 4096 are imported \(TAGFUSION_CSV_MAX_BYTES\)/);
  });

  it('fails a CSV with more records than TAGFUSION_CSV_MAX_RECORDS, or too many columns, naming the line', async () => {
    const many = write('many.csv', `ImageID,Labels,Caption\n${Array.from({ length: 21 }, (_, i) => `${i}.jpg,1,c`).join('\n')}\n`);
    const job = await importThroughApi(server, { name: 'many', csvPath: many });
    expect(job).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(job.error).toMatch(/many\.csv: line 22: more than 20 records \(the limit is 20\)/);
    const wide = write('wide.csv', `ImageID,Labels,Caption\n0.jpg,1,ok\n1.jpg,1,${'a,'.repeat(150)}\n`);
    const wideJob = await importThroughApi(server, { name: 'wide', csvPath: wide });
    expect(wideJob.error).toMatch(/wide\.csv: line 3: more than 100 comma-separated columns/);
    const { datasets } = await server.data(`{ datasets { name } }`);
    expect(datasets.map((d: any) => d.name)).not.toContain('many');
  });

  it('rejects images over the pixel limit and image links leading out of the folder, per record', async () => {
    const images = join(root, 'images');
    writeFileSync(join(images, 'small.jpg'), await jpeg(100, 100, 2)); // 10 000 pixels: at the limit
    writeFileSync(join(images, 'wide.jpg'), await jpeg(101, 100, 3));
    writeFileSync(join(images, 'bomb.png'), await pngClaiming(30000, 30000));
    symlinkSync(join(outside, 'secret.jpg'), join(images, 'escape.jpg'));
    const csv = write('images.csv', 'ImageID,Labels,Caption\nsmall.jpg,1,a\nwide.jpg,1,b\nbomb.png,1,c\nescape.jpg,1,d\n');
    const job = await importThroughApi(server, { name: 'images', csvPath: csv, imagesDir: images });
    expect(job.status, job.error).toBe('SUCCEEDED');
    const { dataset } = await server.data(`query($id: ID!) { dataset(id: $id) { sampleCount rejected { line imageId reason } } }`, { id: job.result.datasetId });
    expect(dataset.sampleCount).toBe(1);
    expect(dataset.rejected).toEqual([
      { line: 3, imageId: 'wide.jpg', reason: 'image is 101×100 pixels (10100); at most 10000 pixels are accepted (TAGFUSION_IMAGE_MAX_PIXELS)' },
      { line: 4, imageId: 'bomb.png', reason: 'image is 30000×30000 pixels (900000000); at most 10000 pixels are accepted (TAGFUSION_IMAGE_MAX_PIXELS)' },
      { line: 5, imageId: 'escape.jpg', reason: 'image file is a link that leads outside the images folder' },
    ]);
  });
});
