/**
 * Image feature extraction speed of `centernet-coco`: images/s with 1 and with 2 worker threads,
 * each running its own encoder (as pool threads do), on generated 640×480 JPEGs or on a folder.
 * Model loading and the first (compiling) call are timed apart from the steady state. Besides
 * images/s it reports the CPU time per image, which a shared machine disturbs far less, and the
 * images/s that CPU time projects for otherwise idle cores. Prints a table and writes
 * bench/results/extract-speed.json.
 *
 *   npx tsx bench/extract-speed.ts [--images ../shared/datasets/comp5329-sample/images] [--n 96] [--threads 1,2]
 *                                  [--input-size 320] [--context] [--out extract-speed.json]
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';

interface Job {
  paths: string[];
  context: boolean;
  inputSize: number;
}
interface Done {
  seconds: number;
  images: number;
  loadSeconds: number;
  backend: string;
  tensorsBefore: number;
  tensorsAfter: number;
}

if (isMainThread) await main();
else await work(workerData as Job);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { images: { type: 'string' }, n: { type: 'string', default: '96' }, threads: { type: 'string', default: '1,2' }, context: { type: 'boolean', default: false }, 'input-size': { type: 'string', default: '320' }, out: { type: 'string', default: 'extract-speed.json' } } });
  const inputSize = Number(values['input-size']);
  const n = Number(values.n);
  const generated = values.images ? undefined : join(tmpdir(), `tagfusion-extract-bench-${process.pid}`);
  const paths = generated ? await generateImages(generated, n) : listImages(resolve(values.images!), n);
  const rows: Record<string, string | number>[] = [];
  for (const threads of values.threads!.split(',').map(Number)) {
    // Node 20 workers do not inherit tsx's loader hooks: each worker loads this file through tsx's API.
    const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}))`;
    const spawn = (t: number) => new Worker(boot, { eval: true, workerData: { paths: paths.filter((_, i) => i % threads === t), context: values.context, inputSize } satisfies Job });
    const workers = Array.from({ length: threads }, (_, t) => spawn(t));
    await Promise.all(workers.map((w) => once<string>(w))); // each has loaded its model and run one warm-up image
    const [cpu0, machine0] = [process.cpuUsage(), machineBusySeconds()];
    const t0 = performance.now();
    const finished = workers.map((w) => once<Done>(w));
    for (const w of workers) w.postMessage('go');
    const results = await Promise.all(finished);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const ownBusy = (cpu.user + cpu.system) / 1e6;
    await Promise.all(workers.map((w) => w.terminate()));
    const row = {
      threads,
      images: paths.length,
      seconds: +seconds.toFixed(2),
      imagesPerSecond: +(paths.length / seconds).toFixed(2),
      msPerImagePerThread: +((1000 * seconds * threads) / paths.length).toFixed(1),
      loadSeconds: +Math.max(...results.map((r) => r.loadSeconds)).toFixed(2),
      backend: results[0].backend,
      // CPU time this process spent per image (all its threads: inference, sharp's decoding, the
      // main thread): unlike images/s, it barely moves when other processes share the cores.
      cpuMsPerImage: +((1000 * ownBusy) / paths.length).toFixed(1),
      // What `threads` otherwise idle cores would give: threads ÷ CPU time per image (a projection).
      projectedImagesPerSecond: +((threads * paths.length) / ownBusy).toFixed(2),
      // The machine is shared: cores kept busy by other processes meanwhile (0 = a clean measurement).
      othersBusyCores: machine0 === undefined ? 'n/a' : +Math.max(0, (machineBusySeconds()! - machine0 - ownBusy) / seconds).toFixed(2),
      tensorGrowth: Math.max(...results.map((r) => r.tensorsAfter - r.tensorsBefore)),
    };
    rows.push(row);
    console.log(Object.entries(row).map(([k, v]) => `${k}=${v}`).join('  '));
  }
  const out = { encoder: `centernet-coco ${inputSize}×${inputSize} (${values.context ? 'context, 288-d' : '160-d'})`, source: values.images ?? 'generated 640×480 JPEGs', cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, date: new Date().toISOString(), rows };
  if (generated) rmSync(generated, { recursive: true, force: true });
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', basename(values.out!)), JSON.stringify(out, null, 2) + '\n');
}

async function work(job: Job): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { createCenternetEncoder } = await import('../src/ml/encoders/centernet.js');
  sharp.concurrency(1); // as DESIGN.md measured: parallelism comes from images, not from libvips threads
  const t0 = performance.now();
  const encoder = await createCenternetEncoder({ context: job.context, inputSize: job.inputSize });
  await encoder.encode([{ path: job.paths[0] }]);
  const loadSeconds = (performance.now() - t0) / 1000;
  const go = once<string>(parentPort!);
  parentPort!.postMessage('ready');
  await go;
  const tensorsBefore = tf.memory().numTensors;
  const t1 = performance.now();
  const features = await encoder.encode(job.paths.map((path) => ({ path })));
  const done: Done = { seconds: (performance.now() - t1) / 1000, images: features.length, loadSeconds, backend: encoder.backend, tensorsBefore, tensorsAfter: tf.memory().numTensors };
  parentPort!.postMessage(done);
}

function once<T>(port: { once(event: 'message', cb: (v: T) => void): unknown; once(event: 'error', cb: (e: Error) => void): unknown }): Promise<T> {
  return new Promise((ok, fail) => {
    port.once('message', ok);
    if (port instanceof Worker) port.once('error', fail);
  });
}

/** CPU seconds all processes have spent busy since boot (Linux /proc/stat), or undefined elsewhere. */
function machineBusySeconds(): number | undefined {
  try {
    const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

function listImages(dir: string, n: number): string[] {
  const names = readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f));
  names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b));
  return names.slice(0, n).map((f) => join(dir, f));
}

/** COCO-sized JPEGs of smooth colour fields with noise, so decoding costs what a photo costs. */
async function generateImages(dir: string, n: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const [w, h] = [640, 480];
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const px = Buffer.alloc(w * h * 3);
    for (let p = 0; p < w * h; p++) {
      const x = p % w;
      const y = Math.floor(p / w);
      const noise = ((p * 2654435761 + i * 97) >>> 27) * 4;
      px[p * 3] = (x * (i + 1)) & 255;
      px[p * 3 + 1] = (y + noise) & 255;
      px[p * 3 + 2] = ((x + y) * 3 + i * 40) & 255;
    }
    const path = join(dir, `${i}.jpg`);
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(path);
    paths.push(path);
  }
  return paths;
}
