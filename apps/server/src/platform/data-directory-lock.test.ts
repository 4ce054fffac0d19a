import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DataDirectoryInUseError, lockDataDirectory } from './data-directory-lock.ts';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'nexus-lock-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

it('refuses a second owner while the first lives, and frees the directory on release', async () => {
  // A live process that is not this one holds the lock.
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  try {
    await writeFile(
      path.join(directory, 'nexus.lock'),
      JSON.stringify({
        pid: other.pid,
        command: 'serve',
        startedAt: '2026-01-01T00:00:00Z',
        url: 'http://127.0.0.1:8080',
      }),
    );
    const error = await lockDataDirectory(directory, 'migrate').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataDirectoryInUseError);
    expect((error as Error).message).toContain(
      `in use by \`nexus serve\` (pid ${other.pid}, serving http://127.0.0.1:8080)`,
    );
  } finally {
    other.kill();
  }
});

it('takes over a lock whose owner is gone, records details, and removes it on release', async () => {
  await writeFile(
    path.join(directory, 'nexus.lock'),
    JSON.stringify({ pid: 2 ** 22 + 7, command: 'serve', startedAt: '' }),
  );
  const lock = await lockDataDirectory(directory, 'serve');
  await lock.update({ url: 'http://127.0.0.1:9999' });
  const owner = JSON.parse(await readFile(path.join(directory, 'nexus.lock'), 'utf8'));
  expect(owner).toMatchObject({ pid: process.pid, command: 'serve', url: 'http://127.0.0.1:9999' });
  await lock.release();
  const again = await lockDataDirectory(directory, 'migrate');
  await again.release();
});
