import { z } from 'zod';

export const healthResponseSchema = z.object({ status: z.literal('ok') });
export type HealthResponse = z.infer<typeof healthResponseSchema>;

const onOff = z.enum(['on', 'off']);

export const readinessResponseSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    database: z.enum(['ok', 'error']).describe('The database answers a query'),
    database_kind: z.enum(['embedded', 'postgres']),
    migrations: z.enum(['current', 'pending', 'unknown']),
    vector: onOff.describe('pgvector available: dense retrieval possible'),
    bm25: onOff.describe('pg_textsearch BM25 index available'),
    lexical: z.enum(['bm25', 'fulltext']).describe('Lexical retrieval path in use'),
    rls: onOff.describe(
      'Row-level security role available: tenant content is walled off in the database too',
    ),
    queue: z.enum(['running', 'stopped']),
    worker: z.enum(['in_process', 'external']),
    redis: z.enum(['ok', 'error', 'not_configured']),
    errors: z.array(z.string()).optional(),
  })
  .meta({ id: 'Readiness' });
export type ReadinessResponse = z.infer<typeof readinessResponseSchema>;
