/**
 * Shared helpers for building text blocks: whitespace normalisation, table-row text
 * and a collector that drops empty blocks.
 */
import type { BlockKind, TextBlock } from '../ingestion.types.ts';

/** Zero-width characters, soft hyphens and the byte-order mark carry no text. */
const INVISIBLE = /[\u00ad\u200b-\u200d\u2060\ufeff]/g;

/** Collapses every whitespace run (newlines included) to one space and trims. */
export function normaliseText(text: string): string {
  return text.replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
}

/** Keeps line structure: collapses whitespace inside each line and drops empty lines. */
export function normaliseLines(text: string): string {
  return text
    .split(/\r\n|[\r\n\u2028\u2029]/)
    .map(normaliseText)
    .filter((line) => line !== '')
    .join('\n');
}

/** Code keeps its indentation and line breaks; only trailing spaces and blank edges go. */
export function normaliseCode(text: string): string {
  const lines = text
    .replace(INVISIBLE, '')
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/\s+$/, ''));
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

/**
 * A row of a table as standalone text: `Header: value | Header: value`. Empty cells
 * are skipped; a cell without a header is written as its value alone.
 */
export function formatTableRow(headers: readonly string[], cells: readonly string[]): string {
  const parts: string[] = [];
  cells.forEach((rawCell, index) => {
    const cell = normaliseText(rawCell);
    if (cell === '') return;
    const header = normaliseText(headers[index] ?? '');
    parts.push(header === '' ? cell : `${header}: ${cell}`);
  });
  return parts.join(' | ');
}

export interface BlockOptions {
  page?: number;
  level?: number;
  table?: string;
  /** Keep line breaks (collapsing whitespace inside each line) instead of joining lines. */
  keepLines?: boolean;
}

/** Collects blocks in order, normalising their text and dropping empty ones. */
export class BlockCollector {
  readonly blocks: TextBlock[] = [];

  add(kind: BlockKind, text: string, options: BlockOptions = {}): void {
    const normalised =
      kind === 'code' ? normaliseCode(text) : options.keepLines ? normaliseLines(text) : normaliseText(text);
    if (normalised === '') return;
    const block: TextBlock = { kind, text: normalised };
    if (options.page !== undefined) block.page = options.page;
    if (kind === 'heading') block.level = Math.min(6, Math.max(1, Math.round(options.level ?? 1)));
    const table = options.table === undefined ? '' : normaliseText(options.table);
    if (kind === 'table_row' && table !== '') block.table = table;
    this.blocks.push(block);
  }

  /** Adds a table's rows; the first row holds the headers unless `headers` is given. */
  addTable(
    rows: readonly (readonly string[])[],
    options: BlockOptions & { headers?: readonly string[] } = {},
  ): void {
    const nonEmpty = rows.filter((row) => row.some((cell) => normaliseText(cell) !== ''));
    const [first, ...rest] = nonEmpty;
    if (first === undefined) return;
    if (options.headers === undefined && rest.length === 0) {
      // A lone header row still carries text: keep it as plain values.
      this.add('table_row', formatTableRow([], first), options);
      return;
    }
    const headers = options.headers ?? first;
    const isHeaderless = headers.every((header) => normaliseText(header) === '');
    for (const row of options.headers === undefined ? rest : nonEmpty) {
      // Without headers, a row reads as key and value(s): `Policy owner: Head of People`.
      const [key = '', ...values] = row.map(normaliseText).filter((cell) => cell !== '');
      const text =
        isHeaderless && values.length > 0 ? `${key}: ${values.join(' | ')}` : formatTableRow(headers, row);
      this.add('table_row', text, options);
    }
  }
}

/** The first heading of the lowest level present, used as a fallback title. */
export function firstHeadingTitle(blocks: readonly TextBlock[]): string | null {
  let best: TextBlock | undefined;
  for (const block of blocks) {
    if (block.kind !== 'heading') continue;
    if (best === undefined || (block.level ?? 1) < (best.level ?? 1)) best = block;
    if (best.level === 1) break;
  }
  return best?.text ?? null;
}

/** Cleans a metadata title; null when it is empty or obviously not a title. */
export function cleanTitle(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const title = normaliseText(raw.replace(/^Microsoft (?:Word|PowerPoint|Excel) - /, ''));
  if (title === '' || /^untitled\b/i.test(title)) return null;
  if (/\.(?:docx?|pdf|pptx?|xlsx?|html?|txt|md)$/i.test(title)) return null;
  return title.length > 300 ? `${title.slice(0, 297)}...` : title;
}
