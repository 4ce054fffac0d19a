/**
 * `npm run bench`: figures, not pass/fail. Runs in-process on embedded PGlite (in memory)
 * and prints medians and tail percentiles; compare within one run (machines are noisy).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import MiniSearch from 'minisearch';
import { importDocumentBatch } from '../src/modules/ingestion/ingestion.service.ts';
import { evaluateRun, loadBeirDataset } from '../src/modules/retrieval/evaluation.ts';
import { searchPassages } from '../src/modules/retrieval/retrieval.service.ts';
import { createTenant } from '../src/modules/tenancy/tenancy.service.ts';
import { createUser } from '../src/modules/users/users.service.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrate } from '../src/platform/db/migrations.ts';
import { startBenchApp } from './app.ts';
import { benchChat } from './chat.ts';
import { benchLargeDocument } from './large-document.ts';
import { benchNotebook } from './notebook.ts';

async function benchRetrieval(): Promise<void> {
  const directory =
    process.env.NEXUS_BENCH_DATASET ??
    fileURLToPath(new URL('../../../../shared/datasets/scifact', import.meta.url));
  if (!existsSync(directory)) {
    console.log(`retrieval: skipped (no dataset at ${directory}; set NEXUS_BENCH_DATASET)`);
    return;
  }
  const dataset = await loadBeirDataset(directory);
  const retrievalDb = await openDatabase({ kind: 'embedded', dataDir: 'memory://' });
  await migrate(retrievalDb);
  const tenant = await retrievalDb.transaction((trx) =>
    createTenant(trx, { slug: 'bench', name: 'Bench', taxonomy: [] }),
  );
  const source = { kind: 'folder' as const, name: 'bench' };
  const encoder = new TextEncoder();
  let started = performance.now();
  let chunks = 0;
  for (let start = 0; start < dataset.corpus.length; start += 500) {
    const items = dataset.corpus.slice(start, start + 500).map((document) => ({
      sourceItemId: document.id,
      title: document.title,
      bytes: encoder.encode(document.text || document.title),
    }));
    chunks += (
      await retrievalDb.transaction((trx) => importDocumentBatch(trx, { tenantId: tenant.id, source }, items))
    ).chunks;
  }
  await retrievalDb.executeSql('ANALYZE documents, chunks');
  const ingestSeconds = (performance.now() - started) / 1000;
  console.log(
    `\nretrieval on ${dataset.name}: ingest ${dataset.corpus.length} documents / ${chunks} chunks in ${ingestSeconds.toFixed(1)} s = ` +
      `${(dataset.corpus.length / ingestSeconds).toFixed(0)} documents/s, ${(chunks / ingestSeconds).toFixed(0)} chunks/s`,
  );
  const reader = { tenantId: tenant.id, role: 'super_admin' as const, departmentId: null, regionId: null };
  const queries = [...dataset.queries.values()];
  const nexusSearch = (query: string) => searchPassages(retrievalDb, reader, query, { topK: 10 });

  started = performance.now();
  const miniSearch = new MiniSearch<{ id: string; title: string; text: string }>({
    fields: ['title', 'text'],
    storeFields: [],
  });
  miniSearch.addAll(
    dataset.corpus.map((document) => ({ id: document.id, title: document.title, text: document.text })),
  );
  console.log(`minisearch baseline: index built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const miniSearchQuery = async (query: string) => miniSearch.search(query).slice(0, 10);

  for (const concurrency of [1, 8]) {
    const nexus = await runConcurrently(queries, concurrency, nexusSearch);
    const baseline = await runConcurrently(queries, concurrency, miniSearchQuery);
    console.log(
      `search top-10, ${concurrency} client(s): nexus p50 ${nexus.p50.toFixed(1)} / p95 ${nexus.p95.toFixed(1)} / p99 ${nexus.p99.toFixed(1)} ms; ` +
        `minisearch p50 ${baseline.p50.toFixed(2)} / p95 ${baseline.p95.toFixed(2)} / p99 ${baseline.p99.toFixed(2)} ms; ` +
        `ratio p50 ${(nexus.p50 / baseline.p50).toFixed(1)}x`,
    );
  }
  const miniRun = new Map(
    [...dataset.queries].map(([id, text]) => [
      id,
      miniSearch
        .search(text)
        .slice(0, 100)
        .map((hit) => ({ documentId: String(hit.id), score: hit.score })),
    ]),
  );
  console.log(
    `minisearch nDCG@10 on the same queries: ${evaluateRun(miniRun, dataset.qrels).ndcgAt10.toFixed(4)} (nexus: see npm run nexus -- eval)`,
  );
  await benchChat(retrievalDb, tenant.id, queries);
  await retrievalDb.close();
}

/** Latency of each call when `concurrency` callers share the work. */
async function runConcurrently(
  inputs: string[],
  concurrency: number,
  fn: (input: string) => Promise<unknown>,
): Promise<{ p50: number; p95: number; p99: number }> {
  const samples: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < inputs.length) {
        const input = inputs[next++]!;
        const callStarted = performance.now();
        await fn(input);
        samples.push(performance.now() - callStarted);
      }
    }),
  );
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), p99: percentile(samples, 99) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(name: string, count: number, fn: () => Promise<unknown>): Promise<number> {
  for (let index = 0; index < Math.min(20, count); index++) await fn(); // warm-up
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(samples, p).toFixed(2));
  console.log(
    `${name.padEnd(50)} n=${String(count).padStart(5)}  p50 ${p50} ms  p95 ${p95} ms  p99 ${p99} ms`,
  );
  return percentile(samples, 50);
}

let started = performance.now();
const db = await openDatabase({ kind: 'embedded', dataDir: 'memory://' });
const openMs = performance.now() - started;
started = performance.now();
await migrate(db);
const migrateMs = performance.now() - started;
console.log(`embedded database: open ${openMs.toFixed(0)} ms, migrate ${migrateMs.toFixed(0)} ms`);

const { app, close: closeApp } = await startBenchApp(db);
const password = 'benchmark password 123';
await db.transaction(async (trx) => {
  const tenant = await createTenant(trx, { slug: 'bench', name: 'Bench' });
  await createUser(trx, {
    tenantId: tenant.id,
    email: 'bench@bench.example',
    password,
    role: 'super_admin',
    department: 'UK/IT',
  });
});
const login = () =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: 'bench@bench.example', password },
  });
const { access_token: token } = (await login()).json() as { access_token: string };
const authorization = { authorization: `Bearer ${token}` };

const health = await measure('GET /healthz (no auth, no database)', 3000, () =>
  app.inject({ url: '/healthz' }),
);
await measure('GET /readyz (database, migrations, extensions)', 500, () => app.inject({ url: '/readyz' }));
const me = await measure('GET /api/v1/me (JWT + account + session + limit)', 2000, () =>
  app.inject({ url: '/api/v1/me', headers: authorization }),
);
await measure('GET /api/v1/admin/users (auth + list query)', 1000, () =>
  app.inject({ url: '/api/v1/admin/users', headers: authorization }),
);
await measure('POST /api/v1/auth/login (argon2id verify)', 30, login);
console.log(`authentication overhead per request (p50 /me − p50 /healthz): ${(me - health).toFixed(2)} ms`);

await closeApp();
await db.close();

await benchRetrieval();

const largeMegabytes = Number(process.env.NEXUS_BENCH_LARGE_MB ?? 22);
if (largeMegabytes > 0) await benchLargeDocument(largeMegabytes);
else console.log('large document: skipped (NEXUS_BENCH_LARGE_MB=0)');

const notebookSessions = Number(process.env.NEXUS_BENCH_NOTEBOOK_SESSIONS ?? 1000);
if (notebookSessions > 0) await benchNotebook(notebookSessions);
else console.log('notebook: skipped (NEXUS_BENCH_NOTEBOOK_SESSIONS=0)');
