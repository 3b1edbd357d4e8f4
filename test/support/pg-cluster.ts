import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './process.js';

const run = promisify(execFile);

/** Where initdb and pg_ctl are: TAGFUSION_PG_BIN, else the newest /usr/lib/postgresql/<version>/bin. */
export function pgBinDir(): string | undefined {
  if (process.env.TAGFUSION_PG_BIN) return process.env.TAGFUSION_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : undefined;
}

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user. */
const asRoot = process.getuid?.() === 0;

export interface PgCluster {
  /** a superuser URL (trust auth on 127.0.0.1) */
  url: string;
  port: number;
  /** `pg_ctl stop -m fast`: every connection is terminated */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stops it (immediately) and deletes its folder */
  destroy(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster of one test file, on a free port, in a fresh temp folder: a test
 * can stop and restart it without touching the shared server the other test files use.
 */
export async function startPgCluster(): Promise<PgCluster> {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found; set TAGFUSION_PG_BIN to their folder');
  const dir = mkdtempSync(join(tmpdir(), 'tagfusion-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const pg = async (tool: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    try {
      await run(cmd, argv, { timeout: 60_000 });
    } catch (err) {
      const log = existsSync(logFile) ? execFileSync('tail', ['-n', '20', logFile]).toString() : '';
      throw new Error(`${tool} ${args.join(' ')} failed: ${(err as Error).message}\n${log}`);
    }
  };
  const port = await freePort();
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  // Durability is not under test here: skip the fsyncs.
  appendFileSync(
    join(data, 'postgresql.conf'),
    `\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n`,
  );
  const start = () => pg('pg_ctl', ['start', '-w', '-D', data, '-l', logFile]);
  const stop = (mode = 'fast') => pg('pg_ctl', ['stop', '-w', '-m', mode, '-D', data]);
  await start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop: () => stop(),
    async destroy() {
      await stop('immediate').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
