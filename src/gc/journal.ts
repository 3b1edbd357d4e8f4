import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Rows are removed first and their files after the commit, so that a run restored meanwhile
 * never loses a file. A crash between the two would leave files no row names; so before each
 * removal gc writes down whose files go (`<data>/gc/*.json`), and the next gc finishes the
 * removals the last one could not (only for rows that are really gone).
 */
export interface JournalEntry {
  table: 'Run' | 'PredictionSet';
  id: string;
}

export class Journal {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'gc');
  }

  /** Records entries durably enough for a crash of this process (rename of a complete file). */
  async open(entries: JournalEntry[]): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${randomUUID()}.json`);
    await writeFile(`${path}.tmp`, JSON.stringify(entries));
    await rename(`${path}.tmp`, path);
    return path;
  }

  close = (path: string) => rm(path, { force: true });

  /** Journals a previous gc left behind, with their entries. */
  async pending(): Promise<{ path: string; entries: JournalEntry[] }[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const path = join(this.dir, name);
      try {
        out.push({ path, entries: JSON.parse(await readFile(path, 'utf8')) as JournalEntry[] });
      } catch {
        // Unreadable: written by no gc of ours (ours are renamed complete); leave it for a person.
      }
    }
    return out;
  }
}
