import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { missingForGpu } from '../../src/ml/gpu-check.js';

const run = promisify(execFile);

describe('TAGFUSION_DEVICE=gpu', () => {
  it('names the first thing a GPU run lacks: the driver, then tfjs-node-gpu’s native part', async () => {
    const noDriver = mkdtempSync(join(tmpdir(), 'tagfusion-dev-'));
    expect(await missingForGpu(noDriver)).toEqual([`no NVIDIA driver (${join(noDriver, 'nvidiactl')} is missing)`]);
    const driver = mkdtempSync(join(tmpdir(), 'tagfusion-dev-'));
    writeFileSync(join(driver, 'nvidiactl'), '');
    const [missing, ...rest] = await missingForGpu(driver);
    // npm ci here skips libtensorflow's download, so the package is there without its addon.
    expect(missing).toMatch(/^@tensorflow\/tfjs-node-gpu(’s|'s native part is not installed| is not installed| does not load)/);
    expect(rest).toEqual([]);
  });

  it('stops a worker at start with one line saying what is missing, never falling back to the CPU', async (ctx) => {
    if (!(await missingForGpu()).length) ctx.skip(); // a machine with a working GPU backend starts
    const dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-gpu-'));
    const failed = await run(process.execPath, ['bin/tagfusion.js', 'worker'], { env: { ...process.env, TAGFUSION_DEVICE: 'gpu', TAGFUSION_DATA_DIR: dataDir, DATABASE_URL: '' }, timeout: 60_000 }).then(
      () => null,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^tagfusion: TAGFUSION_DEVICE=gpu, but .+\. Unset it \(or set cpu\) to run on the CPU; docs\/GPU\.md says how to run on a GPU\.$/)]);
  }, 90_000);
});
