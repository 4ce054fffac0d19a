/**
 * Splits a parsed document into retrieval chunks that follow its structure: one page per chunk
 * (for page citations), heading paths as sections, whole sentences and whole table rows, about
 * `targetTokens` each, and a sentence overlap between consecutive chunks of the same page+section.
 *
 * Token counts are o200k_base (GPT-4o, GPT-4.1, GPT-5, o-series), computed by `countTokens`: each
 * block is counted once (sentences only for blocks that must be cut), and a chunk's count is kept
 * exact while it grows by re-counting only the few characters around each join (see `Tally`), so
 * packing decisions, `maxTokens` and `tokenCount` all use the tokenizer's exact figure without
 * encoding any text twice.
 */

import { findSentenceSpans } from '../../platform/text/sentences.ts';
import { countTokens, isHighSurrogate, isWhitespaceCode } from '../../platform/text/tokens.ts';
import type { BlockKind, Chunk, ParsedDocument } from './ingestion.types.ts';

export interface ChunkOptions {
  /** Size a chunk grows to before the next sentence, row or block starts a new one. */
  targetTokens?: number;
  /** Most tokens of trailing sentences repeated at the start of the next chunk. */
  overlapTokens?: number;
  /**
   * Ceiling no chunk passes. A chunk goes past the target only to keep a heading with its text or a
   * block whole in a chunk of its own; a sentence, row or line longer than this is cut at word
   * boundaries into pieces of at most `targetTokens`.
   */
  maxTokens?: number;
}

export const DEFAULT_CHUNK_OPTIONS = { targetTokens: 800, overlapTokens: 100, maxTokens: 1000 } as const;

export const SECTION_SEPARATOR = ' › ';
const BLOCK_SEPARATOR = '\n\n';

/**
 * What a chunk is packed from:
 * - heading: a heading line
 * - paragraph: a whole paragraph or list item, cut into sentences only when it has to be
 * - sentence: one sentence of a paragraph — the only text repeated as overlap
 * - code: a whole code block, cut into lines only when it has to be
 * - line: one line of a code block
 * - row: a whole table row
 * - piece: part of a sentence, row, line or heading that alone exceeds `maxTokens`, cut at word
 *   (for rows: cell) boundaries — the last resort
 * - table-name: the sheet or table name line that opens a chunk of rows
 */
type UnitKind = 'heading' | 'paragraph' | 'sentence' | 'code' | 'line' | 'row' | 'piece' | 'table-name';

interface Unit {
  kind: UnitKind;
  /** Index of the block the text comes from. */
  block: number;
  /** Offsets into that block's text; table-name units carry `text` instead. */
  start: number;
  end: number;
  text: string | null;
  tokens: number;
  /** Index into the list of section paths. */
  section: number;
}

interface Block {
  kind: BlockKind;
  text: string;
  page: number | null;
  table: string | null;
  section: number;
  tokens: number;
  /** Sentences, lines or pieces, cut on first use. */
  parts: Unit[] | null;
}

interface Limits {
  targetTokens: number;
  overlapTokens: number;
  maxTokens: number;
  /**
   * A chunk with at least this much body text (a quarter of the target) is "of a useful size": a
   * heading or a table that follows starts a new chunk. Below it the heading joins the chunk, so no
   * chunk is a lone heading or a stub of a few words.
   */
  minTokens: number;
}

/** Splits `document` into chunks in reading order, deterministically. */
export function chunkDocument(document: ParsedDocument, options: ChunkOptions = {}): Chunk[] {
  const limits = resolveLimits(options);
  const sections: string[][] = [[]];
  const blocks = prepareBlocks(document, sections);
  const builder = new ChunkBuilder(blocks, sections, limits);

  for (const [index, block] of blocks.entries()) {
    const previous = blocks[index - 1];
    if (previous !== undefined && block.page !== previous.page) builder.flush(null);
    const isWhole = block.tokens <= limits.maxTokens;
    switch (block.kind) {
      case 'heading': {
        if (builder.bodyTokens >= limits.minTokens) builder.flush(null);
        for (const unit of isWhole ? [wholeUnit(block, index)] : builder.partsOf(index)) builder.place(unit);
        break;
      }
      case 'table_row': {
        const isTableStart =
          previous?.kind !== 'table_row' || previous.table !== block.table || previous.page !== block.page;
        if (isTableStart) {
          if (builder.bodyTokens >= limits.minTokens) builder.flush(null);
          builder.addTableName(index);
        }
        for (const unit of isWhole ? [wholeUnit(block, index)] : builder.partsOf(index)) {
          builder.place(unit, { tableBlock: index });
        }
        break;
      }
      default: {
        if (isWhole) {
          const whole = wholeUnit(block, index);
          if (builder.canTake(whole)) {
            builder.add(whole);
            break;
          }
          // Keep a paragraph whole when it fits a fresh chunk and the current one is already useful.
          if (
            builder.bodyTokens >= limits.minTokens &&
            limits.overlapTokens + block.tokens <= limits.targetTokens
          ) {
            builder.flush(whole);
            builder.add(whole);
            break;
          }
        }
        for (const unit of builder.partsOf(index)) builder.place(unit, { isOverlapAllowed: true });
      }
    }
  }
  builder.flush(null);
  return builder.chunks;
}

function resolveLimits(options: ChunkOptions): Limits {
  const maxTokens = options.maxTokens ?? DEFAULT_CHUNK_OPTIONS.maxTokens;
  const targetTokens = Math.min(options.targetTokens ?? DEFAULT_CHUNK_OPTIONS.targetTokens, maxTokens);
  const overlapTokens = options.overlapTokens ?? DEFAULT_CHUNK_OPTIONS.overlapTokens;
  for (const [name, value, minimum] of [
    ['maxTokens', maxTokens, 1],
    ['targetTokens', targetTokens, 1],
    ['overlapTokens', overlapTokens, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < minimum) {
      throw new RangeError(`chunkDocument: ${name} must be an integer ≥ ${minimum}, got ${value}`);
    }
  }
  return { targetTokens, overlapTokens, maxTokens, minTokens: Math.floor(targetTokens / 4) };
}

/** Trims blocks, drops empty ones, assigns heading paths and counts tokens once per block. */
function prepareBlocks(document: ParsedDocument, sections: string[][]): Block[] {
  const blocks: Block[] = [];
  let path: { level: number; title: string }[] = [];
  let section = 0;
  for (const source of document.blocks) {
    const text = source.kind === 'code' ? trimCode(source.text) : source.text.trim();
    if (text === '') continue;
    if (source.kind === 'heading') {
      const level = Math.min(6, Math.max(1, Math.round(source.level ?? 1)));
      path = [...path.filter((entry) => entry.level < level), { level, title: text.replace(/\s+/g, ' ') }];
      sections.push(path.map((entry) => entry.title));
      section = sections.length - 1;
    }
    const table = source.kind === 'table_row' ? source.table?.trim() || null : null;
    blocks.push({
      kind: source.kind,
      text,
      page: source.page ?? null,
      table,
      section,
      tokens: countTokens(text),
      parts: null,
    });
  }
  return blocks;
}

/** Code keeps its indentation: only blank lines before it and trailing whitespace go. */
function trimCode(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').trimEnd();
}

const WHOLE_KIND: Record<BlockKind, UnitKind> = {
  heading: 'heading',
  paragraph: 'paragraph',
  list_item: 'paragraph',
  code: 'code',
  table_row: 'row',
};

function wholeUnit(block: Block, index: number): Unit {
  return {
    kind: WHOLE_KIND[block.kind],
    block: index,
    start: 0,
    end: block.text.length,
    text: null,
    tokens: block.tokens,
    section: block.section,
  };
}

/** Sentences (paragraphs, list items), lines (code) or the block itself, each within `maxTokens`. */
function cutParts(block: Block, index: number, limits: Limits): Unit[] {
  const { text } = block;
  const unit = (kind: UnitKind, start: number, end: number): Unit[] => {
    const tokens = start === 0 && end === text.length ? block.tokens : countTokens(text.slice(start, end));
    if (tokens <= limits.maxTokens) {
      return [{ kind, block: index, start, end, text: null, tokens, section: block.section }];
    }
    const separators = block.kind === 'table_row' ? [' | ', ' '] : [' '];
    return splitOversized(text, start, end, tokens, limits.targetTokens, separators).map((piece) => ({
      kind: kind === 'heading' ? 'heading' : 'piece',
      block: index,
      start: piece.start,
      end: piece.end,
      text: null,
      tokens: piece.tokens,
      section: block.section,
    }));
  };
  switch (block.kind) {
    case 'heading':
      return unit('heading', 0, text.length);
    case 'table_row':
      return unit('row', 0, text.length);
    case 'code':
      return findLineSpans(text).flatMap((span) => unit('line', span.start, span.end));
    default:
      return findSentenceSpans(text).flatMap((span) => unit('sentence', span.start, span.end));
  }
}

/** Non-blank lines, keeping leading indentation, without trailing whitespace. */
function findLineSpans(text: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  let start = 0;
  while (start <= text.length) {
    const newline = text.indexOf('\n', start);
    const lineEnd = newline === -1 ? text.length : newline;
    let end = lineEnd;
    while (end > start && isWhitespaceCode(text.charCodeAt(end - 1))) end -= 1;
    if (end > start) spans.push({ start, end });
    if (newline === -1) break;
    start = newline + 1;
  }
  return spans;
}

/**
 * Last resort for a sentence, row, line or heading longer than `maxTokens`: halve it at the
 * separator nearest the middle (cells first for rows, then spaces; a character cut only when there
 * is no space) until every piece has at most `limit` tokens.
 */
function splitOversized(
  text: string,
  start: number,
  end: number,
  tokens: number,
  limit: number,
  separators: readonly string[],
): { start: number; end: number; tokens: number }[] {
  if (tokens <= limit || end - start <= 1) return [{ start, end, tokens }];
  const middle = Math.floor((start + end) / 2);
  let cut = -1;
  let resume = -1;
  for (const separator of separators) {
    const candidates = [text.lastIndexOf(separator, middle), text.indexOf(separator, middle)].filter(
      (position) => position > start && position + separator.length < end,
    );
    const best = candidates.sort((a, b) => Math.abs(a - middle) - Math.abs(b - middle) || a - b)[0];
    if (best !== undefined) {
      cut = best;
      resume = best + separator.length;
      break;
    }
  }
  if (cut === -1) {
    cut = isHighSurrogate(text.charCodeAt(middle - 1)) && middle - 1 > start ? middle - 1 : middle;
    resume = cut;
  }
  let leftEnd = cut;
  while (leftEnd > start && isWhitespaceCode(text.charCodeAt(leftEnd - 1))) leftEnd -= 1;
  let rightStart = resume;
  while (rightStart < end && isWhitespaceCode(text.charCodeAt(rightStart))) rightStart += 1;
  return [
    ...splitOversized(text, start, leftEnd, countTokens(text.slice(start, leftEnd)), limit, separators),
    ...splitOversized(text, rightStart, end, countTokens(text.slice(rightStart, end)), limit, separators),
  ];
}

/**
 * The exact token count of a text assembled piece by piece, without counting it again: the tokens
 * of its closed segments (see `countTokens`) plus its open last segment, which the next piece may
 * still extend. Appending costs a few lookups of short segments, whatever the length of the text.
 */
interface Tally {
  closed: number;
  open: string;
}

const EMPTY_TALLY: Tally = { closed: 0, open: '' };

function totalOf(tally: Tally): number {
  return tally.closed + countTokens(tally.open);
}

/** Appends `separator` then `text.slice(start, end)`, whose own count is `tokens`. */
function extendTally(
  tally: Tally,
  separator: string,
  text: string,
  start: number,
  end: number,
  tokens: number,
): Tally {
  let firstCut = -1;
  for (let index = start + 1; index < end; index += 1) {
    if (isSegmentStart(text, index)) {
      firstCut = index;
      break;
    }
  }
  if (firstCut === -1) return { closed: tally.closed, open: tally.open + separator + text.slice(start, end) };
  let lastCut = firstCut;
  for (let index = end - 1; index > firstCut; index -= 1) {
    if (isSegmentStart(text, index)) {
      lastCut = index;
      break;
    }
  }
  const head = text.slice(start, firstCut);
  const tail = text.slice(lastCut, end);
  // tokens = head + middle + tail; the head joins the open segment, the tail becomes the open one.
  const middle = tokens - countTokens(head) - countTokens(tail);
  return { closed: tally.closed + countTokens(tally.open + separator + head) + middle, open: tail };
}

/** Whether a segment of `countTokens` starts at `index`: a space or tab after a non-space. */
function isSegmentStart(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return (code === 32 || code === 9) && !isWhitespaceCode(text.charCodeAt(index - 1));
}

class ChunkBuilder {
  readonly chunks: Chunk[] = [];
  /** Tokens of new units other than headings and table names in the chunk being built. */
  bodyTokens = 0;
  /** Units of the chunk being built; the first `prefixCount` repeat earlier text (overlap, table name). */
  private units: Unit[] = [];
  private prefixCount = 0;
  private tally: Tally = EMPTY_TALLY;

  constructor(
    private readonly blocks: readonly Block[],
    private readonly sections: readonly string[][],
    private readonly limits: Limits,
  ) {}

  partsOf(blockIndex: number): Unit[] {
    const block = this.blocks[blockIndex] as Block;
    block.parts ??= cutParts(block, blockIndex, this.limits);
    return block.parts;
  }

  /**
   * Whether the unit fits the chunk being built: up to the target, or up to the maximum while the
   * chunk has no body yet (a heading waits for its text; overlap yields to new text).
   */
  canTake(unit: Unit): boolean {
    const total = totalOf(this.append(this.tally, this.units.at(-1), unit));
    return total <= this.limits.targetTokens || (this.bodyTokens === 0 && total <= this.limits.maxTokens);
  }

  /** Adds a unit, first closing the chunk when it cannot take the unit. */
  place(
    unit: Unit,
    { isOverlapAllowed = false, tableBlock }: { isOverlapAllowed?: boolean; tableBlock?: number } = {},
  ): void {
    if (!this.canTake(unit) && this.units.length > this.prefixCount) {
      this.flush(isOverlapAllowed ? unit : null);
      if (tableBlock !== undefined) this.addTableName(tableBlock);
    }
    this.add(unit);
  }

  add(unit: Unit): void {
    let next = this.append(this.tally, this.units.at(-1), unit);
    // The first new unit: drop repeated text from the front rather than pass the maximum.
    while (
      this.units.length === this.prefixCount &&
      this.prefixCount > 0 &&
      totalOf(next) > this.limits.maxTokens
    ) {
      this.units.shift();
      this.prefixCount -= 1;
      this.tally = this.tallyOf(this.units);
      next = this.append(this.tally, this.units.at(-1), unit);
    }
    this.tally = next;
    this.units.push(unit);
    if (unit.kind !== 'heading' && unit.kind !== 'table-name') this.bodyTokens += unit.tokens;
  }

  /** Opens a run of rows with the table name, unless the heading just before says the same. */
  addTableName(blockIndex: number): void {
    const block = this.blocks[blockIndex] as Block;
    if (block.table === null) return;
    const last = this.units.at(-1);
    if (last?.kind === 'heading' && this.textOf([last]).replace(/\s+/g, ' ') === block.table) return;
    const unit: Unit = {
      kind: 'table-name',
      block: blockIndex,
      start: 0,
      end: block.table.length,
      text: block.table,
      tokens: countTokens(block.table),
      section: block.section,
    };
    const isPrefix = this.units.length === this.prefixCount;
    this.tally = this.append(this.tally, last, unit);
    this.units.push(unit);
    if (isPrefix) this.prefixCount += 1;
  }

  /**
   * Emits the chunk being built. Given the unit that comes next, the new chunk starts with the last
   * sentences of the emitted one that share that unit's section; callers pass null at page, heading
   * and table boundaries.
   */
  flush(next: Unit | null): void {
    const emitted = this.units;
    if (this.units.length > this.prefixCount) this.emit(this.units, totalOf(this.tally));
    this.units = [];
    this.prefixCount = 0;
    this.tally = EMPTY_TALLY;
    this.bodyTokens = 0;
    if (next === null) return;
    this.units = this.selectOverlap(emitted, next.section);
    this.prefixCount = this.units.length;
    this.tally = this.tallyOf(this.units);
  }

  /** The last sentences of `previous` from `section`, at most `overlapTokens` together. */
  private selectOverlap(previous: readonly Unit[], section: number): Unit[] {
    const budget = this.limits.overlapTokens;
    const selected: Unit[] = [];
    for (let index = previous.length - 1; index >= 0 && budget > 0; index -= 1) {
      const unit = previous[index] as Unit;
      if (unit.section !== section) break;
      const sentences = unit.kind === 'paragraph' ? this.partsOf(unit.block) : [unit];
      let isDone = sentences.length === 0;
      for (let part = sentences.length - 1; part >= 0 && !isDone; part -= 1) {
        const sentence = sentences[part] as Unit;
        if (sentence.kind !== 'sentence' || totalOf(this.tallyOf([sentence, ...selected])) > budget) {
          isDone = true;
        } else {
          selected.unshift(sentence);
        }
      }
      if (isDone) break;
    }
    return selected;
  }

  private emit(units: readonly Unit[], tokenCount: number): void {
    this.chunks.push({
      ordinal: this.chunks.length,
      text: this.textOf(units),
      page: this.blocks[(units[0] as Unit).block]?.page ?? null,
      section: this.sectionOf(units),
      tokenCount,
    });
  }

  /**
   * The deepest heading path enclosing all body text of the chunk (for a chunk of headings only,
   * the path of its last heading).
   */
  private sectionOf(units: readonly Unit[]): string | null {
    const body = units.filter((unit) => unit.kind !== 'heading');
    const paths = (body.length > 0 ? body : units.slice(-1)).map((unit) => this.sections[unit.section] ?? []);
    let common = paths[0] ?? [];
    for (const path of paths) {
      let length = 0;
      while (length < common.length && length < path.length && common[length] === path[length]) length += 1;
      if (length < common.length) common = common.slice(0, length);
    }
    return common.length > 0 ? common.join(SECTION_SEPARATOR) : null;
  }

  private sourceOf(unit: Unit): string {
    return unit.text ?? (this.blocks[unit.block] as Block).text;
  }

  /** Blank lines between blocks; units from one block in a row keep the original text between them. */
  private append(tally: Tally, last: Unit | undefined, unit: Unit): Tally {
    const source = this.sourceOf(unit);
    const separator =
      last === undefined ? '' : isSameRun(last, unit) ? source.slice(last.end, unit.start) : BLOCK_SEPARATOR;
    return extendTally(tally, separator, source, unit.start, unit.end, unit.tokens);
  }

  private tallyOf(units: readonly Unit[]): Tally {
    let tally = EMPTY_TALLY;
    for (const [index, unit] of units.entries()) tally = this.append(tally, units[index - 1], unit);
    return tally;
  }

  private textOf(units: readonly Unit[]): string {
    const parts: string[] = [];
    let runStart: Unit | undefined;
    for (const [index, unit] of units.entries()) {
      const next = units[index + 1];
      runStart ??= unit;
      if (next === undefined || !isSameRun(unit, next)) {
        parts.push(this.sourceOf(unit).slice(runStart.start, unit.end));
        runStart = undefined;
      }
    }
    return parts.join(BLOCK_SEPARATOR);
  }
}

/** Consecutive text of one block: printed as one original substring, with no blank line between. */
function isSameRun(previous: Unit, next: Unit): boolean {
  return (
    previous.text === null &&
    next.text === null &&
    previous.block === next.block &&
    previous.end <= next.start
  );
}
