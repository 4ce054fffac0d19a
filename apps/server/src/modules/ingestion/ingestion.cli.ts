import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { Config } from '../../config.ts';
import { type CliCommand, parseFlags, tenantFlag, UsageError } from '../../platform/cli.ts';
import type { Db } from '../../platform/db/database.ts';
import type { Embedder } from '../../platform/embeddings.ts';
import { AppError } from '../../platform/errors.ts';
import { parseCodeList, submitSourceItem } from '../documents/documents.service.ts';
import { requireTenant, resolveScope } from '../tenancy/tenancy.service.ts';
import { ingestDocument } from './ingestion.service.ts';

export const ingestionCommands: CliCommand[] = [
  {
    name: 'ingest',
    usage: `ingest <path|url> [--departments UK/HR,…] [--regions UK,…] [--tenant SLUG]
                                Ingest a file, a folder (recursively) or a web page`,
    async run(args, { config, withDatabase }) {
      const [target, ...rest] = args;
      const flags = parseFlags(rest, {
        departments: { type: 'string' },
        regions: { type: 'string' },
        tenant: { type: 'string' },
      });
      if (!target) throw new UsageError('ingest needs a file, folder or URL');
      await withDatabase('ingest', (runtime) =>
        ingestFromCommandLine(runtime.db, config, runtime.embedder, {
          target,
          tenantSlug: tenantFlag(flags),
          departments: parseCodeList(flags.departments as string | undefined),
          regions: parseCodeList(flags.regions as string | undefined),
        }),
      );
    },
  },
];

/**
 * `nexus ingest <path|url>`: files, folders (recursively) and web pages, ingested in
 * this process with a progress bar (no worker needed). Re-running it skips unchanged files.
 */
export async function ingestFromCommandLine(
  db: Db,
  config: Config,
  embedder: Embedder | null,
  options: { target: string; tenantSlug: string; departments: string[]; regions: string[] },
): Promise<void> {
  const tenant = await requireTenant(db.kysely, options.tenantSlug);
  const scope = await resolveScope(db.kysely, tenant.id, {
    departments: options.departments,
    regions: options.regions,
  });
  const items = /^https?:\/\//i.test(options.target)
    ? [await fetchPage(options.target, config.ingestion.maxBytes)]
    : await readFiles(path.resolve(options.target));
  const isUrl = /^https?:\/\//i.test(options.target);
  const source = {
    kind: isUrl ? ('url' as const) : ('folder' as const),
    name: isUrl ? 'Web pages' : (items[0]?.root ?? path.resolve(options.target)),
  };

  const bar = process.stderr.isTTY
    ? new SingleBar({ format: 'ingest [{bar}] {value}/{total} {file}' }, Presets.shades_classic)
    : null;
  bar?.start(items.length, 0, { file: '' });
  const counts = { ingested: 0, unchanged: 0, rejected: 0 };
  const problems: string[] = [];
  for (const [index, item] of items.entries()) {
    bar?.update(index, { file: item.sourceItemId.slice(-50) });
    const registered = await submitSourceItem(db, null, {
      tenantId: tenant.id,
      source,
      sourceItemId: item.sourceItemId,
      file: { filename: path.basename(item.sourceItemId), bytes: item.bytes },
      url: isUrl ? item.sourceItemId : null,
      scope,
    });
    if (registered.isUnchanged) {
      counts.unchanged++;
      continue;
    }
    const outcome = await ingestDocument(db, tenant.id, registered.document.id, {
      limits: config.ingestion,
      embedder,
    });
    if (outcome.status === 'rejected') {
      counts.rejected++;
      problems.push(`${item.sourceItemId}: ${outcome.message}`);
    } else if (outcome.status === 'ingested') {
      counts.ingested++;
    } else {
      counts.unchanged++;
    }
  }
  bar?.update(items.length, { file: '' });
  bar?.stop();
  for (const problem of problems) console.error(`  not ingested: ${problem}`);
  console.log(
    `Ingested ${counts.ingested}, unchanged ${counts.unchanged}, rejected ${counts.rejected} of ${items.length} into tenant ${tenant.slug}.`,
  );
}

interface Item {
  root: string;
  sourceItemId: string;
  bytes: Uint8Array;
}

async function readFiles(target: string): Promise<Item[]> {
  const info = await stat(target).catch(() => null);
  if (!info) throw new AppError('not_found:path', `No such file or folder: ${target}`);
  if (info.isFile()) {
    return [
      { root: path.dirname(target), sourceItemId: path.basename(target), bytes: await readFile(target) },
    ];
  }
  const items: Item[] = [];
  const walk = async (directory: string) => {
    for (const entry of (await readdir(directory, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile())
        items.push({ root: target, sourceItemId: path.relative(target, full), bytes: await readFile(full) });
    }
  };
  await walk(target);
  return items;
}

async function fetchPage(url: string, maxBytes: number): Promise<Item> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(30_000), redirect: 'follow' });
  } catch (error) {
    throw new AppError('bad_gateway:fetch', `Could not fetch ${url}: ${(error as Error).message}`);
  }
  if (!response.ok)
    throw new AppError('bad_gateway:fetch', `Fetching ${url} answered HTTP ${response.status}.`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes)
    throw new AppError('payload_too_large:fetch', `${url} is larger than the ${maxBytes}-byte limit.`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength > maxBytes)
    throw new AppError('payload_too_large:fetch', `${url} is larger than the ${maxBytes}-byte limit.`);
  return { root: '', sourceItemId: url, bytes };
}
