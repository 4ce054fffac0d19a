import { randomUUID } from 'node:crypto';
import { TaskError, TaskThread, TaskThreadFailure } from '../../platform/threads/task-thread.ts';
import {
  ParseError,
  type ParseErrorCode,
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
 * thread, so a large file never blocks the server. It stores nothing: the documents
 * module owns documents and their chunks and hands files to it.
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
