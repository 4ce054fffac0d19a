import { randomUUID } from 'node:crypto';
import type { Db, Executor } from '../../platform/db/database.ts';
import type { Embedder } from '../../platform/embeddings.ts';
import { defineJob, type JobContext, type JobReference, type StallContext } from '../../platform/queue.ts';
import { TaskError, TaskThread, TaskThreadFailure } from '../../platform/threads/task-thread.ts';
import {
  contentHash,
  type ImportedDocument,
  importDocuments,
  markIngestionFailed,
  openVersionToIngest,
  recordRejectedVersion,
  storeVersionChunks,
} from '../documents/documents.service.ts';
import type { ChunkBatch } from '../documents/documents.types.ts';
import { updateJob } from '../jobs/jobs.service.ts';
import {
  DEFAULT_PARSE_LIMITS,
  type ImportItem,
  type IngestOptions,
  type IngestOutcome,
  ParseError,
  type ParseErrorCode,
  type ParseLimits,
  type PreparedChunk,
  type PreparedDocument,
  type PrepareOptions,
} from './ingestion.types.ts';
import type { DocumentInput } from './parsers/index.ts';
import type { PipelineTask, PreparedSummary } from './pipeline.task.ts';
import { prepareDocument as prepareInThisThread } from './pipeline.ts';

/**
 * Ingestion: a pipeline that turns a file into index-ready chunks — sniff, parse along the
 * document's structure, chunk, compute the lexical fields (pipeline.ts) — in a worker
 * thread, so a large file never blocks the server; then embeddings when dense retrieval is
 * on. It stores nothing itself: the documents module owns documents, their versions and
 * chunks; ingestDocument takes a stored version from it and hands the chunks back.
 */

export type { DocumentInput } from './parsers/index.ts';

/** The pipeline in this thread, for batch imports (evaluation datasets) where no request waits. */
export function prepareDocument(input: DocumentInput, options: PrepareOptions): Promise<PreparedDocument> {
  return prepareInThisThread(input, options);
}

/** A file may take this long to parse and chunk before it is refused as too complex. */
const PIPELINE_TIMEOUT_MS = 10 * 60_000;
/** Heap of the pipeline thread: a file that needs more is refused, the server stays up. */
const PIPELINE_MAX_HEAP_MB = 3_072;

const pipelineThread = new TaskThread<PipelineTask, PreparedSummary | PreparedChunk[] | null>({
  module: new URL('./pipeline.task.ts', import.meta.url),
  timeoutMs: PIPELINE_TIMEOUT_MS,
  maxHeapMb: PIPELINE_MAX_HEAP_MB,
  // A prepared document waits here while its batches are written; keep the thread meanwhile.
  idleMs: 10 * 60_000,
});

/** A document prepared in the pipeline thread, whose chunks are read in batches. */
export interface PreparedInThread extends PreparedSummary {
  /** The chunks, `size` at a time, in order. */
  batches(size: number): AsyncGenerator<PreparedChunk[]>;
  /** Frees the thread's copy (call when done, also on failure). */
  release(): Promise<void>;
}

/**
 * prepareDocument (pipeline.ts) in a worker thread: parsing and chunking a large file
 * takes seconds of CPU that the HTTP server's event loop must not wait for. Throws
 * ParseError as prepareDocument does, and `too_complex` when the file exhausts the
 * thread's time or memory.
 */
export async function prepareDocumentInThread(
  input: DocumentInput,
  options: PrepareOptions,
): Promise<PreparedInThread> {
  const id = randomUUID();
  // A copy the thread owns (the caller's buffer may share memory with others).
  const bytes = new Uint8Array(input.bytes);
  const summary = (await runInThread(
    {
      kind: 'prepare',
      id,
      bytes,
      ...(input.filename === undefined ? {} : { filename: input.filename }),
      ...(input.declaredMimeType === undefined ? {} : { declaredMimeType: input.declaredMimeType }),
      ...options,
    },
    [bytes.buffer],
  )) as PreparedSummary;
  return {
    ...summary,
    async *batches(size: number) {
      for (let start = 0; start < summary.chunkCount; start += size) {
        yield (await runInThread({ kind: 'take', id, start, count: size })) as PreparedChunk[];
      }
    },
    async release() {
      await runInThread({ kind: 'release', id }).catch(() => {});
    },
  };
}

async function runInThread(task: PipelineTask, transfer: ArrayBuffer[] = []) {
  try {
    return await pipelineThread.run(task, transfer);
  } catch (error) {
    if (error instanceof TaskError && error.name === 'ParseError') {
      throw new ParseError(error.code as ParseErrorCode, error.message);
    }
    if (error instanceof TaskThreadFailure && error.reason !== 'crashed') {
      throw new ParseError(
        'too_complex',
        error.reason === 'timeout'
          ? `This file took longer than ${PIPELINE_TIMEOUT_MS / 60_000} minutes to read; split it into smaller files.`
          : 'This file needs more memory to read than the server allows; split it into smaller files.',
      );
    }
    throw error;
  }
}

/** Chunks handed to the documents module per transaction: a search waits behind at most one batch. */
const DEFAULT_BATCH_SIZE = 50;

/**
 * Ingests a document's stored latest version: parse and chunk it in the pipeline thread,
 * embed the chunks batch by batch when an embedder is set, and hand them to the documents
 * module, which stores them under a new generation and switches to it at the end. A file
 * the pipeline refuses is `rejected` (the document records why; an earlier version stays
 * searchable). Other errors are thrown so the job is retried.
 */
export async function ingestDocument(
  db: Db,
  tenantId: string,
  documentId: string,
  options: IngestOptions = {},
): Promise<IngestOutcome> {
  const opened = await openVersionToIngest(db, tenantId, documentId);
  if (opened.status !== 'open') return opened;
  const { version } = opened;
  await options.onProgress?.(0.1);

  let prepared: PreparedInThread;
  try {
    prepared = await prepareDocumentInThread(
      {
        bytes: version.blob.bytes,
        ...(version.blob.filename ? { filename: version.blob.filename } : {}),
        ...(version.blob.mimeType ? { declaredMimeType: version.blob.mimeType } : {}),
      },
      {
        limits: options.limits ?? DEFAULT_PARSE_LIMITS,
        title: version.document.title,
        isTitleFromFile: version.document.metadata.title_is_explicit !== true,
      },
    );
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    await recordRejectedVersion(db, version, error.message);
    options.log?.info({ documentId, code: error.code }, 'document rejected');
    return { status: 'rejected', code: error.code, message: error.message };
  }
  await options.onProgress?.(0.3);

  const embedder = options.embedder ?? null;
  const size = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  async function* batches(): AsyncGenerator<ChunkBatch> {
    for await (const chunks of prepared.batches(size)) {
      // Provider errors propagate: the job is retried and the previous version stays searchable.
      yield { chunks, embeddings: await embed(embedder, chunks) };
    }
  }
  let stored: Awaited<ReturnType<typeof storeVersionChunks>>;
  try {
    stored = await storeVersionChunks(db, version, prepared, batches(), (written) =>
      options.onProgress?.(0.3 + 0.65 * (written / prepared.chunkCount)),
    );
  } finally {
    await prepared.release();
  }
  if (stored !== 'stored') {
    options.log?.info(
      { documentId },
      stored === 'superseded' ? 'document version superseded' : 'document deleted during ingestion',
    );
    return { status: stored };
  }
  options.log?.info(
    { documentId, chunks: prepared.chunkCount, format: prepared.format },
    'document ingested',
  );
  return { status: 'ingested', chunkCount: prepared.chunkCount };
}

async function embed(embedder: Embedder | null, chunks: PreparedChunk[]): Promise<ChunkBatch['embeddings']> {
  if (!embedder) return null;
  return { embedderId: embedder.id, vectors: await embedder.embed(chunks.map((chunk) => chunk.searchText)) };
}

/**
 * Imports many small documents at once through the same pipeline (datasets such as BEIR
 * corpora, for evaluation): parsed in this thread, stored in the caller's transaction, no
 * stored originals. Items that cannot be parsed are skipped and counted.
 */
export async function importDocumentBatch(
  executor: Executor,
  target: Parameters<typeof importDocuments>[1],
  items: ImportItem[],
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
  embedder: Embedder | null = null,
): Promise<{ documents: number; chunks: number; rejected: number }> {
  const documents: ImportedDocument[] = [];
  let rejected = 0;
  for (const item of items) {
    try {
      const prepared = await prepareDocument(
        { bytes: item.bytes, filename: item.filename ?? `${item.sourceItemId}.txt` },
        { limits, title: item.title || item.sourceItemId, isTitleFromFile: !item.title },
      );
      documents.push({
        sourceItemId: item.sourceItemId,
        title: prepared.title,
        mimeType: prepared.mimeType,
        sizeBytes: item.bytes.byteLength,
        contentHash: contentHash(item.bytes),
        chunks: prepared.chunks,
      });
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      rejected++;
    }
  }
  const embeddings = await embed(
    embedder,
    documents.flatMap((document) => document.chunks),
  );
  const stored = await importDocuments(executor, target, documents, embeddings);
  return { ...stored, rejected };
}

export const INGEST_ATTEMPTS = 3;

type DocumentPayload = { tenantId: string; documentId: string };

/**
 * A job that ingests a document's latest stored version, progress and outcome going to the
 * document's job record; `then` runs after a successful ingestion (a module's follow-up,
 * e.g. a notebook file's guide) before the job counts as succeeded.
 */
export function defineIngestionJob(
  reference: JobReference<DocumentPayload>,
  options: {
    limits: ParseLimits;
    embedder: Embedder | null;
    afterIngest?: (payload: DocumentPayload, context: JobContext) => Promise<void>;
  },
) {
  return defineJob({
    ...reference,
    attempts: INGEST_ATTEMPTS,
    retryDelaySeconds: 5,
    timeoutSeconds: 30 * 60,
    async handler(payload, context) {
      const { db, jobId, log, attempt } = context;
      const { tenantId, documentId } = payload;
      await updateJob(db.kysely, jobId, { status: 'running', progress: 0.05, attempt, error: null });
      try {
        const outcome = await ingestDocument(db, tenantId, documentId, {
          limits: options.limits,
          embedder: options.embedder,
          log,
          onProgress: (progress) => updateJob(db.kysely, jobId, { progress }),
        });
        if (outcome.status === 'rejected') {
          await updateJob(db.kysely, jobId, { status: 'failed', progress: 1, error: outcome.message });
          return;
        }
        await options.afterIngest?.(payload, context);
        await updateJob(db.kysely, jobId, { status: 'succeeded', progress: 1 });
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
    async onStalled(
      { tenantId, documentId }: DocumentPayload,
      { db, jobId, attempt, isFinal }: StallContext,
    ) {
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
