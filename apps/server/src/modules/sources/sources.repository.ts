import type { Executor } from '../../platform/db/database.ts';

export type SourceKind = 'upload' | 'folder' | 'url' | 'demo' | 'notebook';

export async function findSourceByName(
  executor: Executor,
  tenantId: string,
  kind: SourceKind,
  name: string,
): Promise<string | undefined> {
  const row = await executor
    .selectFrom('sources')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', kind)
    .where('name', '=', name)
    .executeTakeFirst();
  return row?.id;
}

export async function insertSource(
  executor: Executor,
  source: { tenantId: string; kind: SourceKind; name: string; config?: Record<string, unknown> },
): Promise<string> {
  const created = await executor
    .insertInto('sources')
    .values({
      tenant_id: source.tenantId,
      kind: source.kind,
      name: source.name,
      config: JSON.stringify(source.config ?? {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return created.id;
}
