import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The embedded database belongs to one process. Every command that opens it first
 * takes `<dataDir>/nexus.lock` (created exclusively, holding the owner's pid); a second
 * process stops with a clear message instead of opening the same files. A lock left
 * by a process that no longer exists is taken over.
 */

export interface LockOwner {
  pid: number;
  command: string;
  startedAt: string;
  url?: string;
}

export class DataDirectoryInUseError extends Error {
  override name = 'DataDirectoryInUseError';

  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    const where = owner.url ? `, serving ${owner.url}` : '';
    super(
      `The embedded database in ${dataDir} is in use by \`nexus ${owner.command}\` (pid ${owner.pid}${where}). ` +
        'Only one process may open it. Stop that process first, or run Nexus on a Postgres server ' +
        '(DATABASE_URL) to run several processes at once.',
    );
  }
}

export interface DataDirectoryLock {
  /** Records details (e.g. the URL served) for the message another process will see. */
  update(details: Partial<LockOwner>): Promise<void>;
  release(): Promise<void>;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(file: string): Promise<LockOwner | null> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' ? owner : null;
  } catch {
    return null;
  }
}

export async function lockDataDirectory(dataDir: string, command: string): Promise<DataDirectoryLock> {
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, 'nexus.lock');
  let owner: LockOwner = { pid: process.pid, command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // Write the owner to a private file, then link it into place: the lock appears
      // atomically with its content, or not at all (EEXIST).
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(owner));
      try {
        await link(temporary, file);
      } finally {
        await rm(temporary, { force: true });
      }
      let isReleased = false;
      return {
        async update(details) {
          owner = { ...owner, ...details };
          if (!isReleased) await writeFile(file, JSON.stringify(owner));
        },
        async release() {
          if (isReleased) return;
          isReleased = true;
          const current = await readOwner(file);
          if (current?.pid === process.pid) await rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const current = await readOwner(file);
      if (current && current.pid !== process.pid && isProcessAlive(current.pid)) {
        throw new DataDirectoryInUseError(dataDir, current);
      }
      // Stale: its owner is gone (or the file is unreadable). Remove and retry.
      await rm(file, { force: true });
    }
  }
  throw new Error(`Could not take the lock ${file}`);
}
