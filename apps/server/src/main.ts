import { pathToFileURL } from 'node:url';
import { buildApp } from './app.ts';
import { type Config, ConfigError, loadConfig, shouldLoadDemo } from './config.ts';
import { apiKeyCommands } from './modules/api-keys/api-keys.cli.ts';
import { demoCommands, printDemoCredentials } from './modules/demo/demo.cli.ts';
import { loadDemoDocuments, seedDemo } from './modules/demo/demo.service.ts';
import { ingestionCommands } from './modules/ingestion/ingestion.cli.ts';
import { retrievalCommands } from './modules/retrieval/retrieval.cli.ts';
import { tenancyCommands } from './modules/tenancy/tenancy.cli.ts';
import { userCommands } from './modules/users/users.cli.ts';
import { ROLES } from './modules/users/users.service.ts';
import { WEB_DIST_DIR } from './modules/web/web.routes.ts';
import {
  type CliCommand,
  type CliContext,
  DEFAULT_TENANT_SLUG,
  parseFlags,
  UsageError,
} from './platform/cli.ts';
import { DataDirectoryInUseError } from './platform/data-directory-lock.ts';
import { MigrationError } from './platform/db/migrations.ts';
import { AppError } from './platform/errors.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { openRuntime } from './runtime.ts';

/**
 * The `nexus` command line. `npm run nexus -- <command>` or the `nexus` bin.
 * Exit codes: 0 done, 1 failed, 2 usage error.
 */

/** Every module's commands (`<module>.cli.ts`); serve, worker and migrate are main's own. */
const MODULE_COMMANDS: readonly CliCommand[] = [
  ...demoCommands,
  ...tenancyCommands,
  ...userCommands,
  ...apiKeyCommands,
  ...ingestionCommands,
  ...retrievalCommands,
];

export const USAGE = `Usage: nexus <command> [options]

Commands:
  serve                         Start the HTTP API (and, in embedded mode, the job worker)
  worker                        Run background jobs only (server Postgres deployments)
  migrate                       Apply pending database migrations
${MODULE_COMMANDS.map((command) => `  ${command.usage}`).join('\n')}
  help                          Show this text

Roles: ${ROLES.join(', ')}. --tenant defaults to "${DEFAULT_TENANT_SLUG}".
Configuration comes from environment variables; see README.md.`;

export { UsageError } from './platform/cli.ts';

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
      metrics: runtime.metrics,
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
  const [command] = argv;
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
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    case undefined:
      throw new UsageError('No command given');
    default:
      return runModuleCommand(argv, config, logger);
  }
}

/** `tenant create …` → the tenancy module's `tenant create`; `search …` → retrieval's `search`. */
async function runModuleCommand(argv: string[], config: Config, logger: Logger): Promise<void> {
  const [command, subcommand, ...rest] = argv;
  const group = MODULE_COMMANDS.filter((entry) => entry.name.split(' ')[0] === command);
  if (group.length === 0) throw new UsageError(`Unknown command "${command}"`);
  const exact = group.find((entry) => entry.name === command);
  if (exact) return exact.run(argv.slice(1), cliContext(config, logger));
  const sub = group.find((entry) => entry.name === `${command} ${subcommand}`);
  if (!sub) throw new UsageError(`Unknown ${command} command "${subcommand ?? ''}"`);
  return sub.run(rest, cliContext(config, logger));
}

function cliContext(config: Config, logger: Logger): CliContext {
  return {
    config,
    logger,
    withDatabase: (name, fn) => withDatabase(config, logger, name, fn),
  };
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
