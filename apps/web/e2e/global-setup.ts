import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { CHROMIUM_PATH, DEMO_PASSWORD } from './support/browser.ts';

/**
 * Before the browser tests: build the web app if it is stale, start a real `nexus serve`
 * on a fresh embedded database (demo tenant, offline answerer) and wait until the demo
 * documents are ingested. The tests get the URL through `inject('baseUrl')`.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    hasChromium: boolean;
  }
}

const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(new URL('../scripts/build-if-stale.ts', import.meta.url));
const MAIN = path.join(REPOSITORY_ROOT, 'apps/server/src/main.ts');

function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const { DATABASE_URL: _database, REDIS_URL: _redis, ...environment } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve'], {
    cwd: REPOSITORY_ROOT,
    env: {
      ...environment,
      PORT: '0',
      NEXUS_DATA_DIR: dataDir,
      NEXUS_DEMO_PASSWORD: DEMO_PASSWORD,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nexus serve did not become ready:\n${output}`));
    }, 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Nexus is ready at (http:\/\/\S+) /.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nexus serve exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** Signs in over the API and waits until every demo document is ready to answer from. */
async function waitForDemoDocuments(baseUrl: string): Promise<void> {
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@northwind.example', password: DEMO_PASSWORD }),
  });
  if (!login.ok) throw new Error(`demo sign-in failed: ${login.status} ${await login.text()}`);
  const { access_token: token } = (await login.json()) as { access_token: string };
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/api/v1/documents?limit=100`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as { documents: { title: string; status: string }[]; total: number };
    const failed = body.documents.filter((document) => document.status === 'failed');
    if (failed.length)
      throw new Error(`demo documents failed to ingest: ${failed.map((d) => d.title).join(', ')}`);
    if (body.total >= 10 && body.documents.every((document) => document.status === 'ready')) return;
    await new Promise((done) => setTimeout(done, 500));
  }
  throw new Error('the demo documents were not ingested within 2 minutes');
}

export default async function setup(project: TestProject) {
  const hasChromium = existsSync(CHROMIUM_PATH);
  project.provide('hasChromium', hasChromium);
  if (!hasChromium) {
    if (process.env.CI) {
      throw new Error(
        `Chromium is required for the browser tests in CI (${CHROMIUM_PATH}); .ci/run installs it.`,
      );
    }
    console.warn(`[skipped] browser tests: ${CHROMIUM_PATH} not found (apt-get install chromium)`);
    project.provide('baseUrl', '');
    return;
  }

  const build = spawnSync(process.execPath, ['--import', 'tsx', BUILD_SCRIPT], {
    cwd: REPOSITORY_ROOT,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('building the web app failed');

  const dataDir = await mkdtemp(path.join(tmpdir(), 'nexus-e2e-'));
  const server = await startServer(dataDir);
  try {
    await waitForDemoDocuments(server.url);
  } catch (error) {
    server.child.kill('SIGKILL');
    throw error;
  }
  project.provide('baseUrl', server.url);

  return async () => {
    const exited = new Promise((done) => server.child.once('exit', done));
    server.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 10_000))]);
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  };
}
