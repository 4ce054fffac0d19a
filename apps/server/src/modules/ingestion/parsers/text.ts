/** Plain text: paragraphs separated by blank lines (or form feeds). */
import type { ParsedDocument } from '../ingestion.types.ts';
import { BlockCollector } from './blocks.ts';
import { MIME_TYPES } from './detect.ts';

export function parseText(text: string): ParsedDocument {
  const collector = new BlockCollector();
  for (const paragraph of text.split(/\r?\n[ \t]*(?:\r?\n|\f)|\f|\r[ \t]*\r/)) {
    collector.add('paragraph', paragraph);
  }
  return {
    format: 'text',
    mimeType: MIME_TYPES.text,
    title: null,
    blocks: collector.blocks,
    pageCount: null,
  };
}
