import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

/** The package root, from src/ (tests, tsx) or from dist/ (built). */
export const projectRoot = resolve(here, '..');

/**
 * The compiled entry point of a worker task. piscina starts plain Node worker threads, which
 * cannot load TypeScript, so tests running from src/ use the build in dist/ (`npm test` builds first).
 */
export function workerScript(name: string): string {
  return join(projectRoot, 'dist', 'workers', `${name}.js`);
}
