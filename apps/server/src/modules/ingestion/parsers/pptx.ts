/**
 * PPTX: one page per slide in presentation order. The slide title becomes a heading,
 * each paragraph of a text frame a paragraph (or a list item when it has an explicit
 * bullet), tables become table rows, and speaker notes follow as paragraphs.
 */
import { type ParsedDocument, ParseError, type ParseLimits } from '../ingestion.types.ts';
import { BlockCollector, firstHeadingTitle, normaliseText } from './blocks.ts';
import { MIME_TYPES } from './detect.ts';
import {
  attribute,
  child,
  childNodes,
  findAll,
  findFirst,
  localName,
  parseXml,
  readCoreTitle,
  readRelationships,
  textContent,
  type XmlNode,
} from './ooxml.ts';
import { type GuardedZip, openGuardedZip } from './zip-guard.ts';

const LABEL = 'PowerPoint presentation';
const PRESENTATION = 'ppt/presentation.xml';
const TITLE_PLACEHOLDERS = new Set(['title', 'ctrTitle']);
/** Placeholders that only repeat slide furniture. */
const SKIPPED_PLACEHOLDERS = new Set(['sldNum', 'dt', 'ftr', 'hdr', 'sldImg']);

function damaged(): ParseError {
  return new ParseError(
    'corrupt',
    `This ${LABEL} is damaged or incomplete and cannot be read. Try saving it again.`,
  );
}

/** Slide part names in presentation order. */
function slideParts(zip: GuardedZip): string[] {
  const xml = zip.readText(PRESENTATION);
  if (xml === null) throw damaged();
  const relationships = readRelationships(zip, PRESENTATION, LABEL);
  const list = findFirst(parseXml(xml, LABEL), 'sldIdLst');
  const parts: string[] = [];
  for (const slideId of list === undefined ? [] : findAll(childNodes(list), 'sldId')) {
    const relationship = relationships.get(attribute(slideId, 'r:id') ?? '');
    if (relationship !== undefined && zip.has(relationship.target)) parts.push(relationship.target);
  }
  return parts;
}

/** Text of one `a:p` paragraph: runs, fields and line breaks. */
function paragraphText(paragraph: XmlNode): string {
  return childNodes(paragraph)
    .map((node) => {
      const name = localName(node);
      if (name === 'r' || name === 'fld') {
        const text = child(node, 't');
        return text === undefined ? '' : textContent(text);
      }
      return name === 'br' ? ' ' : '';
    })
    .join('');
}

function hasBullet(paragraph: XmlNode): boolean {
  const properties = child(paragraph, 'pPr');
  if (properties === undefined) return false;
  return childNodes(properties).some((node) => ['buChar', 'buAutoNum'].includes(localName(node)));
}

function placeholderType(shape: XmlNode): string | null {
  const properties = childNodes(shape).find((node) => localName(node).startsWith('nv'));
  const nonVisual = properties === undefined ? undefined : child(properties, 'nvPr');
  const placeholder = nonVisual === undefined ? undefined : child(nonVisual, 'ph');
  if (placeholder === undefined) return null;
  return attribute(placeholder, 'type') ?? 'body';
}

interface SlideContent {
  title: string;
  /** Body items in drawing order. */
  items: { kind: 'paragraph' | 'list_item' | 'table'; text?: string; rows?: string[][] }[];
}

function readShapes(nodes: readonly XmlNode[], content: SlideContent): void {
  for (const node of nodes) {
    const name = localName(node);
    if (name === 'grpSp') {
      readShapes(childNodes(node), content);
    } else if (name === 'AlternateContent') {
      const choice = child(node, 'Choice') ?? child(node, 'Fallback');
      if (choice !== undefined) readShapes(childNodes(choice), content);
    } else if (name === 'sp') {
      const type = placeholderType(node);
      if (type !== null && SKIPPED_PLACEHOLDERS.has(type)) continue;
      const body = child(node, 'txBody');
      if (body === undefined) continue;
      const paragraphs = findAll(childNodes(body), 'p');
      if (type !== null && TITLE_PLACEHOLDERS.has(type) && content.title === '') {
        content.title = normaliseText(paragraphs.map(paragraphText).join(' '));
        continue;
      }
      for (const paragraph of paragraphs) {
        content.items.push({
          kind: hasBullet(paragraph) ? 'list_item' : 'paragraph',
          text: paragraphText(paragraph),
        });
      }
    } else if (name === 'graphicFrame') {
      const table = findFirst(childNodes(node), 'tbl');
      if (table === undefined) continue;
      const rows = findAll(childNodes(table), 'tr').map((row) =>
        findAll(childNodes(row), 'tc').map((cell) =>
          findAll(childNodes(cell), 'p').map(paragraphText).join(' '),
        ),
      );
      content.items.push({ kind: 'table', rows });
    }
  }
}

function readSlide(zip: GuardedZip, part: string): SlideContent {
  const xml = zip.readText(part);
  if (xml === null) throw damaged();
  const tree = findFirst(parseXml(xml, LABEL), 'spTree');
  const content: SlideContent = { title: '', items: [] };
  if (tree !== undefined) readShapes(childNodes(tree), content);
  return content;
}

function readNotes(zip: GuardedZip, slidePart: string): string {
  const notes = [...readRelationships(zip, slidePart, LABEL).values()].find((relationship) =>
    relationship.type.endsWith('/notesSlide'),
  );
  const xml = notes === undefined ? null : zip.readText(notes.target);
  if (xml === null) return '';
  const tree = findFirst(parseXml(xml, LABEL), 'spTree');
  if (tree === undefined) return '';
  return findAll(childNodes(tree), 'sp')
    .filter((shape) => placeholderType(shape) === 'body')
    .flatMap((shape) => findAll(childNodes(shape), 'p').map(paragraphText))
    .join(' ');
}

export async function parsePptx(bytes: Uint8Array, limits: ParseLimits): Promise<ParsedDocument> {
  const zip = await openGuardedZip(bytes, limits.maxDecompressedBytes, LABEL);
  const parts = slideParts(zip);
  if (parts.length > limits.maxPages) {
    throw new ParseError(
      'too_many_pages',
      `This presentation has ${parts.length} slides; the most we accept is ${limits.maxPages}.`,
    );
  }
  const collector = new BlockCollector();
  let firstSlideTitle: string | null = null;
  for (const [index, part] of parts.entries()) {
    const page = index + 1;
    const slide = readSlide(zip, part);
    if (slide.title !== '') {
      firstSlideTitle ??= slide.title;
      collector.add('heading', slide.title, { page, level: 1 });
    }
    for (const item of slide.items) {
      if (item.kind === 'table') collector.addTable(item.rows ?? [], { page });
      else collector.add(item.kind, item.text ?? '', { page });
    }
    const notes = normaliseText(readNotes(zip, part));
    if (notes !== '') collector.add('paragraph', `Speaker notes: ${notes}`, { page });
  }
  return {
    format: 'pptx',
    mimeType: MIME_TYPES.pptx,
    title: readCoreTitle(zip) ?? firstSlideTitle ?? firstHeadingTitle(collector.blocks),
    blocks: collector.blocks,
    pageCount: parts.length,
  };
}
