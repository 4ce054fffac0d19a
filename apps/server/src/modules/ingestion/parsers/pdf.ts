/**
 * PDF through pdf.js (unpdf): text per page, grouped into lines by position and into
 * paragraphs by line spacing; headings detected cheaply from font size (or, at body
 * size, from numbered "3.1 Section" and short Title Case lines that precede body
 * text); bullets become list items. Running headers and footers repeated on most
 * pages are dropped. Every block keeps its 1-based page number.
 */
import { getDocumentProxy } from 'unpdf';
import { type ParsedDocument, ParseError, type ParseLimits, type TextBlock } from '../ingestion.types.ts';
import { BlockCollector, cleanTitle, firstHeadingTitle, normaliseText } from './blocks.ts';
import { MIME_TYPES } from './detect.ts';

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>;
type PdfPage = Awaited<ReturnType<PdfDocument['getPage']>>;
type TextContentItem = Awaited<ReturnType<PdfPage['getTextContent']>>['items'][number];

interface Line {
  text: string;
  /** Baseline, in PDF units from the bottom of the page. */
  y: number;
  /** Font size, rounded to half a point. */
  size: number;
  /** The font of every visible item on the line, or null when the line mixes fonts. */
  font: string | null;
}

interface PageText {
  page: number;
  lines: Line[];
  bottom: number;
  top: number;
}

interface Paragraph {
  page: number;
  lines: Line[];
  size: number;
  isBullet: boolean;
}

const BULLET = /^[•◦▪▫‣●○■□►▸➢✓✔–—-]\s+/;
const NUMBERED_HEADING = /^(\d{1,3}(?:\.\d{1,3})*)\.?\s+\p{Lu}/u;
const PAGE_NUMBER = /^(?:page\s*)?\d{1,4}(?:\s*(?:of|\/)\s*\d{1,4})?$|^[-–]\s*\d{1,4}\s*[-–]$/i;
const MINOR_WORDS = new Set([
  'a',
  'an',
  'and',
  'as',
  'at',
  'by',
  'for',
  'from',
  'in',
  'into',
  'of',
  'on',
  'or',
  'per',
  'the',
  'to',
  'vs',
  'via',
  'with',
]);

const roundSize = (size: number): number => Math.round(size * 2) / 2;

function passwordProtected(): ParseError {
  return new ParseError(
    'encrypted',
    'This PDF is password-protected; remove the password and upload it again.',
  );
}

function damaged(cause: unknown): ParseError {
  return Object.assign(
    new ParseError(
      'corrupt',
      'This PDF is damaged or incomplete and cannot be read. Try exporting or saving it again.',
    ),
    { cause },
  );
}

function isPasswordError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'name' in error && error.name === 'PasswordException';
}

async function openPdf(bytes: Uint8Array): Promise<PdfDocument> {
  try {
    // A copy: pdf.js may take over (detach) the buffer it is given.
    return await getDocumentProxy(bytes.slice(), { verbosity: 0, isEvalSupported: false });
  } catch (error) {
    throw isPasswordError(error) ? passwordProtected() : damaged(error);
  }
}

/** Groups text items into visual lines using their baselines and end-of-line marks. */
function toLines(items: readonly TextContentItem[]): Line[] {
  const lines: Line[] = [];
  let current: { text: string; y: number; size: number; endX: number; fonts: Set<string> } | null = null;
  const finish = (): void => {
    if (current !== null) {
      const text = normaliseText(current.text);
      const font = current.fonts.size === 1 ? ([...current.fonts][0] ?? null) : null;
      if (text !== '') lines.push({ text, y: current.y, size: roundSize(current.size), font });
    }
    current = null;
  };
  for (const item of items) {
    if (!('str' in item)) continue;
    const [a = 0, b = 0, c = 0, d = 0, x = 0, y = 0] = item.transform as number[];
    const size = Math.hypot(c, d) || Math.hypot(a, b) || item.height;
    if (item.str !== '') {
      if (current !== null && Math.abs(y - current.y) > Math.max(size, current.size) * 0.5) finish();
      if (current === null) {
        current = { text: '', y, size: 0, endX: x, fonts: new Set() };
      } else if (x - current.endX > size * 0.2 && !/\s$/.test(current.text) && !/^\s/.test(item.str)) {
        current.text += ' ';
      }
      current.text += item.str;
      current.endX = x + item.width;
      if (item.str.trim() !== '') {
        current.size = Math.max(current.size, size);
        current.fonts.add(item.fontName);
      }
    }
    if (item.hasEOL) finish();
  }
  finish();
  return lines;
}

async function readPages(pdf: PdfDocument): Promise<PageText[]> {
  const pages: PageText[] = [];
  for (let page = 1; page <= pdf.numPages; page++) {
    const proxy = await pdf.getPage(page);
    const [, bottom = 0, , top = 0] = proxy.view;
    const content = await proxy.getTextContent();
    pages.push({
      page,
      lines: toLines(content.items),
      bottom: Math.min(bottom, top),
      top: Math.max(bottom, top),
    });
    proxy.cleanup();
  }
  return pages;
}

/** Drops running headers/footers (same text, digits aside, in the margins of most pages) and page numbers. */
function dropPageFurniture(pages: PageText[]): void {
  const isInMargin = (page: PageText, line: Line): boolean => {
    const height = page.top - page.bottom || 1;
    return line.y - page.bottom < height * 0.08 || page.top - line.y < height * 0.08;
  };
  const key = (line: Line): string => line.text.toLowerCase().replace(/\d+/g, '#');
  const pagesWithKey = new Map<string, number>();
  for (const page of pages) {
    const keys = new Set(page.lines.filter((line) => isInMargin(page, line)).map(key));
    for (const entry of keys) pagesWithKey.set(entry, (pagesWithKey.get(entry) ?? 0) + 1);
  }
  const threshold = Math.max(2, Math.ceil(pages.length * 0.5));
  for (const page of pages) {
    if (pages.length < 2) break;
    page.lines = page.lines.filter((line) => {
      if (!isInMargin(page, line)) return true;
      if (PAGE_NUMBER.test(line.text)) return false;
      return pages.length < 3 || (pagesWithKey.get(key(line)) ?? 0) < threshold;
    });
  }
}

function mostCommon(counts: Map<number, number>): number | undefined {
  let best: number | undefined;
  let bestCount = -1;
  for (const [value, count] of counts) {
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

/** Splits each page's lines into paragraphs at font changes, larger gaps, upward jumps and bullets. */
function toParagraphs(pages: readonly PageText[]): { paragraphs: Paragraph[]; bodySize: number } {
  const sizeWeights = new Map<number, number>();
  const gapCounts = new Map<number, Map<number, number>>();
  for (const { lines } of pages) {
    lines.forEach((line, index) => {
      sizeWeights.set(line.size, (sizeWeights.get(line.size) ?? 0) + line.text.length);
      const previous = lines[index - 1];
      if (previous === undefined || previous.size !== line.size) return;
      const gap = Math.round((previous.y - line.y) * 2) / 2;
      if (gap <= 0 || gap > line.size * 3) return;
      const counts = gapCounts.get(line.size) ?? new Map<number, number>();
      counts.set(gap, (counts.get(gap) ?? 0) + 1);
      gapCounts.set(line.size, counts);
    });
  }
  const bodySize = mostCommon(sizeWeights) ?? 10;
  const lineGap = new Map<number, number>();
  for (const [size, counts] of gapCounts) lineGap.set(size, mostCommon(counts) ?? size * 1.2);

  const paragraphs: Paragraph[] = [];
  for (const { page, lines } of pages) {
    let current: Paragraph | null = null;
    let previous: Line | null = null;
    for (const line of lines) {
      const isBullet = BULLET.test(line.text);
      const expectedGap = lineGap.get(line.size) ?? line.size * 1.2;
      const startsNew =
        current === null ||
        previous === null ||
        Math.abs(line.size - previous.size) >= 0.5 ||
        // A whole line in one font after a whole line in another: a bold heading line before body text.
        (line.font !== null && previous.font !== null && line.font !== previous.font) ||
        line.y > previous.y + 1 ||
        previous.y - line.y > expectedGap * 1.15 + 0.3 ||
        isBullet;
      if (startsNew || current === null) {
        current = { page, lines: [line], size: line.size, isBullet };
        paragraphs.push(current);
      } else {
        current.lines.push(line);
      }
      previous = line;
    }
  }
  return { paragraphs, bodySize };
}

function joinLines(lines: readonly Line[]): string {
  let text = '';
  for (const { text: line } of lines) {
    if (text === '') text = line;
    else if (/\p{L}-$/u.test(text) && /^\p{Ll}/u.test(line)) text += line;
    else text += ` ${line}`;
  }
  return text;
}

function isTitleCase(text: string): boolean {
  const words = text.split(/\s+/).filter((word) => /\p{L}/u.test(word));
  if (words.length === 0 || words.length > 10 || !/^\p{Lu}/u.test(words[0] ?? '')) return false;
  const significant = words.filter((word) => !MINOR_WORDS.has(word.toLowerCase()));
  const capitalised = significant.filter((word) => /^[^\p{L}]*\p{Lu}/u.test(word)).length;
  return significant.length > 0 && capitalised / significant.length >= 0.75;
}

function classify(paragraphs: readonly Paragraph[], bodySize: number): Omit<TextBlock, 'page'>[] {
  const texts = paragraphs.map((paragraph) => joinLines(paragraph.lines));
  const isLargeHeading = (paragraph: Paragraph, text: string): boolean =>
    paragraph.size >= bodySize + 0.5 &&
    paragraph.lines.length <= 3 &&
    text.length <= 200 &&
    !paragraph.isBullet;
  const headingSizes = [
    ...new Set(
      paragraphs
        .filter((paragraph, index) => isLargeHeading(paragraph, texts[index] ?? ''))
        .map((p) => p.size),
    ),
  ].sort((left, right) => right - left);

  // Numbered headings at body size line up with numbered headings set in larger type:
  // when "2. Leave" is a level-2 heading by size, "2.1 Carry over" becomes level 3.
  const offsets = new Map<number, number>();
  paragraphs.forEach((paragraph, index) => {
    const text = texts[index] ?? '';
    const numbered = NUMBERED_HEADING.exec(text);
    if (numbered === null || !isLargeHeading(paragraph, text)) return;
    const offset = headingSizes.indexOf(paragraph.size) + 1 - (numbered[1]?.split('.').length ?? 1);
    offsets.set(offset, (offsets.get(offset) ?? 0) + 1);
  });
  const numberingOffset = Math.max(0, mostCommon(offsets) ?? 0);

  /** Body text follows: the next paragraph is at least body size and reads as prose or a list. */
  const isFollowedByBody = (index: number): boolean => {
    const next = paragraphs[index + 1];
    const nextText = texts[index + 1] ?? '';
    return next !== undefined && next.size >= bodySize - 0.5 && (nextText.length >= 40 || next.isBullet);
  };

  return paragraphs.map((paragraph, index) => {
    const text = texts[index] ?? '';
    if (paragraph.isBullet) return { kind: 'list_item', text: text.replace(BULLET, '') };
    if (isLargeHeading(paragraph, text)) {
      return { kind: 'heading', text, level: headingSizes.indexOf(paragraph.size) + 1 };
    }
    const isShortLine =
      paragraph.lines.length === 1 &&
      Math.abs(paragraph.size - bodySize) < 0.5 &&
      text.length <= 80 &&
      !/[.,:;!?]$/.test(text);
    if (isShortLine && isFollowedByBody(index)) {
      const numbered = NUMBERED_HEADING.exec(text);
      if (numbered !== null) {
        return { kind: 'heading', text, level: (numbered[1]?.split('.').length ?? 1) + numberingOffset };
      }
      if (text.length <= 60 && isTitleCase(text))
        return { kind: 'heading', text, level: headingSizes.length + 1 };
    }
    return { kind: 'paragraph', text };
  });
}

async function readTitle(pdf: PdfDocument): Promise<string | null> {
  try {
    const { info, metadata } = await pdf.getMetadata();
    const fromInfo = typeof info === 'object' && info !== null && 'Title' in info ? info.Title : undefined;
    return cleanTitle(fromInfo) ?? cleanTitle(metadata?.get('dc:title'));
  } catch {
    return null;
  }
}

export async function parsePdf(bytes: Uint8Array, limits: ParseLimits): Promise<ParsedDocument> {
  const pdf = await openPdf(bytes);
  try {
    if (pdf.numPages > limits.maxPages) {
      throw new ParseError(
        'too_many_pages',
        `This PDF has ${pdf.numPages} pages; the most we accept is ${limits.maxPages}.`,
      );
    }
    let pages: PageText[];
    try {
      pages = await readPages(pdf);
    } catch (error) {
      throw isPasswordError(error) ? passwordProtected() : damaged(error);
    }
    dropPageFurniture(pages);
    const { paragraphs, bodySize } = toParagraphs(pages);
    const classified = classify(paragraphs, bodySize);
    const collector = new BlockCollector();
    classified.forEach((block, index) => {
      collector.add(block.kind, block.text, { page: paragraphs[index]?.page ?? 1, level: block.level ?? 1 });
    });
    if (collector.blocks.length === 0) {
      throw new ParseError(
        'empty',
        'This PDF has no text layer (it may be a scanned image), and OCR is not supported. Upload a PDF with selectable text.',
      );
    }
    return {
      format: 'pdf',
      mimeType: MIME_TYPES.pdf,
      title: (await readTitle(pdf)) ?? firstHeadingTitle(collector.blocks),
      blocks: collector.blocks,
      pageCount: pdf.numPages,
    };
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}
