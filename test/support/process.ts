import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../../src/paths.js';

/** Linux's SCHED_IDLE scheduling policy, as /proc shows it. */
export const SCHED_IDLE = 5;

/** Every thread of process `pid` with its nice value and scheduling policy, from /proc (Linux). */
export function threadsOf(pid: number): { tid: number; nice: number; policy: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // the fields after the command name (in parentheses, which may hold spaces): nice is field 19, policy 41
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { tid: Number(tid), nice: Number(f[16]), policy: Number(f[38]) };
  });
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts the built CLI (`tagfusion serve`) as its own process and waits until it answers. */
/** `readyMs`: how long it may take to answer (a loaded machine starts slowly). */
export async function startServerProcess(env: Record<string, string>, port: number, readyMs = 30_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), 'serve'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}/graphql`;
  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const deadline = Date.now() + readyMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      await gql('{ health { status } }');
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`server did not answer in ${readyMs / 1000} s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    child,
    url,
    output: () => output,
    gql,
    kill: (signal) =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** Calls `fn` until `until` holds for its value (every `everyMs`), or fails after `timeoutMs` naming `what`. */
export async function poll<T>(fn: () => Promise<T>, until: (v: T) => boolean, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (until(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
