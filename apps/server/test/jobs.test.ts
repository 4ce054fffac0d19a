import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PASSWORD } from './helpers/accounts.ts';
import { runCli, type ServeProcess, startServe, startWorker } from './helpers/cli.ts';

/**
 * A worker killed (SIGKILL) in the middle of ingesting a document: the job must not stay
 * "running" forever. Embedded: the restarted process retries it at once. Server Postgres
 * with several workers: another worker notices the silence within NEXUS_JOB_STALL_SECONDS.
 */

const directories: string[] = [];
const processes: ServeProcess[] = [];
afterAll(async () => {
  for (const process of processes) await process.stop('SIGKILL').catch(() => {});
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

/** A Markdown manual of ~`bytes` bytes (a few thousand chunks: ingestion takes seconds). */
function largeManual(bytes: number): string {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const words =
    'turbine gearbox bearing lubrication inspection blade tower nacelle rotor sensor vibration torque crane technician permit schedule quarterly annual'.split(
      ' ',
    );
  const parts = ['# Wind farm operations manual\n\n'];
  let size = parts[0]!.length;
  for (let section = 1; size < bytes; section++) {
    let block = `## Section ${section}\n\n`;
    for (let sentence = 0; sentence < 6; sentence++) {
      const picked = Array.from({ length: 14 }, () => words[Math.floor(random() * words.length)]!);
      block += `Procedure ${section}.${sentence} covers the ${picked.join(' ')}. `;
    }
    block += `\n\nThe reference code of section ${section} is WF-${section}.\n\n`;
    parts.push(block);
    size += block.length;
  }
  return parts.join('');
}

/** Tenant `acme` and its super admin, through the command line (as an operator would). */
async function createTenantAndAdmin(environment: Record<string, string>): Promise<void> {
  expect((await runCli(['tenant', 'create', '--slug', 'acme', '--name', 'Acme'], environment)).code).toBe(0);
  const created = await runCli(
    [
      ...['user', 'create', '--email', 'admin@acme.example', '--password', '-'],
      ...['--role', 'super_admin', '--department', 'UK/IT', '--tenant', 'acme'],
    ],
    environment,
    PASSWORD,
  );
  expect(created.code).toBe(0);
}

interface Api {
  url: string;
  token: string;
}

async function signIn(url: string, email: string): Promise<Api> {
  const response = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(response.status).toBe(200);
  return { url, token: ((await response.json()) as { access_token: string }).access_token };
}

async function uploadManual(api: Api, content: string): Promise<{ document_id: string; job_id: string }> {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'text/markdown' }), 'manual.md');
  const response = await fetch(`${api.url}/api/v1/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}` },
    body: form,
  });
  expect(response.status).toBe(202);
  return (await response.json()) as { document_id: string; job_id: string };
}

interface Job {
  status: string;
  progress: number;
  attempt: number;
  error?: string;
}

async function job(api: Api, id: string): Promise<Job> {
  const response = await fetch(`${api.url}/api/v1/jobs/${id}`, {
    headers: { authorization: `Bearer ${api.token}` },
  });
  return (await response.json()) as Job;
}

async function waitFor(api: Api, id: string, isDone: (job: Job) => boolean, timeoutMs: number): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  let last: Job | undefined;
  while (Date.now() < deadline) {
    last = await job(api, id).catch(() => last);
    if (last && isDone(last)) return last;
    await sleep(100);
  }
  throw new Error(`job ${id} did not reach the state in time: ${JSON.stringify(last)}`);
}

const isWritingChunks = (state: Job) => state.status === 'running' && state.progress >= 0.35;
const isFinished = (state: Job) => state.status === 'succeeded' || state.status === 'failed';

async function readyDocument(api: Api, id: string) {
  const response = await fetch(`${api.url}/api/v1/documents/${id}`, {
    headers: { authorization: `Bearer ${api.token}` },
  });
  return (await response.json()) as { status: string; chunk_count: number; error: string | null };
}

async function searchCode(api: Api, code: string) {
  const response = await fetch(`${api.url}/api/v1/search`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: code, top_k: 3 }),
  });
  return ((await response.json()) as { results: { snippet: string }[] }).results;
}

describe('a worker killed during ingestion', () => {
  it('embedded: the restarted server retries the interrupted job at once, and the document becomes ready', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nexus-recovery-'));
    directories.push(dataDir);
    const environment = { NEXUS_DATA_DIR: dataDir, NEXUS_DEMO: 'off' };
    await createTenantAndAdmin(environment);

    const first = await startServe(environment);
    processes.push(first);
    const before = await signIn(first.url, 'admin@acme.example');
    const upload = await uploadManual(before, largeManual(3_000_000));
    const interrupted = await waitFor(before, upload.job_id, isWritingChunks, 120_000);
    expect(interrupted.attempt).toBe(1);
    await first.stop('SIGKILL');

    const restarted = Date.now();
    const second = await startServe(environment);
    processes.push(second);
    const after = await signIn(second.url, 'admin@acme.example');
    const finished = await waitFor(after, upload.job_id, isFinished, 180_000);
    expect(finished).toMatchObject({ status: 'succeeded', progress: 1, attempt: 2 });
    expect(Date.now() - restarted).toBeLessThan(180_000);
    const document = await readyDocument(after, upload.document_id);
    expect(document).toMatchObject({ status: 'ready', error: null });
    expect(document.chunk_count).toBeGreaterThan(500);
    expect((await searchCode(after, 'WF-1234'))[0]?.snippet).toContain('WF-1234');
    await second.stop();
  });

  const serverUrl = process.env.TEST_DATABASE_URL;
  it.skipIf(!serverUrl)(
    'server Postgres: another worker notices the silence within NEXUS_JOB_STALL_SECONDS and finishes the job',
    async () => {
      const schema = `recovery_${randomBytes(4).toString('hex')}`;
      const environment = {
        DATABASE_URL: serverUrl!,
        DATABASE_SCHEMA: schema,
        NEXUS_DEMO: 'off',
        NEXUS_JOB_STALL_SECONDS: '4',
      };
      try {
        await createTenantAndAdmin(environment);
        const api = await startServe({ ...environment, NEXUS_SERVE_WORKER: 'false' });
        processes.push(api);
        const doomed = await startWorker(environment);
        processes.push(doomed);
        const client = await signIn(api.url, 'admin@acme.example');
        const upload = await uploadManual(client, largeManual(3_000_000));
        await waitFor(client, upload.job_id, isWritingChunks, 120_000);
        await doomed.stop('SIGKILL');

        const survivor = await startWorker(environment);
        processes.push(survivor);
        const retried = await waitFor(client, upload.job_id, (state) => state.attempt === 2, 60_000);
        expect(retried.status).not.toBe('failed');
        const finished = await waitFor(client, upload.job_id, isFinished, 180_000);
        expect(finished).toMatchObject({ status: 'succeeded', attempt: 2 });
        expect(await readyDocument(client, upload.document_id)).toMatchObject({
          status: 'ready',
          error: null,
        });
        expect((await searchCode(client, 'WF-777'))[0]?.snippet).toContain('WF-777');
        await survivor.stop();
        await api.stop();
      } finally {
        const admin = new pg.Client({ connectionString: serverUrl });
        await admin.connect();
        await admin.query(
          `DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${schema}_pgboss" CASCADE`,
        );
        await admin.end();
      }
    },
  );
});
