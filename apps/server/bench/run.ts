/**
 * `npm run bench`: figures, not pass/fail. Runs in-process on embedded PGlite (in memory)
 * and prints medians and tail percentiles; compare within one run (machines are noisy).
 */
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createJobDefinitions } from '../src/jobs.ts';
import { deriveServerKeys } from '../src/modules/auth/server-keys.ts';
import { createTenant } from '../src/modules/tenancy/tenancy.service.ts';
import { createUser } from '../src/modules/users/users.service.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrate } from '../src/platform/db/migrations.ts';
import { createLogger } from '../src/platform/logger.ts';
import { JobQueue } from '../src/platform/queue.ts';
import { createMemoryRateLimiter } from '../src/platform/rate-limit.ts';

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

const logger = createLogger({ logLevel: 'silent' });
let started = performance.now();
const db = await openDatabase({ kind: 'embedded', dataDir: 'memory://' });
const openMs = performance.now() - started;
started = performance.now();
await migrate(db);
const migrateMs = performance.now() - started;
console.log(`embedded database: open ${openMs.toFixed(0)} ms, migrate ${migrateMs.toFixed(0)} ms`);

const config = loadConfig({ LOG_LEVEL: 'silent', NEXUS_RATE_LIMIT_USER_PER_MINUTE: '100000000' });
const queue = new JobQueue(db, logger, createJobDefinitions(config), { isWorker: false });
await queue.start();
const app = await buildApp(config, {
  db,
  queue,
  logger,
  keys: deriveServerKeys('benchmark secret that is long enough for hkdf'),
  rateLimiter: createMemoryRateLimiter(),
});
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

await app.close();
await queue.stop(1_000);
await db.close();
