import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { buildApp } from './app.ts';
import { type Config, ConfigError, loadConfig, shouldLoadDemo } from './config.ts';
import { createApiKey } from './modules/api-keys/api-keys.service.ts';
import { DEMO_TENANT, loadDemoDocuments, type SeededDemo, seedDemo } from './modules/demo/demo.service.ts';
import { ingestFromCommandLine } from './modules/documents/documents.cli.ts';
import { parseCodeList } from './modules/documents/documents.service.ts';
import { evaluateBeir } from './modules/retrieval/eval.service.ts';
import { searchPassages } from './modules/retrieval/retrieval.service.ts';
import {
  createTenantInTransaction,
  DEFAULT_TAXONOMY,
  requireTenant,
} from './modules/tenancy/tenancy.service.ts';
import { createUser, ROLES, roleSchema, setUserRole } from './modules/users/users.service.ts';
import { WEB_DIST_DIR } from './modules/web/web.routes.ts';
import { DataDirectoryInUseError } from './platform/data-directory-lock.ts';
import { MigrationError } from './platform/db/migrations.ts';
import { AppError } from './platform/errors.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { openRuntime } from './runtime.ts';

/**
 * The `nexus` command line. `npm run nexus -- <command>` or the `nexus` bin.
 * Exit codes: 0 done, 1 failed, 2 usage error.
 */

export const USAGE = `Usage: nexus <command> [options]

Commands:
  serve                         Start the HTTP API (and, in embedded mode, the job worker)
  worker                        Run background jobs only (server Postgres deployments)
  migrate                       Apply pending database migrations
  seed-demo                     Load the demo tenant, users and settings (once)
  tenant create --slug S --name N [--empty-taxonomy]
                                Create a tenant (with the demo's regions and departments
                                unless --empty-taxonomy)
  user create --email E --password P --role R --department REGION/DEPT [--tenant SLUG] [--name NAME]
                                Create a user; --password - reads it from standard input
  user set-role --email E --role R [--tenant SLUG]
                                Change a user's role
  apikey create --name N [--tenant SLUG] [--rate-limit PER_MINUTE]
                                Create an API key; the key is printed once, on the last line
  ingest <path|url> [--departments UK/HR,…] [--regions UK,…] [--tenant SLUG]
                                Ingest a file, a folder (recursively) or a web page
  search "<query>" [--tenant SLUG] [--top-k N]
                                Ranked passages across the tenant (as a super admin sees them)
  eval <beir-dir> [--json]      Retrieval quality on a BEIR dataset in a throw-away database:
                                nDCG@10, Recall@100, MRR@10, ingest time, query latency
  help                          Show this text

Roles: ${ROLES.join(', ')}. --tenant defaults to "${DEMO_TENANT.slug}".
Configuration comes from environment variables; see README.md.`;

export class UsageError extends Error {
  override name = 'UsageError';
}

type Flags = Record<string, string | boolean | undefined>;

function parseFlags(args: string[], options: Record<string, { type: 'string' | 'boolean' }>): Flags {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Flags;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function requireFlag(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value.trim() === '')
    throw new UsageError(`Missing required option --${name}`);
  return value;
}

async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function printDemoCredentials(seeded: SeededDemo): void {
  const lines = [
    'Demo data loaded. Sign in with one of these accounts (shown once — note them now):',
    ...seeded.users.map((user) => `  ${user.role.padEnd(16)} ${user.email.padEnd(28)} ${user.password}`),
  ];
  console.log(`\n${lines.join('\n')}\n`);
}

async function serve(config: Config, logger: Logger): Promise<void> {
  const started = performance.now();
  const runtime = await openRuntime(config, logger, {
    command: 'serve',
    queue: { isWorker: config.serveWorker },
    useRedis: true,
  });
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  try {
    if (shouldLoadDemo(config)) {
      const seeded = await seedDemo(runtime.db, config.demoPassword ? { password: config.demoPassword } : {});
      if (seeded) {
        const count = await loadDemoDocuments(runtime.db, seeded.tenantId, {
          queue: runtime.queue!,
          limits: config.ingestion,
        });
        printDemoCredentials(seeded);
        console.log(`${count} demo documents are being ingested in the background.`);
      }
    }
    app = await buildApp(config, {
      db: runtime.db,
      queue: runtime.queue!,
      redis: runtime.redis,
      logger,
      keys: runtime.keys,
      rateLimiter: runtime.rateLimiter,
      embedder: runtime.embedder,
      webDistDir: WEB_DIST_DIR,
    });
    const address = await app.listen({ port: config.port, host: config.host });
    await runtime.lock?.update({ url: address });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    logger.info(
      { address, database: runtime.db.description, startupSeconds: Number(seconds) },
      'nexus ready',
    );
    console.log(
      `Nexus is ready at ${address} (${runtime.db.description}; started in ${seconds} s). API docs: ${address}/docs`,
    );
  } catch (error) {
    await app?.close();
    await runtime.close();
    throw error;
  }
  const server = app;
  handleShutdown(config, logger, async () => {
    await server.close(); // stop accepting, finish in-flight requests
    await runtime.close(); // finish running jobs, close the database, release the lock
  });
}

async function worker(config: Config, logger: Logger): Promise<void> {
  const runtime = await openRuntime(config, logger, { command: 'worker', queue: { isWorker: true } });
  logger.info({ database: runtime.db.description }, 'nexus worker running');
  console.log(`Nexus worker is running (${runtime.db.description}). Stop with Ctrl+C.`);
  handleShutdown(config, logger, () => runtime.close());
}

function handleShutdown(config: Config, logger: Logger, stop: () => Promise<void>): void {
  let isStopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (isStopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    isStopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 2_000);
    timer.unref();
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Runs one short command against the database (migrated first), then closes it. */
async function withDatabase<T>(
  config: Config,
  logger: Logger,
  command: string,
  fn: (runtime: Awaited<ReturnType<typeof openRuntime>>) => Promise<T>,
): Promise<T> {
  const runtime = await openRuntime(config, logger, { command });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

export async function runCommand(argv: string[], config: Config, logger: Logger): Promise<void> {
  const [command, subcommand, ...rest] = argv;
  switch (command) {
    case 'serve':
      parseFlags(argv.slice(1), {});
      return serve(config, logger);
    case 'worker':
      parseFlags(argv.slice(1), {});
      return worker(config, logger);
    case 'migrate': {
      parseFlags(argv.slice(1), {});
      // openRuntime applies the migrations; report what it did.
      const runtime = await openRuntime(config, logger.child({}, { level: 'warn' }), { command: 'migrate' });
      await runtime.close();
      console.log(`Database is up to date (${runtime.db.description}).`);
      return;
    }
    case 'seed-demo': {
      parseFlags(argv.slice(1), {});
      const seeded = await withDatabase(config, logger, 'seed-demo', async (runtime) => {
        const result = await seedDemo(
          runtime.db,
          config.demoPassword ? { password: config.demoPassword } : {},
        );
        if (result) {
          await loadDemoDocuments(runtime.db, result.tenantId, {
            limits: config.ingestion,
            embedder: runtime.embedder,
          });
        }
        return result;
      });
      if (seeded) printDemoCredentials(seeded);
      else console.log('Demo data was already loaded; nothing to do.');
      return;
    }
    case 'tenant': {
      if (subcommand !== 'create') throw new UsageError(`Unknown tenant command "${subcommand ?? ''}"`);
      const flags = parseFlags(rest, {
        slug: { type: 'string' },
        name: { type: 'string' },
        'empty-taxonomy': { type: 'boolean' },
      });
      const slug = requireFlag(flags, 'slug');
      const name = requireFlag(flags, 'name');
      const tenant = await withDatabase(config, logger, 'tenant create', (runtime) =>
        createTenantInTransaction(runtime.db, {
          slug,
          name,
          taxonomy: flags['empty-taxonomy'] ? [] : DEFAULT_TAXONOMY,
        }),
      );
      console.log(`Created tenant ${tenant.slug} (${tenant.id}).`);
      return;
    }
    case 'user': {
      if (subcommand === 'create') {
        const flags = parseFlags(rest, {
          email: { type: 'string' },
          password: { type: 'string' },
          role: { type: 'string' },
          department: { type: 'string' },
          tenant: { type: 'string' },
          name: { type: 'string' },
        });
        const email = requireFlag(flags, 'email');
        const role = parseRole(requireFlag(flags, 'role'));
        const department = requireFlag(flags, 'department');
        let password = requireFlag(flags, 'password');
        if (password === '-') password = await readStandardInput();
        const tenantSlug = typeof flags.tenant === 'string' ? flags.tenant : DEMO_TENANT.slug;
        const user = await withDatabase(config, logger, 'user create', (runtime) =>
          runtime.db.transaction(async (trx) => {
            const tenant = await requireTenant(trx, tenantSlug);
            return createUser(trx, {
              tenantId: tenant.id,
              email,
              password,
              role,
              department,
              ...(typeof flags.name === 'string' ? { displayName: flags.name } : {}),
            });
          }),
        );
        console.log(`Created ${user.role} ${user.email} (${user.id}) in tenant ${tenantSlug}.`);
        return;
      }
      if (subcommand === 'set-role') {
        const flags = parseFlags(rest, {
          email: { type: 'string' },
          role: { type: 'string' },
          tenant: { type: 'string' },
        });
        const email = requireFlag(flags, 'email');
        const role = parseRole(requireFlag(flags, 'role'));
        const tenantSlug = typeof flags.tenant === 'string' ? flags.tenant : DEMO_TENANT.slug;
        const result = await withDatabase(config, logger, 'user set-role', (runtime) =>
          runtime.db.transaction(async (trx) => {
            const tenant = await requireTenant(trx, tenantSlug);
            return setUserRole(trx, { tenantId: tenant.id, email, role });
          }),
        );
        console.log(`${result.user.email}: ${result.previousRole} → ${result.user.role}.`);
        return;
      }
      throw new UsageError(`Unknown user command "${subcommand ?? ''}"`);
    }
    case 'apikey': {
      if (subcommand !== 'create') throw new UsageError(`Unknown apikey command "${subcommand ?? ''}"`);
      const flags = parseFlags(rest, {
        name: { type: 'string' },
        tenant: { type: 'string' },
        'rate-limit': { type: 'string' },
      });
      const name = requireFlag(flags, 'name');
      const rateLimitText = flags['rate-limit'];
      let rateLimit: number | null = null;
      if (typeof rateLimitText === 'string') {
        rateLimit = Number(rateLimitText);
        if (!Number.isInteger(rateLimit) || rateLimit < 1)
          throw new UsageError('--rate-limit must be a whole number ≥ 1');
      }
      const tenantSlug = typeof flags.tenant === 'string' ? flags.tenant : DEMO_TENANT.slug;
      const created = await withDatabase(config, logger, 'apikey create', (runtime) =>
        runtime.db.transaction(async (trx) => {
          const tenant = await requireTenant(trx, tenantSlug);
          return createApiKey(trx, { tenantId: tenant.id, name, rateLimitPerMinute: rateLimit });
        }),
      );
      console.log(
        `Created API key "${created.apiKey.name}" (prefix ${created.apiKey.prefix}) in tenant ${tenantSlug}. Store it now; it is not shown again:`,
      );
      console.log(created.key);
      return;
    }
    case 'ingest': {
      const flags = parseFlags(rest, {
        departments: { type: 'string' },
        regions: { type: 'string' },
        tenant: { type: 'string' },
      });
      if (!subcommand) throw new UsageError('ingest needs a file, folder or URL');
      const tenantSlug = typeof flags.tenant === 'string' ? flags.tenant : DEMO_TENANT.slug;
      await withDatabase(config, logger, 'ingest', (runtime) =>
        ingestFromCommandLine(runtime.db, config, runtime.embedder, {
          target: subcommand,
          tenantSlug,
          departments: parseCodeList(flags.departments as string | undefined),
          regions: parseCodeList(flags.regions as string | undefined),
        }),
      );
      return;
    }
    case 'search': {
      const flags = parseFlags(rest, { tenant: { type: 'string' }, 'top-k': { type: 'string' } });
      if (!subcommand) throw new UsageError('search needs a query');
      const topK = flags['top-k'] === undefined ? 5 : Number(flags['top-k']);
      if (!Number.isInteger(topK) || topK < 1 || topK > 100) throw new UsageError('--top-k must be 1–100');
      const tenantSlug = typeof flags.tenant === 'string' ? flags.tenant : DEMO_TENANT.slug;
      const passages = await withDatabase(config, logger, 'search', async (runtime) => {
        const tenant = await requireTenant(runtime.db.kysely, tenantSlug);
        const reader = {
          tenantId: tenant.id,
          role: 'super_admin' as const,
          departmentId: null,
          regionId: null,
        };
        return searchPassages(runtime.db, reader, subcommand, { topK, embedder: runtime.embedder });
      });
      if (passages.length === 0) console.log('No passages match.');
      passages.forEach((passage, index) => {
        const where = [passage.page ? `p. ${passage.page}` : null, passage.section]
          .filter(Boolean)
          .join(', ');
        console.log(`${index + 1}. ${passage.title}${where ? ` (${where})` : ''}  score ${passage.score.toFixed(3)}
   ${passage.snippet}`);
      });
      return;
    }
    case 'eval': {
      const flags = parseFlags(rest, { json: { type: 'boolean' } });
      if (!subcommand) throw new UsageError('eval needs a BEIR dataset directory');
      const bar = process.stderr.isTTY
        ? new SingleBar({ format: '{phase} [{bar}] {value}/{total}' }, Presets.shades_classic)
        : null;
      let phase = '';
      const report = await evaluateBeir(subcommand, config.database, config.embeddings, (progress) => {
        if (!bar) return;
        if (progress.phase !== phase) {
          if (phase) bar.stop();
          phase = progress.phase;
          bar.start(progress.total, 0, { phase: phase.padEnd(6) });
        }
        bar.update(progress.done, { phase: phase.padEnd(6) });
      });
      bar?.stop();
      if (!flags.json) {
        console.log(
          `dataset        ${report.dataset} (${report.documents} documents, ${report.chunks} chunks, ${report.queries} queries)`,
        );
        console.log(`lexical path   ${report.lexical}`);
        console.log(`nDCG@10        ${report.ndcg_at_10.toFixed(4)}`);
        console.log(`Recall@100     ${report.recall_at_100.toFixed(4)}`);
        console.log(`MRR@10         ${report.mrr_at_10.toFixed(4)}`);
        console.log(`ingest         ${report.ingest_seconds.toFixed(1)} s`);
        console.log(
          `query latency  p50 ${report.query_p50_ms.toFixed(1)} ms, p95 ${report.query_p95_ms.toFixed(1)} ms`,
        );
      }
      console.log(
        JSON.stringify({
          dataset: report.dataset,
          queries: report.queries,
          ndcg_at_10: report.ndcg_at_10,
          recall_at_100: report.recall_at_100,
          mrr_at_10: report.mrr_at_10,
          ingest_seconds: report.ingest_seconds,
          query_p50_ms: report.query_p50_ms,
          query_p95_ms: report.query_p95_ms,
        }),
      );
      return;
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    case undefined:
      throw new UsageError('No command given');
    default:
      throw new UsageError(`Unknown command "${command}"`);
  }
}

function parseRole(value: string) {
  const parsed = roleSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`Unknown role "${value}"; use one of ${ROLES.join(', ')}`);
  return parsed.data;
}

/** Entry point: maps errors to messages and exit codes. */
export async function main(argv: string[]): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  const isLongRunning = argv[0] === 'serve' || argv[0] === 'worker';
  // Short commands talk to people: keep logs to warnings unless LOG_LEVEL asks for more.
  const logger = createLogger({
    logLevel: isLongRunning || config.logLevel !== 'info' ? config.logLevel : 'warn',
  });
  try {
    await runCommand(argv, config, logger);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`nexus: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (
      error instanceof AppError ||
      error instanceof DataDirectoryInUseError ||
      error instanceof MigrationError
    ) {
      console.error(`nexus: ${error.message}`);
      return 1;
    }
    logger.error({ err: error }, 'command failed');
    console.error(`nexus: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntryPoint) {
  const code = await main(process.argv.slice(2));
  // Long-running commands keep the event loop alive; short ones exit with their code.
  if (code !== 0 || !['serve', 'worker'].includes(process.argv[2] ?? '')) process.exit(code);
}
