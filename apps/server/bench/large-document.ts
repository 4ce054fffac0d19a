/**
 * The large-document case (issue 12): one Markdown file of NEXUS_BENCH_LARGE_MB (default
 * 22) uploaded over real HTTP to an embedded server with its worker, while /healthz is
 * pinged every 50 ms and a `user` searches. Prints: the upload's 202 time, ingestion time
 * and rate, /healthz latency idle and while the file is received and ingested, and search
 * latency during and after ingestion. Figures, not pass/fail.
 */
import http from 'node:http';
import { createTenant } from '../src/modules/tenancy/tenancy.service.ts';
import { createUser } from '../src/modules/users/users.service.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrate } from '../src/platform/db/migrations.ts';
import { signIn, startBenchApp } from './app.ts';

/** A manual of plausible maintenance prose, `bytes` long, the same for the same seed. */
export function generateManual(bytes: number, seed = 1): string {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const common =
    'turbine maintenance schedule inspection blade gearbox bearing lubrication generator tower nacelle rotor yaw pitch sensor vibration alarm shutdown technician safety harness torque bolt crane weather wind speed report quarterly annual monthly weekly procedure checklist record spare part inventory supplier warranty contract budget cost failure repair replacement crew shift training certificate permit'.split(
      ' ',
    );
  const rare = Array.from({ length: 6000 }, () =>
    Array.from(
      { length: 3 + Math.floor(random() * 8) },
      () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 26)],
    ).join(''),
  );
  const pick = () =>
    random() < 0.5
      ? common[Math.floor(random() * common.length)]!
      : rare[Math.floor(random() ** 2 * rare.length)]!;
  const parts = [`# Wind farm operations manual ${seed}\n\n`];
  let size = parts[0]!.length;
  for (let section = 0; size < bytes; ) {
    let block = random() < 0.08 ? `\n## Section ${++section}: ${pick()} ${pick()}\n\n` : '';
    for (let sentence = 0, count = 3 + Math.floor(random() * 5); sentence < count; sentence++) {
      const words = Array.from({ length: 8 + Math.floor(random() * 14) }, pick);
      block += `${words.join(' ')}. `;
    }
    block += '\n\n';
    parts.push(block);
    size += block.length;
  }
  return parts.join('');
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(samples: number[]): string {
  return `p50 ${percentile(samples, 50).toFixed(1)} / p99 ${percentile(samples, 99).toFixed(1)} / max ${Math.max(...samples).toFixed(1)} ms (n=${samples.length})`;
}

export async function benchLargeDocument(megabytes: number): Promise<void> {
  const db = await openDatabase({ kind: 'embedded', dataDir: 'memory://' });
  await migrate(db);
  const { app, close } = await startBenchApp(db, {
    isWorker: true,
    environment: {
      NEXUS_MAX_UPLOAD_BYTES: String(64 * 1024 * 1024),
      NEXUS_BODY_LIMIT_BYTES: String(64 * 1024 * 1024),
    },
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const password = 'benchmark password 123';
  await db.transaction(async (trx) => {
    const tenant = await createTenant(trx, { slug: 'large', name: 'Large' });
    for (const [email, role, department] of [
      ['admin@large.example', 'super_admin', 'UK/IT'],
      ['user@large.example', 'user', 'UK/HR'],
    ] as const) {
      await createUser(trx, { tenantId: tenant.id, email, password, role, department });
    }
  });
  const signInAs = (email: string) => signIn(base, email, password);
  const admin = await signInAs('admin@large.example');
  const user = await signInAs('user@large.example');

  // /healthz every 50 ms on a keep-alive connection: the server's event loop delay, seen from outside.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let healthSamples: number[] = [];
  let isPinging = true;
  const pinger = (async () => {
    while (isPinging) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        http
          .get(`${base}/healthz`, { agent }, (response) => response.resume().on('end', resolve))
          .on('error', () => resolve());
      });
      healthSamples.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const search = async (query: string) => {
    const started = performance.now();
    await fetch(`${base}/api/v1/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, top_k: 10 }),
    }).then((response) => response.text());
    return performance.now() - started;
  };
  const queries = ['turbine maintenance schedule', 'turbne maintenence', 'gearbox lubrication procedure'];

  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idleHealth = healthSamples;
  healthSamples = [];

  const manual = generateManual(megabytes * 1_000_000);
  const form = new FormData();
  form.append('file', new Blob([manual], { type: 'text/markdown' }), 'manual.md');
  let started = performance.now();
  const accepted = (await (
    await fetch(`${base}/api/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
      body: form,
    })
  ).json()) as { job_id: string; document_id: string };
  const acceptedMs = performance.now() - started;

  started = performance.now();
  const searchesDuring: number[] = [];
  let job = { status: 'queued', progress: 0 };
  for (let index = 0; job.status !== 'succeeded' && job.status !== 'failed'; index++) {
    searchesDuring.push(await search(queries[index % queries.length]!));
    job = (await (
      await fetch(`${base}/api/v1/jobs/${accepted.job_id}`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as typeof job;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const ingestSeconds = (performance.now() - started) / 1000;
  const busyHealth = healthSamples;
  const document = (await (
    await fetch(`${base}/api/v1/documents/${accepted.document_id}`, {
      headers: { authorization: `Bearer ${admin}` },
    })
  ).json()) as { chunk_count: number; status: string };

  const searchesAfter: number[] = [];
  for (let round = 0; round < 20; round++)
    for (const query of queries) searchesAfter.push(await search(query));
  isPinging = false;
  await pinger;

  console.log(
    `\nlarge document (${megabytes} MB Markdown, ${document.chunk_count} chunks, job ${job.status}): ` +
      `upload answered 202 in ${acceptedMs.toFixed(0)} ms; ingested in ${ingestSeconds.toFixed(1)} s = ${(document.chunk_count / ingestSeconds).toFixed(0)} chunks/s`,
  );
  console.log(`  /healthz idle:                        ${summary(idleHealth)}`);
  console.log(`  /healthz while uploaded and ingested: ${summary(busyHealth)}`);
  console.log(
    `  /healthz p99 busy / idle: ${(percentile(busyHealth, 99) / percentile(idleHealth, 99)).toFixed(1)}x`,
  );
  console.log(`  search (user, top 10) during ingestion: ${summary(searchesDuring)}`);
  console.log(
    `  search (user, top 10) after ingestion:  ${summary(searchesAfter)}; p95 ${percentile(searchesAfter, 95).toFixed(1)} ms`,
  );
  agent.destroy();
  await close();
  await db.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchLargeDocument(Number(process.env.NEXUS_BENCH_LARGE_MB ?? 22));
}
