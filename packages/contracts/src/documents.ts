import { z } from 'zod';

export const documentStatusSchema = z.enum(['pending', 'processing', 'ready', 'failed']);

export const documentSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    url: z.string().nullable(),
    mime_type: z.string().nullable(),
    size_bytes: z.number().int().nullable(),
    status: documentStatusSchema,
    error: z.string().nullable().describe('Why the latest version could not be ingested'),
    chunk_count: z.number().int(),
    departments: z.array(z.string()).describe('REGION/DEPT codes; with regions empty = whole tenant'),
    regions: z.array(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Document' });

export const documentListQuerySchema = z.object({
  status: documentStatusSchema.optional(),
  search: z.string().max(200).optional().describe('Matches the title'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export const documentListSchema = z.object({ documents: z.array(documentSchema), total: z.number().int() });

export const uploadAcceptedSchema = z.object({
  document_id: z.uuid(),
  job_id: z.uuid(),
  status: z.enum(['queued', 'unchanged']).describe('`unchanged`: the same content was already ingested'),
});

export const jobSchema = z
  .object({
    id: z.uuid(),
    kind: z.string(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed']),
    progress: z.number().min(0).max(1),
    attempt: z.number().int().min(1).describe('1 for the first run, 2 for the first retry, …'),
    error: z.string().optional(),
    document_id: z.uuid().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Job' });

export const searchRequestSchema = z.object({
  query: z.string().trim().min(1, 'must not be empty').max(1000),
  top_k: z.number().int().min(1).max(100).default(10),
});

export const searchResultSchema = z
  .object({
    chunk_id: z.uuid(),
    document_id: z.uuid(),
    title: z.string(),
    url: z.string().nullable(),
    page: z.number().int().nullable(),
    section: z.string().nullable(),
    snippet: z.string(),
    score: z.number(),
  })
  .meta({ id: 'SearchResult' });
export const searchResponseSchema = z.object({ results: z.array(searchResultSchema) });
