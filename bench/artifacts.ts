/**
 * Artifact upload on loopback to the folder store: the server runs as its own process
 * (`tagfusion serve`, embedded PGlite, a fresh data folder); this process uploads a file of
 * `--mib` MiB to a run with `PUT /runs/:id/artifacts/<path>` (chunked, as a streaming client
 * sends), `--repeat` times after one 64 MiB warm-up, and checks the sha256 the server recorded.
 * Reports MB/s (10^6 bytes) and the server's peak resident memory growth during each upload:
 * VmHWM after it, reset through /proc/<pid>/clear_refs before it, minus VmRSS then (Linux).
 * Targets (issue 13): at least 200 MB/s, memory flat. Prints a table and writes
 * bench/results/artifacts.json.
 *
 *   npm run bench:artifacts -- [--mib 1024 --repeat 3]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/paths.js';
import { rawRequest, repeated } from '../test/artifacts/support.js';
import { freePort, startServerProcess } from '../test/support/process.js';

const { values: opts } = parseArgs({ options: { mib: { type: 'string', default: '1024' }, repeat: { type: 'string', default: '3' } } });
const MIB = Number(opts.mib);
const REPEAT = Number(opts.repeat);
const MiB = 1024 * 1024;

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM). */
const vm = (pid: number, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

const table = (r: Record<string, string | number>) => console.log(Object.entries(r).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(1) : v}`).join('  '));

const dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-bench-artifacts-'));
const port = await freePort();
const server = await startServerProcess({ TAGFUSION_DATA_DIR: dataDir, TAGFUSION_AUTH: 'open', TAGFUSION_WORKER_THREADS: '1' }, port);
const pid = server.child.pid!;
const rows: Record<string, string | number>[] = [];
try {
  const { createRun } = await server.gql(`mutation { createRun(input: { kind: "external", name: "bench-artifacts" }) { id } }`);
  const upload = async (mib: number, path: string) => {
    const file = repeated(mib);
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const rssBefore = vm(pid, 'VmRSS');
    const start = process.hrtime.bigint();
    const res = await rawRequest(`http://127.0.0.1:${port}`, { method: 'PUT', path: `/runs/${createRun.id}/artifacts/${path}`, chunks: file.chunks() });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const peak = vm(pid, 'VmHWM');
    const answer = res.json();
    if (res.status !== 200 || answer.sha256 !== file.sha256 || answer.sizeBytes !== file.bytes) throw new Error(`upload failed: ${res.status} ${res.body.toString().slice(0, 300)}`);
    return { mib, seconds, mbPerSecond: file.bytes / 1e6 / seconds, serverRssMiB: rssBefore / MiB, serverPeakGrowthMiB: (peak - rssBefore) / MiB };
  };
  table({ stage: 'warm-up', ...(await upload(64, 'warm-up.bin')) });
  for (let i = 1; i <= REPEAT; i++) {
    const row = { stage: `upload ${i}`, ...(await upload(MIB, `model/weights-${i}.bin`)) };
    rows.push(row);
    table(row);
  }
} finally {
  await server.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}

const speeds = rows.map((r) => r.mbPerSecond as number).sort((a, b) => a - b);
const summary = {
  fileMiB: MIB,
  uploads: rows.length,
  medianMBps: speeds[Math.floor(speeds.length / 2)],
  worstMBps: speeds[0],
  worstPeakGrowthMiB: Math.max(...rows.map((r) => r.serverPeakGrowthMiB as number)),
  targetMBps: 200,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
};
console.log();
table(summary);
mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
const out = join(projectRoot, 'bench', 'results', 'artifacts.json');
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), summary, rows }, null, 2)}\n`);
console.log(`\nwrote ${out}`);
