import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/platform/db/database.ts';
import { runCli, startServe } from './helpers/cli.ts';

const directories: string[] = [];
async function temporaryDataDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'nexus-cli-'));
  directories.push(directory);
  return directory;
}
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

describe('cli usage', () => {
  it('prints usage for help (exit 0) and for unknown commands or bad flags (exit 2)', async () => {
    const help = await runCli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: nexus <command>');

    const cases: [string[], RegExp][] = [
      [[], /No command given/],
      [['frobnicate'], /Unknown command "frobnicate"/],
      [['migrate', '--force'], /Unknown option '--force'/],
      [['tenant', 'create', '--slug', 'x'], /Missing required option --name/],
      [['tenant', 'delete'], /Unknown tenant command "delete"/],
      [
        [
          'user',
          'create',
          '--email',
          'a@b.example',
          '--password',
          'pw',
          '--role',
          'wizard',
          '--department',
          'UK/HR',
        ],
        /Unknown role "wizard"/,
      ],
      [['user', 'set-role', '--email'], /argument missing/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((result, index) => {
      expect(result.code, cases[index]![0].join(' ')).toBe(2);
      expect(result.stderr).toMatch(cases[index]![1]);
      expect(result.stderr).toContain('Usage: nexus <command>');
    });
  });

  it('stops with a clear message on bad configuration', async () => {
    const result = await runCli(['migrate'], { PORT: 'eighty', DATABASE_URL: 'mysql://nope' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  });
});

describe('cli on the embedded database', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await temporaryDataDirectory();
  });

  it('migrates, creates tenants and users, and changes roles — persisted on disk', async () => {
    const env = { NEXUS_DATA_DIR: dataDir };
    const migrateResult = await runCli(['migrate'], env);
    expect(migrateResult.stderr).toBe('');
    expect(migrateResult.stdout).toContain('Database is up to date');

    expect((await runCli(['tenant', 'create', '--slug', 'acme', '--name', 'Acme Corp'], env)).stdout).toMatch(
      /Created tenant acme/,
    );
    const duplicate = await runCli(['tenant', 'create', '--slug', 'acme', '--name', 'Again'], env);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('A tenant with slug "acme" already exists.');

    const created = await runCli(
      [
        'user',
        'create',
        '--tenant',
        'acme',
        '--email',
        'kim@acme.example',
        '--password',
        '-',
        '--role',
        'user',
        '--department',
        'UK/HR',
      ],
      env,
      'a very long password\n',
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created user kim@acme.example');

    const badDepartment = await runCli(
      [
        'user',
        'create',
        '--tenant',
        'acme',
        '--email',
        'lee@acme.example',
        '--password',
        'a very long password',
        '--role',
        'user',
        '--department',
        'Mars/HR',
      ],
      env,
    );
    expect(badDepartment.code).toBe(1);
    expect(badDepartment.stderr).toContain('No department "Mars/HR"');

    const promoted = await runCli(
      ['user', 'set-role', '--tenant', 'acme', '--email', 'kim@acme.example', '--role', 'super_admin'],
      env,
    );
    expect(promoted.stdout).toContain('kim@acme.example: user → super_admin');

    const db = await openDatabase({ kind: 'embedded', dataDir });
    try {
      const users = await db.kysely
        .selectFrom('users')
        .innerJoin('tenants', 'tenants.id', 'users.tenant_id')
        .select(['users.email', 'users.role', 'tenants.slug'])
        .execute();
      expect(users).toEqual([{ email: 'kim@acme.example', role: 'super_admin', slug: 'acme' }]);
    } finally {
      await db.close();
    }
  });
});

describe('nexus serve', () => {
  it('loads demo data on first start only, keeps data across restarts, and refuses a second process', async () => {
    const dataDir = await temporaryDataDirectory();
    const env = { NEXUS_DATA_DIR: dataDir };

    const first = await startServe(env);
    try {
      expect(first.output()).toContain('Demo data loaded');
      expect(first.output()).toMatch(/super_admin\s+admin@northwind\.example\s+\S{16}/);
      const ready = await fetch(`${first.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        database: 'ok',
        vector: 'on',
        bm25: 'on',
        queue: 'running',
      });

      const secondServe = await runCli(['serve'], { ...env, PORT: '0' });
      expect(secondServe.code).toBe(1);
      expect(secondServe.stderr).toMatch(
        /in use by `nexus serve` \(pid \d+, serving http:\/\/127\.0\.0\.1:\d+\)/,
      );
      const migrateWhileServing = await runCli(['migrate'], env);
      expect(migrateWhileServing.code).toBe(1);
      expect(migrateWhileServing.stderr).toContain('Only one process may open it');
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(existsSync(path.join(dataDir, 'nexus.lock'))).toBe(false);

    const second = await startServe(env);
    try {
      expect(second.output()).not.toContain('Demo data loaded');
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
    // The demo tenant survived the restart.
    const again = await runCli(['tenant', 'create', '--slug', 'default', '--name', 'Again'], env);
    expect(again.stderr).toContain('A tenant with slug "default" already exists.');
  });

  it('serves alongside a stale lock left by a process that died', async () => {
    const dataDir = await temporaryDataDirectory();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      path.join(dataDir, 'nexus.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, command: 'serve', startedAt: new Date().toISOString() }),
    );
    const result = await runCli(['migrate'], { NEXUS_DATA_DIR: dataDir });
    expect(result.code, result.stderr).toBe(0);
  });
});
