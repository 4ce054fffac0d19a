import { z } from 'zod';

/**
 * Notebook mode: private sessions over the user's own files. A session expires
 * `NEXUS_NOTEBOOK_TTL_HOURS` after creation (or after unpinning) unless pinned.
 */

export const notebookGuideSchema = z
  .object({
    summary: z.string(),
    questions: z.array(z.string()).max(3),
    kind: z.enum(['extractive', 'model']).describe('`extractive`: sentences chosen from the file, no model'),
  })
  .meta({ id: 'NotebookGuide' });
export type NotebookGuide = z.infer<typeof notebookGuideSchema>;

export const notebookFileSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    mime_type: z.string().nullable(),
    size_bytes: z.number().int(),
    status: z.enum(['pending', 'processing', 'ready', 'failed']),
    error: z.string().nullable(),
    chunk_count: z.number().int(),
    guide: notebookGuideSchema.nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'NotebookFile' });
export type NotebookFile = z.infer<typeof notebookFileSchema>;

export const notebookSessionSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    is_pinned: z.boolean(),
    expires_at: z.string().nullable().describe('null while pinned'),
    total_size_bytes: z.number().int(),
    quota_bytes: z.number().int(),
    files: z.array(notebookFileSchema),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'NotebookSession' });
export type NotebookSession = z.infer<typeof notebookSessionSchema>;

export const notebookSessionListSchema = z.object({ sessions: z.array(notebookSessionSchema) });

export const createNotebookSessionSchema = z.object({
  title: z.string().trim().min(1, 'must not be empty').max(200).optional(),
});

export const updateNotebookSessionSchema = z.object({
  title: z.string().trim().min(1, 'must not be empty').max(200),
});

export const notebookUploadAcceptedSchema = z.object({
  files: z.array(z.object({ file_id: z.uuid(), name: z.string(), job_id: z.uuid() })),
});

export const notebookFileParamsSchema = z.object({ id: z.uuid(), file_id: z.uuid() });

export const notebookChatSchema = z.object({
  content: z.string().trim().min(1, 'must not be empty').max(8000),
  file_ids: z
    .array(z.uuid())
    .min(1, 'choose at least one file, or leave file_ids out for all of them')
    .max(100)
    .optional()
    .describe('Answer from these files of the session only (default: all of them)'),
});
