import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('defaults to the embedded database in ./.tagfusion on port 4000', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toMatch(/\.tagfusion$/);
    expect(c).toMatchObject({ port: 4000, host: '127.0.0.1', device: 'auto', jobConcurrency: 2 });
    // One worker thread per core: extraction and prediction keep every core busy by default.
    expect(c.workerThreads).toBe(availableParallelism());
  });

  it('reads every variable', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgresql://u:p@db:5432/tf',
      TAGFUSION_DATA_DIR: '/tmp/x',
      PORT: '8080',
      TAGFUSION_DEVICE: 'gpu',
      TAGFUSION_WORKER_THREADS: '3',
      TAGFUSION_JOB_CONCURRENCY: '4',
    });
    expect(c).toMatchObject({ databaseUrl: 'postgresql://u:p@db:5432/tf', dataDir: '/tmp/x', port: 8080, device: 'gpu', workerThreads: 3, jobConcurrency: 4 });
  });

  it('stops with a message naming each invalid variable', () => {
    const bad = { DATABASE_URL: 'mysql://x', PORT: 'eighty', TAGFUSION_DEVICE: 'tpu', TAGFUSION_WORKER_THREADS: '0' };
    expect(() => loadConfig(bad)).toThrow(ConfigError);
    try {
      loadConfig(bad);
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toMatch(/DATABASE_URL: DATABASE_URL must start with postgresql:\/\//);
      expect(message).toMatch(/PORT: PORT must be a number/);
      expect(message).toMatch(/TAGFUSION_DEVICE: TAGFUSION_DEVICE must be auto, cpu or gpu/);
      expect(message).toMatch(/TAGFUSION_WORKER_THREADS: TAGFUSION_WORKER_THREADS must be positive/);
    }
  });
});
