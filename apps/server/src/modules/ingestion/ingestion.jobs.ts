import type { Embedder } from '../../platform/embeddings.ts';
import { defineJob } from '../../platform/queue.ts';
import { INGEST_DOCUMENT_JOB, markIngestionFailed } from '../documents/documents.service.ts';
import { updateJob } from '../jobs/jobs.service.ts';
import { ingestDocument } from './ingestion.service.ts';
import type { ParseLimits } from './ingestion.types.ts';

export const INGEST_ATTEMPTS = 3;

/**
 * Ingests a document's latest stored version (queued by the documents module when a version
 * arrives); progress and outcome go to the document's job record.
 */
export function createIngestDocumentJob(limits: ParseLimits, embedder: Embedder | null = null) {
  return defineJob({
    ...INGEST_DOCUMENT_JOB,
    attempts: INGEST_ATTEMPTS,
    retryDelaySeconds: 5,
    timeoutSeconds: 30 * 60,
    async handler({ tenantId, documentId }, { db, jobId, log, attempt }) {
      await updateJob(db.kysely, jobId, { status: 'running', progress: 0.05, attempt, error: null });
      try {
        const outcome = await ingestDocument(db, tenantId, documentId, {
          limits,
          embedder,
          log,
          onProgress: (progress) => updateJob(db.kysely, jobId, { progress }),
        });
        if (outcome.status === 'rejected') {
          await updateJob(db.kysely, jobId, { status: 'failed', progress: 1, error: outcome.message });
        } else {
          await updateJob(db.kysely, jobId, { status: 'succeeded', progress: 1 });
        }
      } catch (error) {
        const message = (error as Error).message;
        const isLastAttempt = attempt >= INGEST_ATTEMPTS;
        await updateJob(db.kysely, jobId, {
          status: isLastAttempt ? 'failed' : 'queued',
          error: isLastAttempt
            ? `Ingestion failed after ${INGEST_ATTEMPTS} attempts: ${message}`
            : `Attempt ${attempt} failed (${message}); retrying.`,
        });
        if (isLastAttempt) await markIngestionFailed(db, tenantId, documentId, message);
        throw error;
      }
    },
    /** The worker running it died (no heartbeat): the queue retries it, or gives up after the last attempt. */
    async onStalled({ tenantId, documentId }, { db, jobId, attempt, isFinal }) {
      const reason = 'the worker running it stopped (crashed, killed or frozen)';
      await updateJob(db.kysely, jobId, {
        status: isFinal ? 'failed' : 'queued',
        error: isFinal
          ? `Ingestion failed after ${attempt} attempts: ${reason}.`
          : `Attempt ${attempt} did not finish: ${reason}; retrying.`,
      });
      if (isFinal) await markIngestionFailed(db, tenantId, documentId, `${reason} ${attempt} times`);
    },
  });
}
