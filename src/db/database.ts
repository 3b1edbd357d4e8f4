import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { fromPglite, type Db as BossDb } from 'pg-boss';
import { PrismaClient } from './generated/client.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import { PostgresListener } from './postgres-listener.js';

/** Raw SQL access used by migrations, the queue and LISTEN/NOTIFY; everything else uses `prisma`. */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly prisma: PrismaClient;
  /** pg-boss's connection: its own pool on PostgreSQL, the shared PGlite otherwise. */
  readonly boss: { connectionString: string } | { db: BossDb };
  /** Runs one parameterised statement. */
  query<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** Runs several statements in one transaction, holding a cluster-wide advisory lock. */
  execLocked(lockKey: number, fn: (exec: (text: string, values?: unknown[]) => Promise<Record<string, unknown>[]>) => Promise<void>): Promise<void>;
  /** Subscribes to a NOTIFY channel; returns the unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /** Folder of the embedded database; `undefined` with no URL means in memory (tests). */
  dataDir?: string;
}

/** Opens the configured database: PostgreSQL when a URL is given, else embedded PGlite. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openPglite(options.dataDir);
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  let lock: DataDirLock | undefined;
  let pglite: PGlite;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    // PGlite is one process's database: a second process on the same folder would corrupt it.
    lock = acquireDataDirLock(dataDir);
    pglite = new PGlite(join(dataDir, 'pgdata'));
  } else {
    pglite = new PGlite();
  }
  await pglite.waitReady;
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    kind: 'pglite',
    prisma,
    boss: { db: fromPglite(pglite) },
    async query(text, values) {
      return (await pglite.query(text, values)).rows as never[];
    },
    async execLocked(_lockKey, fn) {
      // One connection, one process: the transaction alone serialises.
      await pglite.transaction(async (tx) => {
        await fn(async (text, values) => {
          if (values?.length) return (await tx.query(text, values)).rows as Record<string, unknown>[];
          const results = await tx.exec(text);
          return results.flatMap((r) => r.rows as Record<string, unknown>[]);
        });
      });
    },
    listen: (channel, onPayload) => pglite.listen(channel, onPayload),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      lock?.release();
    },
  };
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const listener = new PostgresListener(url);
  return {
    kind: 'postgres',
    prisma,
    boss: { connectionString: url },
    async query(text, values) {
      return (await pool.query(text, values)).rows;
    },
    async execLocked(lockKey, fn) {
      const client = await pool.connect();
      try {
        // Several servers may start at once: the advisory lock lets exactly one migrate.
        await client.query('SELECT pg_advisory_lock($1)', [lockKey]);
        try {
          await client.query('BEGIN');
          await fn(async (text, values) => (await client.query(text, values)).rows);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [lockKey]);
        }
      } finally {
        client.release();
      }
    },
    listen: (channel, onPayload) => listener.listen(channel, onPayload),
    async close() {
      await listener.close();
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
