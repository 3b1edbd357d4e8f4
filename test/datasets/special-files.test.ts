import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRgb } from '../../src/ml/encoders/image-preprocess.js';
import { checkInputs } from '../../src/prediction/inputs.js';
import type { PredictorPlan } from '../../src/prediction/plan.js';
import { FileTooLarge, NotARegularFile, readRegularFile } from '../../src/util/read-file.js';
import { DB_KINDS, fixturesRoot } from '../support/databases.js';
import { jpeg, writeDataset } from '../support/fixtures.js';
import { importThroughApi } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** A named pipe with no writer: opening it for reading without O_NONBLOCK blocks for good. */
function fifo(dir: string, name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

/** Fails if `promise` has not settled within `ms` (a blocked libuv thread never settles it). */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms))]);

describe('reading images and caption files from disk', () => {
  const dir = mkdtempSync(join(fixturesRoot(), 'special-'));

  it('reads a regular file, and refuses a pipe, a device, a folder and an oversized file on the descriptor', async () => {
    writeFileSync(join(dir, 'plain.txt'), 'hello');
    expect((await readRegularFile(join(dir, 'plain.txt'), 5)).toString()).toBe('hello');
    await expect(readRegularFile(join(dir, 'plain.txt'), 4)).rejects.toEqual(new FileTooLarge(5, 4));
    const pipe = fifo(dir, 'pipe');
    for (const [path, message] of [
      [pipe, 'is a named pipe, not a regular file'],
      ['/dev/zero', 'is a device, not a regular file'],
      [dir, 'is a folder, not a regular file'],
    ]) {
      const err = await within(readRegularFile(path, 1024), 2000).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(NotARegularFile);
      expect((err as Error).message).toBe(message);
    }
  });

  it('feature extraction and raw-image prediction refuse a pipe at once', async () => {
    const pipe = fifo(dir, 'extract.jpg');
    await expect(within(loadRgb(pipe, { width: 8, height: 8, fit: 'fill' }), 2000)).rejects.toThrow(`cannot read image ${pipe}: is a named pipe, not a regular file`);
    const plan = { label: 'm/1', head: 'vision', needs: { text: false, image: true } } as unknown as PredictorPlan;
    const err = await within(checkInputs([{ image: { path: pipe } }], plan, async () => [dir]), 2000).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_INPUT', message: 'inputs.0.image.path: the path is a named pipe, not a regular file' });
  });
});

describe.each(DB_KINDS)('an import naming special files on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterAll(async () => server?.close());

  it('rejects a named pipe given as an image, per record, and the process goes on', async () => {
    const fx = await writeDataset('ImageID,Labels,Caption\n0.jpg,1,"fine"\npipe.jpg,1,"a named pipe"\n', { '0.jpg': 'jpeg' });
    fifo(fx.imagesDir, 'pipe.jpg');
    const job = await within(importThroughApi(server, { name: 'pipe-image', csvPath: fx.csvPath, imagesDir: fx.imagesDir }), 30_000);
    expect(job.status, job.error).toBe('SUCCEEDED');
    const { dataset } = await server.data(`query($id: ID!) { dataset(id: $id) { sampleCount rejected { line imageId reason } } }`, { id: job.result.datasetId });
    expect(dataset).toEqual({ sampleCount: 1, rejected: [{ line: 3, imageId: 'pipe.jpg', reason: 'image file is a named pipe, not a regular file' }] });
    await expectStillServing(server);
  });

  it('fails the import of a named pipe given as the caption file, and the process goes on', async () => {
    const fx = await writeDataset('');
    const csvPath = fifo(fx.dir, 'captions.csv');
    const job = await within(importThroughApi(server, { name: 'pipe-csv', csvPath }), 30_000);
    expect(job).toMatchObject({ status: 'FAILED', attempts: 1, error: `${csvPath}: the path is a named pipe, not a regular file` });
    await expectStillServing(server);
  });
});

/** Files are still read (libuv's file threads are free): an import with images and /healthz. */
async function expectStillServing(server: TestServer) {
  const healthz = await within(fetch(server.http.url.replace(/\/graphql$/, '/healthz')), 2000);
  expect(healthz.status).toBe(200);
  const images: Record<string, 'jpeg'> = {};
  for (let i = 0; i < 8; i++) images[`${i}.jpg`] = 'jpeg';
  const fx = await writeDataset(`ImageID,Labels,Caption\n${Object.keys(images).map((id) => `${id},1,"c"`).join('\n')}\n`, images);
  const job = await within(importThroughApi(server, { name: 'after', csvPath: fx.csvPath, imagesDir: fx.imagesDir }), 30_000);
  expect(job).toMatchObject({ status: 'SUCCEEDED', result: { sampleCount: 8 } });
  expect(await jpeg()).toBeInstanceOf(Buffer); // sharp still decodes on this process's threads
}
