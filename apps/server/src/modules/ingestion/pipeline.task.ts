import type { DocumentFormat, ParseLimits, PreparedChunk, PreparedDocument } from './ingestion.types.ts';
import { prepareDocument } from './pipeline.ts';

/**
 * The pipeline thread's side (see pipeline-thread.ts). A file is prepared once and kept
 * here; its chunks are then taken in batches, so that no single message the server's
 * thread must read is large (10,000 chunks at once cost it 0.8 s of deserialising and
 * garbage collection).
 */
export type PipelineTask =
  | {
      kind: 'prepare';
      id: string;
      bytes: Uint8Array;
      filename?: string;
      declaredMimeType?: string;
      limits: ParseLimits;
      title: string;
      isTitleFromFile: boolean;
    }
  | { kind: 'take'; id: string; start: number; count: number }
  | { kind: 'release'; id: string };

export interface PreparedSummary {
  title: string;
  format: DocumentFormat;
  mimeType: string;
  chunkCount: number;
}

const prepared = new Map<string, PreparedDocument>();

export async function runTask(
  task: PipelineTask,
): Promise<{ result: PreparedSummary | PreparedChunk[] | null }> {
  switch (task.kind) {
    case 'prepare': {
      const document = await prepareDocument(
        {
          bytes: task.bytes,
          ...(task.filename === undefined ? {} : { filename: task.filename }),
          ...(task.declaredMimeType === undefined ? {} : { declaredMimeType: task.declaredMimeType }),
        },
        { limits: task.limits, title: task.title, isTitleFromFile: task.isTitleFromFile },
      );
      prepared.set(task.id, document);
      const { chunks, ...summary } = document;
      return { result: { ...summary, chunkCount: chunks.length } };
    }
    case 'take': {
      const document = prepared.get(task.id);
      if (!document) throw new Error('The prepared document is no longer held by the pipeline thread.');
      return { result: document.chunks.slice(task.start, task.start + task.count) };
    }
    case 'release':
      prepared.delete(task.id);
      return { result: null };
  }
}
