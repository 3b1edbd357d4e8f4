import { describe, expect, it } from 'vitest';
import { childrenOf } from '../../src/artifacts/listing.js';
import { filePath, folderPath, runIdOf } from '../../src/artifacts/paths.js';
import { parseArtifactSource } from '../../src/artifacts/sources.js';

const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string; message: string }).code === 'BAD_INPUT' ? (err as Error).message : `not BAD_INPUT: ${String(err)}`;
  }
  return 'accepted';
};

describe('artifact paths', () => {
  it('refuses every path that could leave the run, without quoting it', () => {
    const bad = ['../x', 'a/../../x', '..', './a', 'a/./b', '/etc/passwd', 'C:/x', 'a\\..\\x', 'a\u0000b', 'a\nb', 'a//b', 'a/', '', 'x'.repeat(1_025), `${'y'.repeat(256)}/z`];
    for (const p of bad) {
      const message = refused(() => filePath(p));
      expect(message, JSON.stringify(p)).toMatch(/^path: /);
      if (p.length > 3) expect(message).not.toContain(p);
    }
    expect(refused(() => filePath(7))).toMatch(/^path: must name a file/);
  });

  it('accepts relative paths, and folders with the root as empty', () => {
    expect(filePath('model/model.onnx')).toBe('model/model.onnx');
    expect(filePath('weird name (1).txt')).toBe('weird name (1).txt');
    expect(filePath('a..b/..c')).toBe('a..b/..c');
    expect(filePath('a:b')).toBe('a:b');
    expect(folderPath(undefined)).toBe('');
    expect(folderPath('')).toBe('');
    expect(folderPath('model/')).toBe('model');
    expect(refused(() => folderPath('/'))).toMatch(/absolute/);
    expect(refused(() => folderPath('../'))).toMatch(/\.\. segments/);
  });

  it('takes run ids as UUIDs or as MLflow hex', () => {
    const id = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    expect(runIdOf(id)).toBe(id);
    expect(runIdOf(id.replace(/-/g, '').toUpperCase())).toBe(id);
    expect(refused(() => runIdOf(''))).toMatch(/^runId: must not be empty/);
    expect(refused(() => runIdOf('a\u0000'))).toMatch(/^runId: is not a run id/);
  });

  it('parses runs:/ and mlflow-artifacts:/ sources', () => {
    const hex = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
    const id = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    expect(parseArtifactSource(`runs:/${hex}/model`)).toEqual({ runId: id, path: 'model' });
    expect(parseArtifactSource(`runs:/${id}`)).toEqual({ runId: id, path: '' });
    expect(parseArtifactSource(`mlflow-artifacts:/3/${hex}/artifacts/model/onnx`)).toEqual({ projectId: 3, runId: id, path: 'model/onnx' });
    expect(parseArtifactSource(`mlflow-artifacts://host:4000/0/${hex}/artifacts`)).toEqual({ projectId: 0, runId: id, path: '' });
    for (const bad of ['s3://bucket/x', `runs:/${hex}/../x`, `mlflow-artifacts:/0/${hex}/model`, 'models:/m/1', `runs:/${hex}/a\u0000`]) {
      expect(refused(() => parseArtifactSource(bad)), bad).toMatch(/^source: /);
    }
  });

  it('lists a folder from rows: its files and the folders below it', () => {
    const row = (path: string, size = 1) => ({ uri: `r/${path}`, sizeBytes: BigInt(size), checksum: `sha-${path}` });
    const rows = [row('model.json', 5), row('model/MLmodel'), row('model/onnx/model.onnx', 9), row('readme.md'), { uri: 'other/x', sizeBytes: 1n, checksum: 'x' }];
    expect(childrenOf(rows, 'r', '').map((e) => [e.path, e.isDir, e.sizeBytes])).toEqual([
      ['model', true, null],
      ['model.json', false, 5],
      ['readme.md', false, 1],
    ]);
    expect(childrenOf(rows, 'r', 'model')).toEqual([
      { path: 'model/MLmodel', name: 'MLmodel', isDir: false, sizeBytes: 1, sha256: 'sha-model/MLmodel', downloadUrl: '/runs/r/artifacts/model/MLmodel' },
      { path: 'model/onnx', name: 'onnx', isDir: true, sizeBytes: null, sha256: null, downloadUrl: null },
    ]);
    expect(childrenOf(rows, 'r', 'model.json')).toEqual([]);
  });
});
