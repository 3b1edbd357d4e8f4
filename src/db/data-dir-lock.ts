import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../errors.js';

export interface DataDirLock {
  release(): void;
}

/**
 * A process as the lock records it. A pid alone is not an identity: pids are reused (in a
 * container every restart is pid 1 again), so the lock also records the process's start time
 * (/proc/<pid>/stat, field 22) and the boot it ran in. A recorded process is alive only when all
 * three still match; once dead it stays dead, which is what makes a takeover decision safe.
 */
interface Holder {
  pid: number;
  /** clock ticks after boot; '' where /proc is missing (not Linux) */
  start: string;
  boot: string;
}

// The name is the one the lock has always had, so `ls tagfusion.pid` still tells whether a folder is taken.
const LOCK = 'tagfusion.pid';

/**
 * Takes the embedded data folder for this process. A lock left by a process that no longer
 * exists (a crash, SIGKILL, a reused pid) is taken over; one held by a live process is refused.
 *
 * Why this design: Node has no flock(2), and native lock addons need a compiler at install;
 * proper-lockfile judges staleness by mtime, which cannot tell a paused process from a dead one,
 * and takes over by remove-then-create, where two starters can each remove the other's fresh
 * lock. Here the lock is a folder holding one file named uniquely by its holder:
 * - a starter builds its own folder with its record inside, then renames it onto the lock. The
 *   kernel lets that rename replace only a missing or empty folder, so exactly one starter wins
 *   and the lock is never seen without its record;
 * - a dead holder's takeover removes that holder's file by its unique name, then renames again.
 *   A starter that judged late removes nothing of a newer holder (its file has another name),
 *   and its rename fails on the newer holder's non-empty folder.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const lock = join(dataDir, LOCK);
  const name = `${randomUUID()}.holder`;
  const staging = join(dataDir, `${LOCK}.${process.pid}.${name}`);
  mkdirSync(staging);
  writeFileSync(join(staging, name), JSON.stringify(self()));
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        renameSync(staging, lock);
        return { release: () => release(lock, name) };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTDIR') takeOverLegacyFile(dataDir, lock);
        else if (code === 'ENOTEMPTY' || code === 'EEXIST') takeOverDeadHolders(dataDir, lock);
        else throw err;
      }
    }
    throw errors.dataDirInUse(dataDir, 0);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function release(lock: string, name: string): void {
  rmSync(join(lock, name), { force: true });
  // An empty lock folder is a free one; a starter may already have replaced it.
  try {
    rmdirSync(lock);
  } catch {
    // taken meanwhile, or already gone
  }
}

function takeOverDeadHolders(dataDir: string, lock: string): void {
  let entries: string[];
  try {
    entries = readdirSync(lock);
  } catch {
    return; // released meanwhile: rename again
  }
  for (const entry of entries) {
    const holder = readHolder(join(lock, entry));
    if (holder && isAlive(holder)) throw errors.dataDirInUse(dataDir, holder.pid);
    rmSync(join(lock, entry), { force: true, recursive: true });
  }
}

/**
 * Before the lock was a folder it was a file holding a pid (an older tagfusion). A live pid is
 * respected; a dead one's file is unlinked, which cannot remove a folder another starter has
 * put there meanwhile (unlink refuses folders).
 */
function takeOverLegacyFile(dataDir: string, lock: string): void {
  let pid = 0;
  try {
    if (!statSync(lock).isFile()) return;
    pid = Number(readFileSync(lock, 'utf8').trim());
  } catch {
    return;
  }
  if (pid && pid !== process.pid && pidExists(pid)) throw errors.dataDirInUse(dataDir, pid);
  try {
    unlinkSync(lock);
  } catch {
    // removed or replaced meanwhile: rename again
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Holder;
    return Number.isInteger(h.pid) && h.pid > 0 ? h : undefined;
  } catch {
    return undefined; // unreadable: nobody can prove to hold the folder with it
  }
}

function isAlive(h: Holder): boolean {
  const me = self();
  if (h.boot && me.boot && h.boot !== me.boot) return false;
  if (h.pid === process.pid) return h.start === me.start;
  if (!pidExists(h.pid)) return false;
  const start = startTime(h.pid);
  // Without /proc (not Linux) the pid is all there is to go on; with it, no stat means it just died.
  if (start === undefined) return me.start === '';
  return start === h.start;
}

/** Whether a process with this pid exists (one we may not signal exists too). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const self = (): Holder => ({ pid: process.pid, start: startTime(process.pid) ?? '', boot: readOr('/proc/sys/kernel/random/boot_id', '').trim() });

/** Field 22 of /proc/<pid>/stat; the command name (field 2) is in parentheses and may hold spaces. */
function startTime(pid: number): string | undefined {
  const stat = readOr(`/proc/${pid}/stat`, undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function readOr<T>(path: string, fallback: T): string | T {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}
