import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireDataDirLock } from '../../src/db/data-dir-lock.js';
import { projectRoot } from '../../src/paths.js';

// Children load the build, as a second `tagfusion serve` would.
const MODULE = pathToFileURL(join(projectRoot, 'dist', 'db', 'data-dir-lock.js')).href;

// Waits for the common start time, takes the lock, says what happened, and holds it until its stdin closes.
const CHILD = `
const { acquireDataDirLock } = await import(process.env.LOCK_MODULE);
const goAt = Number(process.env.GO_AT);
await new Promise((r) => setTimeout(r, Math.max(0, goAt - Date.now() - 30)));
while (Date.now() < goAt);
let said;
try { acquireDataDirLock(process.env.DIR); said = 'won'; } catch (e) { said = e.code ?? String(e); }
process.stdout.write(said + '\\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

interface Starter {
  child: ChildProcess;
  said: Promise<string>;
}

function start(dir: string, goAt: number): Starter {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, LOCK_MODULE: MODULE, DIR: dir, GO_AT: String(goAt) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const said = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`starter exited with ${code} before it said anything`)));
  });
  return { child, said };
}

const killed = (s: Starter) => new Promise<void>((resolve) => (s.child.exitCode !== null || s.child.signalCode !== null ? resolve() : (s.child.once('exit', () => resolve()), s.child.kill('SIGKILL'))));

/** The holder record inside the lock folder. */
const holderFile = (dir: string) => {
  const lock = join(dir, 'tagfusion.pid');
  return join(lock, readdirSync(lock)[0]);
};

describe('data-folder lock', () => {
  const dirs: string[] = [];
  const folder = () => {
    const d = mkdtempSync(join(tmpdir(), 'tagfusion-lock-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('refuses a live holder with DATA_DIR_IN_USE, and takes the folder once the holder is killed', async () => {
    const dir = folder();
    const holder = start(dir, Date.now());
    expect(await holder.said).toBe('won');
    expect(() => acquireDataDirLock(dir)).toThrow(expect.objectContaining({ code: 'DATA_DIR_IN_USE', details: expect.objectContaining({ pid: holder.child.pid }) }));
    await killed(holder);
    const lock = acquireDataDirLock(dir);
    expect(() => acquireDataDirLock(dir)).toThrow(expect.objectContaining({ code: 'DATA_DIR_IN_USE' })); // this process holds it now
    lock.release();
    expect(readdirSync(dir)).toEqual([]); // nothing left behind
  });

  it('lets exactly one of 8 simultaneous starters take over a crashed holder’s lock or a reused pid’s', async () => {
    const dir = folder();
    // A crashed server: it took the folder and was killed.
    let previous = start(dir, Date.now());
    expect(await previous.said).toBe('won');
    await killed(previous);
    for (let round = 0; round < 6; round++) {
      if (round % 2 === 1) {
        // pid reuse: the record names a live process (this one) that started at another time
        const record = JSON.parse(readFileSync(holderFile(dir), 'utf8'));
        writeFileSync(holderFile(dir), JSON.stringify({ ...record, pid: process.pid }));
      }
      const goAt = Date.now() + 1500;
      const starters = Array.from({ length: 8 }, () => start(dir, goAt));
      const said = await Promise.all(starters.map((s) => s.said));
      expect(said.filter((s) => s === 'won'), `round ${round}: ${said.join(', ')}`).toHaveLength(1);
      expect(said.filter((s) => s !== 'won')).toEqual(Array(7).fill('DATA_DIR_IN_USE'));
      const winner = starters[said.indexOf('won')];
      await Promise.all(starters.filter((s) => s !== winner).map(async (s) => (s.child.stdin!.end(), await new Promise((r) => s.child.once('exit', r)))));
      previous = winner;
      await killed(previous); // the next round starts from this crash
    }
  });
});
