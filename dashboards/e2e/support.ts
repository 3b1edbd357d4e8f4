/**
 * End-to-end support: a real tagfusion server process on a temporary data directory, seeded
 * through GraphQL only, and Debian's Chromium driven by playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';

export const dashboardsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(dashboardsDir, '..');
export const screenshotsDir = join(dashboardsDir, 'e2e', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export interface Server {
  url: string;
  origin: string;
  dataDir: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
  output(): string;
}

/** Starts `node dist/cli/index.js serve` from the repository root (build it first). */
export async function startServer(env: Record<string, string> = {}): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-ui-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['dist/cli/index.js', 'serve'], {
    cwd: repoRoot,
    // The seeded datasets are written to the temporary folder: the server's one data root, as a
    // deployment names its dataset folders (a server never reads the temporary folder by default).
    // The webhook test's receiver listens on loopback, a private target an operator must allow.
    env: { ...process.env, TAGFUSION_DATA_DIR: dataDir, TAGFUSION_DATA_ROOTS: tmpdir(), TAGFUSION_WEBHOOK_ALLOW_PRIVATE: '1', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode != null) throw new Error(`server exited (${child.exitCode}):\n${out}`);
    try {
      if ((await fetch(`${origin}/healthz`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
    await sleep(250);
  }
  const post = (query: string, variables?: Record<string, unknown>) => fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const gql = async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
    // A kept-alive socket the server closed while idle (a machine under load stretches the idle
    // time) fails the fetch before the request is read: a query is sent again, a mutation never.
    const res = await post(query, variables).catch((err: unknown) => {
      if (/^\s*mutation\b/.test(query) || !(err instanceof TypeError)) throw err;
      return post(query, variables);
    });
    const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
    return body.data as T;
  };
  return {
    url: `${origin}/graphql`,
    origin,
    dataDir,
    gql,
    output: () => out,
    stop: async () => {
      if (child.exitCode == null) {
        child.kill('SIGTERM');
        await Promise.race([new Promise((r) => child.once('exit', r)), sleep(10_000)]);
        if (child.exitCode == null) child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, ms = 60_000, every = 200): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms`);
    await sleep(every);
  }
}

// --- A generated dataset: captions name their labels, images are coloured by the first label.

const WORDS: Record<number, string[]> = { 1: ['person', 'man', 'woman'], 2: ['bicycle', 'bike'], 3: ['car', 'sedan'], 4: ['dog', 'puppy'] };
export const LABEL_NAMES = [
  { id: 1, name: 'person' },
  { id: 2, name: 'bicycle' },
  { id: 3, name: 'car' },
  { id: 4, name: 'dog' },
];
const COLOURS: Record<number, [number, number, number]> = { 1: [220, 30, 30], 2: [30, 200, 40], 3: [40, 40, 230], 4: [230, 230, 40] };

/** A solid-colour PNG, written without an image library. */
export function png(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.set([r, g, b], y * (width * 3 + 1) + 1 + x * 3);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Writes `n` labelled samples (plus two defective records the importer rejects) to a folder. */
export function writeDataset(n: number): { csvPath: string; imagesDir: string; sampleImage: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tagfusion-ui-data-'));
  const imagesDir = join(dir, 'images');
  mkdirSync(imagesDir);
  const rows = ['ImageID,Labels,Caption'];
  for (let i = 0; i < n; i++) {
    const labels = [1 + (i % 4), ...(i % 3 === 0 ? [1 + ((i + 1) % 4)] : [])];
    const words = labels.map((l) => WORDS[l][i % WORDS[l].length]);
    rows.push(`${i}.png,${labels.join(' ')},"A photo of a ${words.join(' and a ')} near the ${['street', 'park', 'house'][i % 3]}"`);
    writeFileSync(join(imagesDir, `${i}.png`), png(16, 12, COLOURS[labels[0]]));
  }
  rows.push('missing.png,1,"A photo of a man"'); // no image file
  rows.push('bad.png,,"no labels at all"');
  const csvPath = join(dir, 'train.csv');
  writeFileSync(csvPath, rows.join('\n') + '\n');
  return { csvPath, imagesDir, sampleImage: join(imagesDir, '3.png') };
}

export async function importDataset(server: Server, name: string, n = 80): Promise<{ id: string; sampleImage: string }> {
  const fx = writeDataset(n);
  const { importDataset: job } = await server.gql(`mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id } }`, {
    input: { name, csvPath: fx.csvPath, imagesDir: fx.imagesDir, valFraction: 0.25, labelNames: LABEL_NAMES },
  });
  const done = await waitFor(async () => {
    const { job: j } = await server.gql(`query($id: ID!) { job(id: $id) { status error result } }`, { id: job.id });
    return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status) ? j : undefined;
  });
  if (done.status !== 'SUCCEEDED') throw new Error(`import failed: ${done.error}`);
  return { id: done.result.datasetId, sampleImage: fx.sampleImage };
}

export async function startTraining(server: Server, datasetId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { startTraining: run } = await server.gql(`mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`, {
    input: { datasetId, head: 'TEXT', epochs: 30, batchSize: 1, ...extra },
  });
  return run.id;
}

export const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export async function waitForRun(server: Server, id: string, ms = 120_000): Promise<{ status: string; error: string | null }> {
  return waitFor(async () => {
    const { run } = await server.gql(`query($id: ID!) { run(id: $id) { status error } }`, { id });
    return TERMINAL.includes(run.status) ? run : undefined;
  }, ms, 300);
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Where the README's screenshots live, and the views they show (shot name → file name). */
export const docScreenshotsDir = join(repoRoot, 'docs', 'screenshots');
const DOC_VIEWS: Record<string, string> = { 'runs-laptop': 'runs', run: 'run', compare: 'compare', 'registry-model': 'registry', jobs: 'jobs' };

/**
 * Saves a full-page screenshot under e2e/screenshots/<name>.png. With TAGFUSION_SCREENSHOTS=1,
 * the README's views are also saved to docs/screenshots/ as small JPEGs of a 1280×800 window;
 * without it (CI) no tracked file is rewritten.
 */
export async function shot(page: Page, name: string) {
  mkdirSync(screenshotsDir, { recursive: true });
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: true });
  const doc = DOC_VIEWS[name];
  if (process.env.TAGFUSION_SCREENSHOTS !== '1' || !doc) return;
  mkdirSync(docScreenshotsDir, { recursive: true });
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 800 });
  await sleep(500); // charts redraw at the new width
  await page.screenshot({ path: join(docScreenshotsDir, `${doc}.jpg`), type: 'jpeg', quality: 70 });
  if (viewport) await page.setViewportSize(viewport);
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page as it is now and returns its serious and critical violations, one
 * line per offending element: `rule (impact): help — target`, with the measured ratio and colours
 * for contrast failures. `exclude` lists selectors to skip.
 */
export async function axeViolations(page: Page, exclude: string[] = []): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  return page.evaluate(async (exclude) => {
    type Node = { target: string[]; any: { data?: { contrastRatio?: number; fgColor?: string; bgColor?: string } | null }[] };
    const axe = (window as any).axe;
    const { violations } = await axe.run(exclude.length ? { exclude } : document, { resultTypes: ['violations'] });
    return (violations as { id: string; impact: string; help: string; nodes: Node[] }[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) =>
        v.nodes.map((n) => {
          const c = n.any.find((a) => a.data?.contrastRatio)?.data;
          return `${v.id} (${v.impact}): ${v.help} — ${n.target.join(' ')}${c ? ` (${c.contrastRatio}:1, ${c.fgColor} on ${c.bgColor})` : ''}`;
        }),
      );
  }, exclude);
}
