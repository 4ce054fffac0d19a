import { z } from 'zod';
import type { Embedder } from '../../platform/embeddings.ts';
import { defineJob } from '../../platform/queue.ts';
import { ingestStoredDocument, updateJobRecord } from './ingestion.service.ts';
import type { ParseLimits } from './ingestion.types.ts';

export const INGEST_DOCUMENT_JOB = 'ingest-document';
export const INGEST_ATTEMPTS = 3;

/** Parses, chunks and indexes one stored document version; progress and outcome go to the jobs table. */
export function createIngestDocumentJob(limits: ParseLimits, embedder: Embedder | null = null) {
  return defineJob({
    name: INGEST_DOCUMENT_JOB,
    version: 1,
    payload: z.object({ tenantId: z.uuid(), documentId: z.uuid() }),
    attempts: INGEST_ATTEMPTS,
    retryDelaySeconds: 5,
    timeoutSeconds: 15 * 60,
    async handler({ tenantId, documentId }, { db, jobId, log, attempt }) {
      await updateJobRecord(db.kysely, jobId, { status: 'running', progress: 0.05, error: null });
      try {
        const outcome = await ingestStoredDocument(db, tenantId, documentId, {
          limits,
          embedder,
          log,
          onProgress: (progress) => updateJobRecord(db.kysely, jobId, { progress }),
        });
        if (outcome.status === 'rejected') {
          await updateJobRecord(db.kysely, jobId, { status: 'failed', progress: 1, error: outcome.message });
        } else {
          await updateJobRecord(db.kysely, jobId, { status: 'succeeded', progress: 1 });
        }
      } catch (error) {
        const message = (error as Error).message;
        const isLastAttempt = attempt >= INGEST_ATTEMPTS;
        await updateJobRecord(db.kysely, jobId, {
          status: isLastAttempt ? 'failed' : 'queued',
          error: isLastAttempt
            ? `Ingestion failed after ${INGEST_ATTEMPTS} attempts: ${message}`
            : `Attempt ${attempt} failed (${message}); retrying.`,
        });
        throw error;
      }
    },
  });
}
