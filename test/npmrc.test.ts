import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/paths.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * The repository's .npmrc: onnxruntime-node's install script must see ONNXRUNTIME_NODE_INSTALL=skip
 * (else it downloads CUDA libraries, unreachable offline) without an npm key npm does not know,
 * which made every npm and npx call warn.
 */
describe('.npmrc', () => {
  // As from a shell: npm's own variables (this test may run under npx) would override the file.
  const shell = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const node = (expression: string, env: Record<string, string | undefined>) =>
    run(npm, ['exec', '--offline', '-c', `node -e "process.stdout.write(String(${expression}))"`], { cwd: projectRoot, env: { ...shell, ...env } });
  const probe = (env: Record<string, string | undefined>) => node('process.env.ONNXRUNTIME_NODE_INSTALL', env);

  it('gives npm scripts ONNXRUNTIME_NODE_INSTALL=skip, and npm prints no warning about it', async () => {
    const { stdout, stderr } = await probe({ ONNXRUNTIME_NODE_INSTALL: undefined, NODE_OPTIONS: undefined });
    expect(stdout).toBe('skip');
    expect(stderr).not.toMatch(/Unknown (project|env|user|cli) config/);
  });

  it('leaves a value the caller set (a GPU host installs cuda12) and the caller’s NODE_OPTIONS', async () => {
    expect((await probe({ ONNXRUNTIME_NODE_INSTALL: 'cuda12' })).stdout).toBe('cuda12');
    const { stdout } = await node('process.env.NODE_OPTIONS', { NODE_OPTIONS: '--max-old-space-size=1234' });
    expect(stdout).toMatch(/^--max-old-space-size=1234 --import=data:/);
  });
});
