/**
 * Markdown (CommonMark/GFM subset): ATX and Setext headings, paragraphs, list items,
 * fenced and indented code, pipe tables and block quotes. Inline markup is reduced to
 * its text (link text, image alt text, code span content).
 */
import type { ParsedDocument } from '../ingestion.types.ts';
import { BlockCollector, cleanTitle, firstHeadingTitle } from './blocks.ts';
import { isTableSeparatorRow, MIME_TYPES } from './detect.ts';

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  copy: '©',
  reg: '®',
  trade: '™',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (match, entity: string) => {
    if (entity.startsWith('#')) {
      const code =
        entity[1] === 'x' || entity[1] === 'X'
          ? Number.parseInt(entity.slice(2), 16)
          : Number(entity.slice(1));
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    }
    return ENTITIES[entity.toLowerCase()] ?? match;
  });
}

/** Private-use characters mark code spans while the rest of the line is rewritten. */
const CODE_MARK = '\ue000';

/** Reduces inline Markdown to plain text. */
export function stripInlineMarkdown(text: string): string {
  const codeSpans: string[] = [];
  let result = text.replace(/(`+)([\s\S]{1,2000}?)\1(?!`)/g, (_, _ticks: string, code: string) => {
    codeSpans.push(code.trim());
    return `${CODE_MARK}${codeSpans.length - 1}${CODE_MARK}`;
  });
  // Quantifiers are bounded so that unbalanced markup cannot make these quadratic.
  // Quantifiers are bounded, and delimiters excluded from the text between them, so that
  // unbalanced markup cannot make these quadratic.
  result = result
    .replace(/!\[([^[\]]{0,1000})\]\((?:[^()\s]|\([^()]{0,1000}\)){0,2000}(?:\s+"[^"]{0,1000}")?\)/g, '$1')
    .replace(/!\[([^[\]]{0,1000})\]\[[^[\]]{0,1000}\]/g, '$1')
    .replace(/\[([^[\]]{1,1000})\]\((?:[^()\s]|\([^()]{0,1000}\)){0,2000}(?:\s+"[^"]{0,1000}")?\)/g, '$1')
    .replace(/\[([^[\]]{1,1000})\]\[[^[\]]{0,1000}\]/g, '$1')
    .replace(/<((?:https?|mailto|ftp):[^<>\s]{1,2000})>/gi, '$1')
    .replace(/<!--(?:[^-]|-(?!->)){0,2000}-->/g, '')
    .replace(/<\/?[a-zA-Z][a-zA-Z0-9-]{0,50}(?:\s[^<>]{0,2000})?>/g, ' ')
    .replace(/\*\*(?=[^\s*])([^*]{0,1000}[^\s*])\*\*/g, '$1')
    .replace(/__(?=[^\s_])([^_]{0,1000}[^\s_])__/g, '$1')
    .replace(/(^|[^\w*\\])\*(?=[^\s*])([^*]{0,1000}?[^\s*\\])\*(?![\w*])/g, '$1$2')
    .replace(/(^|[^\w\\])_(?=[^\s_])([^_]{0,1000}?[^\s_\\])_(?!\w)/g, '$1$2')
    .replace(/~~(?=[^\s~])([^~]{0,1000}[^\s~])~~/g, '$1')
    .replace(/\\([!-/:-@[-`{-~])/g, '$1');
  result = decodeEntities(result);
  return result.replace(new RegExp(`${CODE_MARK}(\\d+)${CODE_MARK}`, 'g'), (_, index: string) => {
    return codeSpans[Number(index)] ?? '';
  });
}

// Every pattern here runs in linear time on any line (no nested or adjacent overlapping quantifiers).
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t](.*))?$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
const LIST_ITEM = /^[ \t]*([-*+•]|\d{1,9}[.)])[ \t]+(.*)$/;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]{1,1000}\]:\s*\S/;
const QUOTE_MARKERS = /^(?: {0,3}> ?)+/;

/** `***`, `- - -` or `___`: three or more of one marker and nothing else. */
function isThematicBreak(line: string): boolean {
  if (/^ {4}|^\t/.test(line)) return false;
  const compact = line.replace(/[ \t]/g, '');
  return compact.length >= 3 && /^(?:-+|\*+|_+)$/.test(compact);
}

/** Heading text without the optional closing run of `#`. */
function atxText(content: string): string {
  const text = content.trimEnd();
  let end = text.length;
  while (end > 0 && text[end - 1] === '#') end--;
  if (end === 0) return '';
  return end < text.length && /[ \t]/.test(text[end - 1] ?? '') ? text.slice(0, end) : text;
}

function splitTableRow(line: string): string[] {
  const trimmed = line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '');
  return trimmed.split(/(?<!\\)\|/).map((cell) => stripInlineMarkdown(cell.replace(/\\\|/g, '|').trim()));
}

function isTableStart(line: string, next: string | undefined): boolean {
  if (!line.includes('|') || next === undefined || !isTableSeparatorRow(next)) return false;
  return splitTableRow(line).length === splitTableRow(next).length;
}

/** YAML front matter: skipped, though its `title:` is kept. */
function readFrontMatter(lines: readonly string[]): { end: number; title: string | null } {
  if (lines[0]?.trim() !== '---') return { end: 0, title: null };
  for (let index = 1; index < Math.min(lines.length, 200); index++) {
    const line = lines[index]?.trim();
    if (line === '---' || line === '...') {
      const body = lines.slice(1, index);
      if (!body.some((entry) => /^[A-Za-z_][\w -]*:/.test(entry))) return { end: 0, title: null };
      const title = body.map((entry) => /^title:\s*(.+)$/i.exec(entry)?.[1]).find(Boolean);
      return {
        end: index + 1,
        title: title === undefined ? null : cleanTitle(title.replace(/^(['"])(.*)\1$/, '$2')),
      };
    }
  }
  return { end: 0, title: null };
}

export function parseMarkdown(text: string): ParsedDocument {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const collector = new BlockCollector();
  const frontMatter = readFrontMatter(lines);
  let paragraph: string[] = [];
  let listItem: string[] | null = null;
  let isAfterList = false;

  const flushParagraph = (): void => {
    if (paragraph.length > 0) collector.add('paragraph', stripInlineMarkdown(paragraph.join(' ')));
    paragraph = [];
  };
  const flushListItem = (): void => {
    if (listItem !== null) collector.add('list_item', stripInlineMarkdown(listItem.join(' ')));
    listItem = null;
  };
  const flush = (): void => {
    flushParagraph();
    flushListItem();
  };

  let index = frontMatter.end;
  while (index < lines.length) {
    const line = (lines[index] ?? '').replace(QUOTE_MARKERS, '');
    index++;

    if (line.trim() === '') {
      if (listItem !== null) isAfterList = true;
      flush();
      continue;
    }

    const fence = FENCE.exec(line);
    if (fence !== null && !(fence[1]?.startsWith('`') && fence[2]?.includes('`'))) {
      flush();
      const marker = fence[1] ?? '```';
      const code: string[] = [];
      while (index < lines.length) {
        const codeLine = (lines[index] ?? '').replace(QUOTE_MARKERS, '');
        index++;
        const closing = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(codeLine);
        if (closing?.[1] !== undefined && closing[1][0] === marker[0] && closing[1].length >= marker.length)
          break;
        code.push(codeLine);
      }
      collector.add('code', code.join('\n'));
      isAfterList = false;
      continue;
    }

    if (/^ {0,3}<!--/.test(line)) {
      flush();
      let commentLine = line;
      while (!commentLine.includes('-->') && index < lines.length) commentLine = lines[index++] ?? '';
      continue;
    }

    const heading = ATX_HEADING.exec(line);
    if (heading !== null) {
      flush();
      collector.add('heading', stripInlineMarkdown(atxText(heading[2] ?? '')), {
        level: heading[1]?.length ?? 1,
      });
      isAfterList = false;
      continue;
    }

    const underline = SETEXT_UNDERLINE.exec(line);
    if (underline !== null && paragraph.length > 0 && listItem === null) {
      collector.add('heading', stripInlineMarkdown(paragraph.join(' ')), {
        level: underline[1]?.startsWith('=') ? 1 : 2,
      });
      paragraph = [];
      continue;
    }

    if (isThematicBreak(line)) {
      flush();
      continue;
    }

    if (isTableStart(line, lines[index]?.replace(QUOTE_MARKERS, ''))) {
      flush();
      const headers = splitTableRow(line);
      index++;
      const rows: string[][] = [];
      while (index < lines.length) {
        const row = (lines[index] ?? '').replace(QUOTE_MARKERS, '');
        if (row.trim() === '' || !row.includes('|')) break;
        rows.push(splitTableRow(row));
        index++;
      }
      if (rows.length === 0) collector.addTable([headers]);
      else collector.addTable(rows, { headers });
      isAfterList = false;
      continue;
    }

    if (REFERENCE_DEFINITION.test(line)) continue;

    const item = LIST_ITEM.exec(line);
    if (item !== null && !isThematicBreak(line)) {
      flush();
      listItem = [(item[2] ?? '').replace(/^\[[ xX]\]\s+/, '')];
      isAfterList = false;
      continue;
    }

    if (/^( {4}|\t)/.test(line) && paragraph.length === 0 && listItem === null && !isAfterList) {
      const code = [line];
      while (index < lines.length && /^( {4}|\t)|^\s*$/.test(lines[index] ?? ''))
        code.push(lines[index++] ?? '');
      collector.add('code', code.map((codeLine) => codeLine.replace(/^( {4}|\t)/, '')).join('\n'));
      continue;
    }

    if (listItem !== null) {
      (listItem as string[]).push(line.trim());
    } else {
      paragraph.push(line.trim());
    }
  }
  flush();

  return {
    format: 'markdown',
    mimeType: MIME_TYPES.markdown,
    title: frontMatter.title ?? firstHeadingTitle(collector.blocks),
    blocks: collector.blocks,
    pageCount: null,
  };
}
