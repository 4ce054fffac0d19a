import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import type { Db } from './db/database.ts';
import type { Embedder } from './embeddings.ts';
import type { Logger } from './logger.ts';

/**
 * The `nexus` command line is assembled from each module's command table (`<module>.cli.ts`);
 * main.ts only dispatches. A command gets the configuration, a logger and a way to open the
 * database (migrated, closed afterwards) — never the process's globals.
 */

/** The tenant commands act on without `--tenant` (the demo company's). */
export const DEFAULT_TENANT_SLUG = 'default';

/** `--tenant`, or the default tenant. */
export function tenantFlag(flags: Flags): string {
  return optionalFlag(flags, 'tenant') ?? DEFAULT_TENANT_SLUG;
}

/** A command line that cannot be run as typed: usage and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CliRuntime {
  db: Db;
  embedder: Embedder | null;
}

export interface CliContext {
  config: Config;
  logger: Logger;
  /** Opens the database for one command (`name` is recorded in the data-directory lock). */
  withDatabase<T>(name: string, fn: (runtime: CliRuntime) => Promise<T>): Promise<T>;
}

export interface CliCommand {
  /** `tenant`, or `tenant create` for a command with a subcommand. */
  name: string;
  /** The usage lines, as printed by `nexus help`. */
  usage: string;
  /** Runs with the words after the name. */
  run(args: string[], context: CliContext): Promise<void>;
}

export type Flags = Record<string, string | boolean | undefined>;

export function parseFlags(args: string[], options: Record<string, { type: 'string' | 'boolean' }>): Flags {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Flags;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function requireFlag(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value.trim() === '')
    throw new UsageError(`Missing required option --${name}`);
  return value;
}

export function optionalFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

export async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
