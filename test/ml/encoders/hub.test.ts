import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadHubFiles, hubFolder } from '../../../src/ml/encoders/hub.js';
import { startFakeHub, type FakeHub } from '../support/fake-hub.js';
import { tempDir } from '../support/images.js';

describe('hub download', () => {
  let hub: FakeHub;
  const weights = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 255));
  const wants = { required: [['onnx/model.onnx', 'model.onnx']], optional: ['preprocessor_config.json', 'config.json'] };

  beforeAll(async () => {
    hub = await startFakeHub(
      {
        'acme/tiny-vision': { 'model.onnx': weights, 'config.json': '{"a":1}' },
        'acme/broken': { 'model.onnx': weights },
      },
      { private: ['acme/secret'], breakFile: 'acme/broken/model.onnx' },
    );
  });
  afterAll(() => hub?.close());

  const fresh = () => {
    hub.requests.length = 0;
    hub.authorizations.length = 0;
    return { hubEndpoint: hub.endpoint, cacheDir: tempDir('tagfusion-hub-') };
  };

  it('refuses ids that are not owner/name before any request', async () => {
    const options = fresh();
    for (const id of ['../etc', 'a/b/c', 'acme/..', '/abs', '']) {
      await expect(downloadHubFiles(id, wants, options)).rejects.toThrow(/invalid Hugging Face hub id/);
    }
    expect(hub.requests).toEqual([]);
  });

  it('says that a repository is missing or private, and sends the token', async () => {
    const options = { ...fresh(), token: 'hf_test' };
    await expect(downloadHubFiles('acme/secret', wants, options)).rejects.toThrow(/401.*HF_TOKEN/);
    expect(hub.authorizations[0]).toBe('Bearer hf_test');
  });

  it('names the files it looked for when a required one is missing', async () => {
    const options = fresh();
    await expect(downloadHubFiles('acme/tiny-vision', { required: ['weights.bin'] }, options)).rejects.toThrow(/acme\/tiny-vision.*has none of weights\.bin/);
  });

  it('downloads the first alternative the hub has, follows redirects, and remembers what is absent', async () => {
    const options = fresh();
    const folder = await downloadHubFiles('acme/tiny-vision', wants, options);
    expect(folder).toBe(join(options.cacheDir, 'acme--tiny-vision'));
    expect(readFileSync(join(folder, 'model.onnx'))).toEqual(weights);
    expect(readFileSync(join(folder, 'config.json'), 'utf8')).toBe('{"a":1}');
    expect(existsSync(join(folder, 'preprocessor_config.json'))).toBe(false);
    expect(hub.requests).toEqual([
      '/acme/tiny-vision/resolve/main/onnx/model.onnx',
      '/acme/tiny-vision/resolve/main/model.onnx',
      '/cdn/acme/tiny-vision/-/model.onnx',
      '/acme/tiny-vision/resolve/main/preprocessor_config.json',
      '/acme/tiny-vision/resolve/main/config.json',
      '/cdn/acme/tiny-vision/-/config.json',
    ]);
    expect(hub.authorizations.every((a) => a === undefined)).toBe(true);
    // no temporary files left behind
    expect(readdirSync(folder).sort()).toEqual(['.tagfusion-hub.json', 'config.json', 'model.onnx']);

    // second call: served from the cache without a single request
    hub.requests.length = 0;
    expect(await downloadHubFiles('acme/tiny-vision', wants, options)).toBe(folder);
    expect(hub.requests).toEqual([]);

    // a new want asks only for the new file
    await expect(downloadHubFiles('acme/tiny-vision', { required: ['model.onnx', 'tokenizer.json'] }, options)).rejects.toThrow(/tokenizer\.json/);
    expect(hub.requests).toEqual(['/acme/tiny-vision/resolve/main/tokenizer.json']);
  });

  it('reads only the cache when HF_HUB_OFFLINE=1', async () => {
    const options = fresh();
    process.env.HF_HUB_OFFLINE = '1';
    try {
      await expect(downloadHubFiles('acme/tiny-vision', wants, options)).rejects.toThrow(/not in the cache.*HF_HUB_OFFLINE/);
      expect(hub.requests).toEqual([]);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
  });

  it('keeps other revisions apart', async () => {
    const options = fresh();
    const folder = await downloadHubFiles('acme/tiny-vision', { required: ['model.onnx'] }, { ...options, revision: 'v1.0' });
    expect(folder).toBe(hubFolder('acme/tiny-vision', { ...options, revision: 'v1.0' }));
    expect(folder.endsWith('acme--tiny-vision@v1.0')).toBe(true);
    expect(hub.requests[0]).toBe('/acme/tiny-vision/resolve/v1.0/model.onnx');
  });

  it('leaves no file behind when a download breaks off', async () => {
    const options = fresh();
    await expect(downloadHubFiles('acme/broken', { required: ['model.onnx'] }, options)).rejects.toThrow(/download of .*model\.onnx failed/);
    const folder = hubFolder('acme/broken', options);
    expect(existsSync(join(folder, 'model.onnx'))).toBe(false);
    expect(readdirSync(folder).filter((f) => f.endsWith('.part'))).toEqual([]);
  });
});
