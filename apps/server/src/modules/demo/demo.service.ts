import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_TENANT_SLUG } from '../../platform/cli.ts';
import type { Db } from '../../platform/db/database.ts';
import type { Role } from '../../platform/db/schema.ts';
import type { Embedder } from '../../platform/embeddings.ts';
import type { JobQueue } from '../../platform/queue.ts';
import { submitSourceItem } from '../documents/documents.service.ts';
import { ingestDocument } from '../ingestion/ingestion.service.ts';
import type { ParseLimits } from '../ingestion/ingestion.types.ts';
import { createTenant, resolveDepartment, resolveScope } from '../tenancy/tenancy.service.ts';
import { createUser } from '../users/users.service.ts';

export const DEMO_TENANT = { slug: DEFAULT_TENANT_SLUG, name: 'Northwind Meridian (demo)' } as const;
export const DEMO_DOCUMENTS_DIRECTORY = fileURLToPath(new URL('../../../demo/', import.meta.url));

export const DEMO_USERS: readonly { email: string; displayName: string; role: Role; department: string }[] = [
  { email: 'admin@northwind.example', displayName: 'Ada Admin', role: 'super_admin', department: 'UK/IT' },
  {
    email: 'manager@northwind.example',
    displayName: 'Morgan Manager',
    role: 'content_manager',
    department: 'UK/HR',
  },
  { email: 'employee@northwind.example', displayName: 'Eli Employee', role: 'user', department: 'UK/IT' },
];

const manifestSchema = z.object({
  documents: z
    .array(
      z.object({
        file: z.string().min(1),
        title: z.string().min(1),
        departments: z.array(z.string()).default([]),
        regions: z.array(z.string()).default([]),
      }),
    )
    .min(1),
});
export type DemoManifest = z.infer<typeof manifestSchema>;

export async function readDemoManifest(): Promise<DemoManifest> {
  const text = await readFile(`${DEMO_DOCUMENTS_DIRECTORY}manifest.json`, 'utf8');
  return manifestSchema.parse(JSON.parse(text));
}

export interface SeededDemo {
  tenantId: string;
  users: { email: string; role: Role; password: string }[];
}

const SEEDED_KEY = 'demo_seeded_at';

/**
 * Loads the demo tenant, taxonomy, users and model settings, once per database:
 * returns null when it was loaded before. Passwords are NEXUS_DEMO_PASSWORD when
 * given, otherwise generated — returned here so the caller can print them once.
 * The demo documents are loaded next, by loadDemoDocuments.
 */
export async function seedDemo(db: Db, options: { password?: string } = {}): Promise<SeededDemo | null> {
  const manifest = await readDemoManifest();
  return db.transaction(async (trx) => {
    const marker = await trx
      .insertInto('system_state')
      .values({ key: SEEDED_KEY, value: JSON.stringify(new Date().toISOString()) })
      .onConflict((conflict) => conflict.column('key').doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!marker) return null;

    const tenant = await createTenant(trx, DEMO_TENANT);
    const users: SeededDemo['users'] = [];
    for (const demoUser of DEMO_USERS) {
      const password = options.password ?? randomBytes(12).toString('base64url');
      await createUser(trx, { tenantId: tenant.id, ...demoUser, password });
      users.push({ email: demoUser.email, role: demoUser.role, password });
    }

    // Check the manifest's scopes against the taxonomy now, so a typo fails the seed.
    for (const document of manifest.documents) {
      for (const code of document.departments) await resolveDepartment(trx, tenant.id, code);
    }
    return { tenantId: tenant.id, users };
  });
}

/**
 * Puts the demo documents into the demo tenant with their manifest scopes: through the
 * job queue when a worker runs (serve), or ingested right here (CLI seed-demo).
 */
export async function loadDemoDocuments(
  db: Db,
  tenantId: string,
  ingestion: { queue: JobQueue; limits: ParseLimits } | { limits: ParseLimits; embedder: Embedder | null },
): Promise<number> {
  const manifest = await readDemoManifest();
  for (const entry of manifest.documents) {
    const scope = await resolveScope(db.kysely, tenantId, {
      departments: entry.departments,
      regions: entry.regions,
    });
    const item = {
      tenantId,
      source: { kind: 'demo' as const, name: 'Demo documents' },
      sourceItemId: entry.file,
      title: entry.title,
      file: { filename: entry.file, bytes: await readFile(`${DEMO_DOCUMENTS_DIRECTORY}${entry.file}`) },
      scope,
    };
    if ('queue' in ingestion) {
      await submitSourceItem(db, ingestion.queue, item);
    } else {
      const registered = await submitSourceItem(db, null, item);
      if (!registered.isUnchanged) {
        await ingestDocument(db, tenantId, registered.document.id, {
          limits: ingestion.limits,
          embedder: ingestion.embedder,
        });
      }
    }
  }
  return manifest.documents.length;
}
