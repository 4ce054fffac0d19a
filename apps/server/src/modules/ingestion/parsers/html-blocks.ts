/**
 * Turns HTML (a web page's main content, or the HTML mammoth makes from a DOCX) into
 * text blocks: h1–h6 headings with levels, paragraphs, list items, table rows with
 * their headers, and preformatted code.
 */
import * as cheerio from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { BlockCollector, formatTableRow, normaliseText } from './blocks.ts';

/** Attribute carrying the original heading level through Readability, which rewrites h1 as h2. */
export const HEADING_LEVEL_ATTRIBUTE = 'data-nexus-level';

const SKIPPED = new Set([
  'head',
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'canvas',
  'iframe',
  'object',
  'embed',
  'audio',
  'video',
  'img',
  'picture',
  'button',
  'input',
  'select',
  'textarea',
  'option',
]);

const CONTAINERS = new Set([
  'html',
  'body',
  'div',
  'section',
  'article',
  'main',
  'header',
  'footer',
  'aside',
  'nav',
  'form',
  'fieldset',
  'figure',
  'figcaption',
  'details',
  'summary',
  'center',
  'address',
  'hgroup',
  'dialog',
  'search',
  'blockquote',
  'legend',
]);

const LISTS = new Set(['ul', 'ol', 'menu']);

/** Elements that end the current run of inline text. */
const BLOCK_LEVEL = new Set([
  ...CONTAINERS,
  ...LISTS,
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'li',
  'table',
  'pre',
  'dl',
  'dt',
  'dd',
  'hr',
  'tr',
  'td',
  'th',
  'caption',
]);

function nodeType(node: AnyNode): string {
  return node.type;
}

function isElement(node: AnyNode): node is Element {
  const type = nodeType(node);
  return type === 'tag' || type === 'script' || type === 'style';
}

function textOf(node: AnyNode): string | null {
  return nodeType(node) === 'text' ? (node as AnyNode & { data: string }).data : null;
}

function tagOf(node: Element): string {
  return node.name.toLowerCase();
}

/** Visible text of a node, with line breaks and block boundaries as spaces. */
function inlineText(node: AnyNode, skip: ReadonlySet<string> = SKIPPED): string {
  const text = textOf(node);
  if (text !== null) return text;
  if (!isElement(node)) return '';
  const tag = tagOf(node);
  if (skip.has(tag)) return '';
  if (tag === 'br') return '\n';
  const inner = node.children.map((child) => inlineText(child, skip)).join('');
  return BLOCK_LEVEL.has(tag) ? ` ${inner} ` : inner;
}

function hasBlockDescendant(node: Element): boolean {
  return node.children.some(
    (child) => isElement(child) && (BLOCK_LEVEL.has(tagOf(child)) || hasBlockDescendant(child)),
  );
}

function headingLevel(node: Element): number {
  const fromAttribute = Number(node.attribs[HEADING_LEVEL_ATTRIBUTE]);
  if (Number.isInteger(fromAttribute) && fromAttribute >= 1 && fromAttribute <= 6) return fromAttribute;
  return Number(tagOf(node).slice(1));
}

interface Cell {
  text: string;
  isHeader: boolean;
  span: number;
}

function tableRows(table: Element): Element[] {
  const rows: Element[] = [];
  const visit = (node: Element): void => {
    for (const child of node.children) {
      if (!isElement(child)) continue;
      const tag = tagOf(child);
      if (tag === 'tr') rows.push(child);
      else if (tag === 'thead' || tag === 'tbody' || tag === 'tfoot') visit(child);
    }
  };
  visit(table);
  return rows;
}

function rowCells(row: Element): Cell[] {
  return row.children.filter(isElement).flatMap((cell) => {
    const tag = tagOf(cell);
    if (tag !== 'td' && tag !== 'th') return [];
    const span = Math.min(50, Math.max(1, Number.parseInt(cell.attribs.colspan ?? '1', 10) || 1));
    return [{ text: normaliseText(inlineText(cell)), isHeader: tag === 'th', span }];
  });
}

/** Cell texts laid out on the table's columns; a spanning header repeats over its columns. */
function layout(cells: readonly Cell[], isHeaderRow: boolean): string[] {
  const columns: string[] = [];
  for (const cell of cells) {
    columns.push(cell.text);
    for (let extra = 1; extra < cell.span; extra++) columns.push(isHeaderRow ? cell.text : '');
  }
  return columns;
}

function addTable(collector: BlockCollector, table: Element): void {
  const caption = table.children.find((child) => isElement(child) && tagOf(child) === 'caption');
  const name = caption === undefined ? undefined : normaliseText(inlineText(caption));
  const options = name ? { table: name } : {};
  const rows = tableRows(table).map((row) => ({ row, cells: rowCells(row) }));
  const nonEmpty = rows.filter(({ cells }) => cells.some((cell) => cell.text !== ''));
  const first = nonEmpty[0];
  if (first === undefined) return;

  // A key-value table: every row starts with a header cell and the first row is not all headers.
  const isVertical =
    nonEmpty.length > 0 &&
    !first.cells.every((cell) => cell.isHeader) &&
    nonEmpty.every(({ cells }) => cells.length >= 2 && cells[0]?.isHeader === true);
  if (isVertical) {
    for (const { cells } of nonEmpty) {
      const [key, ...values] = cells;
      const value = values.map((cell) => cell.text).filter(Boolean);
      collector.add('table_row', formatTableRow([key?.text ?? ''], [value.join(' | ')]), options);
    }
    return;
  }

  // The header is the last row of <thead> when there is one, otherwise the first row.
  const headRows = nonEmpty.filter(
    ({ row }) => row.parent !== null && isElement(row.parent) && tagOf(row.parent) === 'thead',
  );
  const headerRow = headRows[headRows.length - 1] ?? first;
  const headers = layout(headerRow.cells, true);
  const bodyRows = nonEmpty.filter((entry) => entry !== headerRow && !headRows.includes(entry));
  if (bodyRows.length === 0) {
    collector.add('table_row', formatTableRow([], headers), options);
    return;
  }
  for (const { cells } of bodyRows) {
    collector.add('table_row', formatTableRow(headers, layout(cells, false)), options);
  }
}

function addDefinitionList(collector: BlockCollector, list: Element): void {
  let term = '';
  for (const child of list.children) {
    if (!isElement(child)) continue;
    const tag = tagOf(child);
    if (tag === 'dt') {
      if (term !== '') collector.add('paragraph', term);
      term = normaliseText(inlineText(child));
    } else if (tag === 'dd') {
      const definition = normaliseText(inlineText(child));
      collector.add('paragraph', term === '' ? definition : `${term}: ${definition}`);
      term = '';
    } else if (tag === 'div') {
      addDefinitionList(collector, child);
    }
  }
  if (term !== '') collector.add('paragraph', term);
}

class HtmlWalker {
  private pending = '';

  constructor(private readonly collector: BlockCollector) {}

  flush(): void {
    this.collector.add('paragraph', this.pending);
    this.pending = '';
  }

  walk(node: AnyNode): void {
    const children = 'children' in node ? (node.children as AnyNode[]) : [];
    for (const child of children) this.visit(child);
  }

  private visit(node: AnyNode): void {
    const text = textOf(node);
    if (text !== null) {
      this.pending += text;
      return;
    }
    if (!isElement(node)) return;
    const tag = tagOf(node);
    if (SKIPPED.has(tag)) return;
    if (tag === 'br') {
      this.pending += ' ';
      return;
    }
    if (/^h[1-6]$/.test(tag)) {
      this.flush();
      this.collector.add('heading', inlineText(node), { level: headingLevel(node) });
    } else if (tag === 'p') {
      this.flush();
      this.collector.add('paragraph', inlineText(node));
    } else if (tag === 'li') {
      this.flush();
      const nested = new Set([...SKIPPED, ...LISTS, 'table']);
      this.collector.add('list_item', inlineText(node, nested));
      for (const child of node.children) {
        if (isElement(child) && (LISTS.has(tagOf(child)) || tagOf(child) === 'table')) this.visit(child);
        else if (isElement(child) && hasBlockDescendant(child)) this.walkNestedLists(child);
      }
    } else if (tag === 'table') {
      this.flush();
      addTable(this.collector, node);
    } else if (tag === 'pre') {
      this.flush();
      this.collector.add('code', inlineText(node));
    } else if (tag === 'dl') {
      this.flush();
      addDefinitionList(this.collector, node);
    } else if (tag === 'hr') {
      this.flush();
    } else if (BLOCK_LEVEL.has(tag) || hasBlockDescendant(node)) {
      this.flush();
      this.walk(node);
      this.flush();
    } else {
      this.pending += inlineText(node);
    }
  }

  /** Lists or tables nested inside other elements of a list item. */
  private walkNestedLists(node: Element): void {
    for (const child of node.children) {
      if (!isElement(child)) continue;
      if (LISTS.has(tagOf(child)) || tagOf(child) === 'table') this.visit(child);
      else this.walkNestedLists(child);
    }
  }
}

/** Blocks from an HTML fragment or document, in document order. */
export function htmlToBlocks(html: string, collector = new BlockCollector()): BlockCollector {
  const $ = cheerio.load(html);
  const root = $.root()[0];
  if (root === undefined) return collector;
  const walker = new HtmlWalker(collector);
  walker.walk(root);
  walker.flush();
  return collector;
}
