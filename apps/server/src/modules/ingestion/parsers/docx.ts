/**
 * DOCX through mammoth's HTML (headings h1–h6 from the Heading styles, paragraphs,
 * lists, tables), after the zip-bomb guard has checked the archive.
 */
import { Buffer } from 'node:buffer';
import * as cheerio from 'cheerio';
import mammoth from 'mammoth';
import { type ParsedDocument, ParseError, type ParseLimits } from '../ingestion.types.ts';
import { cleanTitle, firstHeadingTitle } from './blocks.ts';
import { MIME_TYPES } from './detect.ts';
import { htmlToBlocks } from './html-blocks.ts';
import { readCoreTitle } from './ooxml.ts';
import { openGuardedZip } from './zip-guard.ts';

const STYLE_MAP = ["p[style-name='Title'] => h1.document-title:fresh", "p[style-name='Subtitle'] => p:fresh"];

/** Images are not indexed; an empty source stops mammoth from base64-encoding them. */
const SKIP_IMAGES = mammoth.images.imgElement(async () => ({ src: '' }));

export async function parseDocx(bytes: Uint8Array, limits: ParseLimits): Promise<ParsedDocument> {
  const zip = await openGuardedZip(bytes, limits.maxDecompressedBytes, 'Word document');
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        styleMap: STYLE_MAP,
        convertImage: SKIP_IMAGES,
        externalFileAccess: false,
        ignoreEmptyParagraphs: true,
      },
    );
    html = result.value;
  } catch (error) {
    throw Object.assign(
      new ParseError(
        'corrupt',
        'This Word document is damaged or incomplete and cannot be read. Try saving it again.',
      ),
      { cause: error },
    );
  }
  const { blocks } = htmlToBlocks(html);
  const styledTitle = cleanTitle(cheerio.load(html)('h1.document-title').first().text());
  return {
    format: 'docx',
    mimeType: MIME_TYPES.docx,
    title: readCoreTitle(zip) ?? styledTitle ?? firstHeadingTitle(blocks),
    blocks,
    pageCount: null,
  };
}
