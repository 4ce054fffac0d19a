import type { Embedder } from '../../platform/embeddings.ts';
import { INGEST_DOCUMENT_JOB } from '../documents/documents.service.ts';
import { defineIngestionJob } from './ingestion.service.ts';
import type { ParseLimits } from './ingestion.types.ts';

/**
 * Ingests a document's latest stored version (queued by the documents module when a version
 * arrives).
 */
export function createIngestDocumentJob(limits: ParseLimits, embedder: Embedder | null = null) {
  return defineIngestionJob(INGEST_DOCUMENT_JOB, { limits, embedder });
}
