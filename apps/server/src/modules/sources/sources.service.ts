import type { Executor } from '../../platform/db/database.ts';
import { findSourceByName, insertSource, type SourceKind } from './sources.repository.ts';

export type { SourceKind } from './sources.repository.ts';

/** The tenant's source of this kind and name (uploads, a folder, web pages, the demo), created on first use. */
export async function ensureSource(
  executor: Executor,
  source: { tenantId: string; kind: SourceKind; name: string; config?: Record<string, unknown> },
): Promise<string> {
  return (
    (await findSourceByName(executor, source.tenantId, source.kind, source.name)) ??
    (await insertSource(executor, source))
  );
}
