/**
 * HTML: the main content found by Readability (navigation, site header and footer,
 * sidebars, scripts and styles left out), falling back to <main>/<article>/<body>
 * with that page furniture removed when Readability finds nothing or keeps much less
 * than the page's <main> holds.
 */
import { Readability } from '@mozilla/readability';
import * as cheerio from 'cheerio';
import { parseHTML } from 'linkedom';
import type { ParsedDocument } from '../ingestion.types.ts';
import { BlockCollector, cleanTitle, firstHeadingTitle, normaliseText } from './blocks.ts';
import { MIME_TYPES } from './detect.ts';
import { HEADING_LEVEL_ATTRIBUTE, htmlToBlocks } from './html-blocks.ts';
import { decodeEntities } from './markdown.ts';

/** Page furniture removed before the fallback extraction. */
const FURNITURE = [
  'script',
  'style',
  'noscript',
  'template',
  'nav',
  'aside',
  'form',
  'iframe',
  'svg',
  '[role="navigation"]',
  '[role="banner"]',
  '[role="contentinfo"]',
  '[role="complementary"]',
  '[role="search"]',
  '[aria-hidden="true"]',
  '[hidden]',
].join(', ');

/** Readability must keep at least this share of <main>'s text, or <main> is used instead. */
const MIN_READABILITY_COVERAGE = 0.6;

/**
 * Readability drops the first heading that repeats the page title. Blanking the title
 * (and the metadata it would fall back to) keeps that heading; the real title is taken
 * from the page beforehand.
 */
const TITLE_PLACEHOLDER = 'nexusingestionplaceholdertitle';

function asDocument(html: string): string {
  return /<html[\s>]/i.test(html.slice(0, 8192))
    ? html
    : `<!doctype html><html><head></head><body>${html}</body></html>`;
}

/** Removes navigation, sidebars, scripts and the site-wide header and footer. */
function removeFurniture($: cheerio.CheerioAPI): void {
  $(FURNITURE).remove();
  // Site-wide header and footer, but not an article's own <header>/<footer>.
  $('header, footer')
    .filter((_, element) => $(element).parents('article, main, [role="main"]').length === 0)
    .remove();
}

function readabilityContent(html: string): { html: string; textLength: number } | null {
  try {
    // Readability scores what is left, so furniture it might keep on sparse pages goes first.
    const $ = cheerio.load(html);
    removeFurniture($);
    const { document } = parseHTML(asDocument($.html()));
    for (const heading of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
      heading.setAttribute(HEADING_LEVEL_ATTRIBUTE, heading.tagName.slice(1));
    }
    for (const element of document.querySelectorAll('title, meta')) element.remove();
    const title = document.createElement('title');
    title.textContent = TITLE_PLACEHOLDER;
    document.head?.appendChild(title);
    const article = new Readability(document, { disableJSONLD: true }).parse();
    const content = article?.content ?? '';
    const textLength = normaliseText(article?.textContent ?? '').length;
    return textLength === 0 ? null : { html: content, textLength };
  } catch {
    return null;
  }
}

function fallbackContent($: cheerio.CheerioAPI): { html: string; textLength: number; isMain: boolean } {
  removeFurniture($);
  const main = $('main, [role="main"]').first();
  const articles = $('article');
  const root = main.length > 0 ? main : articles.length === 1 ? articles.first() : $('body');
  const isMain = main.length > 0 || articles.length === 1;
  return { html: $.html(root), textLength: normaliseText(root.text()).length, isMain };
}

function pageTitle(html: string): { ogTitle: string | null; documentTitle: string | null } {
  const $ = cheerio.load(html);
  const ogTitle = cleanTitle($('meta[property="og:title"], meta[name="og:title"]').first().attr('content'));
  const raw = cleanTitle($('head title, title').first().text());
  // "Page title | Site name": keep the longest segment.
  const documentTitle =
    raw === null
      ? null
      : raw
          .split(/\s+(?:\||–|—|·|::|»|-)\s+/)
          .map((part) => part.trim())
          .reduce((longest, part) => (part.length > longest.length ? part : longest), '');
  return { ogTitle, documentTitle: documentTitle || null };
}

/** Removes every `<tag …>…</tag>` element, scanning with indexOf (no backtracking). */
function removeElements(html: string, tag: string): string {
  const lower = html.toLowerCase();
  let result = '';
  let position = 0;
  for (;;) {
    const start = lower.indexOf(`<${tag}`, position);
    if (start < 0) break;
    const close = lower.indexOf(`</${tag}`, start);
    const end = close < 0 ? -1 : lower.indexOf('>', close);
    result += `${html.slice(position, start)} `;
    position = end < 0 ? html.length : end + 1;
  }
  return result + html.slice(position);
}

/**
 * Tag-stripping extraction for markup too deeply nested for the DOM libraries (they
 * recurse): paragraphs at block boundaries, without structure.
 */
function plainHtmlBlocks(html: string): BlockCollector {
  let text = html;
  for (const tag of ['script', 'style', 'noscript', 'template', 'svg', 'head'])
    text = removeElements(text, tag);
  text = text
    .replace(
      /<\/?(?:p|div|br|li|h[1-6]|tr|table|section|article|main|ul|ol|dl|dt|dd|blockquote|pre|hr)\b[^<>]{0,2000}>/gi,
      '\n\n',
    )
    .replace(/<[^<>]{0,2000}>/g, ' ');
  const collector = new BlockCollector();
  for (const paragraph of decodeEntities(text).split(/\n\s*\n/)) collector.add('paragraph', paragraph);
  return collector;
}

export function parseHtml(text: string): ParsedDocument {
  try {
    return parseStructuredHtml(text);
  } catch (error) {
    // The DOM libraries recurse; pathologically deep markup overflows the stack.
    if (!(error instanceof RangeError)) throw error;
    const { blocks } = plainHtmlBlocks(text);
    return { format: 'html', mimeType: MIME_TYPES.html, title: null, blocks, pageCount: null };
  }
}

function parseStructuredHtml(text: string): ParsedDocument {
  const { ogTitle, documentTitle } = pageTitle(text);
  const readable = readabilityContent(text);
  const fallback = fallbackContent(cheerio.load(text));
  const useFallback =
    readable === null ||
    (fallback.isMain && readable.textLength < fallback.textLength * MIN_READABILITY_COVERAGE);
  const { blocks } = htmlToBlocks(useFallback ? fallback.html : readable.html);

  const topHeadings = blocks.filter((block) => block.kind === 'heading' && block.level === 1);
  const soleH1 = topHeadings.length === 1 ? (topHeadings[0]?.text ?? null) : null;
  return {
    format: 'html',
    mimeType: MIME_TYPES.html,
    title: ogTitle ?? soleH1 ?? documentTitle ?? firstHeadingTitle(blocks),
    blocks,
    pageCount: null,
  };
}
