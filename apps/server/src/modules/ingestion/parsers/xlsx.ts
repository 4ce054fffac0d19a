/**
 * Spreadsheets: XLSX through exceljs (after the zip-bomb guard) and CSV/TSV through a
 * small RFC 4180 reader that keeps values exactly as written. Every sheet's first
 * non-empty row is its header; each later row becomes one `table_row` block that
 * reads `Header: value | Header: value`.
 */
import { Buffer } from 'node:buffer';
import ExcelJS from 'exceljs';
import { type ParsedDocument, ParseError, type ParseLimits } from '../ingestion.types.ts';
import { BlockCollector, cleanTitle } from './blocks.ts';
import { MIME_TYPES, parseDelimited } from './detect.ts';
import { openGuardedZip } from './zip-guard.ts';

function splitSections(format: string): string[] {
  const sections: string[] = [];
  let current = '';
  let isQuoted = false;
  for (let index = 0; index < format.length; index++) {
    const char = format[index] as string;
    if (char === '\\' && !isQuoted) {
      current += char + (format[index + 1] ?? '');
      index++;
    } else if (char === '"') {
      isQuoted = !isQuoted;
      current += char;
    } else if (char === ';' && !isQuoted) {
      sections.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  sections.push(current);
  return sections;
}

/**
 * Renders a number with one section of an Excel number format: literals, currency
 * symbols, thousands separators, decimals, percent and thousands scaling. Null for
 * formats it does not understand (scientific, fractions, text, dates).
 */
function renderNumberSection(section: string, value: number): string | null {
  let prefix = '';
  let suffix = '';
  let pattern = '';
  let isPercent = false;
  const literal = (text: string): void => {
    if (pattern === '') prefix += text;
    else suffix += text;
  };
  for (let index = 0; index < section.length; index++) {
    const char = section[index] as string;
    if (char === '"') {
      const end = section.indexOf('"', index + 1);
      literal(section.slice(index + 1, end < 0 ? undefined : end));
      index = end < 0 ? section.length : end;
    } else if (char === '\\') {
      literal(section[index + 1] ?? '');
      index++;
    } else if (char === '[') {
      const end = section.indexOf(']', index);
      const content = section.slice(index + 1, end < 0 ? undefined : end);
      if (content.startsWith('$')) literal(content.slice(1).split('-')[0] ?? '');
      index = end < 0 ? section.length : end;
    } else if (char === '_' || char === '*') {
      index++;
    } else if ('0#?.,'.includes(char)) {
      if (suffix !== '') return null;
      pattern += char;
    } else if (char === '%') {
      isPercent = true;
      literal('%');
    } else if (/[a-zA-Z@/]/.test(char)) {
      return null;
    } else {
      literal(char);
    }
  }
  if (!/[0#?]/.test(pattern)) return null;
  const [integerPart = '', fractionPart = ''] = pattern.split('.');
  const scaleCommas = /,+$/.exec(integerPart)?.[0].length ?? 0;
  const hasGrouping = /[0#?],[0#?]/.test(integerPart);
  const scaled = (value * (isPercent ? 100 : 1)) / 1000 ** scaleCommas;
  const formatted = scaled.toLocaleString('en-US', {
    useGrouping: hasGrouping,
    minimumFractionDigits: (fractionPart.match(/0/g) ?? []).length,
    maximumFractionDigits: (fractionPart.match(/[0#?]/g) ?? []).length,
  });
  return `${prefix}${formatted}${suffix}`;
}

export function formatNumber(value: number, numberFormat?: string): string {
  const plain = String(Number(value.toPrecision(15)));
  if (numberFormat === undefined || numberFormat === '' || /^(?:general|@)$/i.test(numberFormat))
    return plain;
  const sections = splitSections(numberFormat);
  const [positive = '', negative] = sections;
  if (value < 0 && negative !== undefined) return renderNumberSection(negative, -value) ?? plain;
  const rendered = renderNumberSection(positive, Math.abs(value));
  if (rendered === null) return plain;
  return value < 0 ? `-${rendered}` : rendered;
}

/** ISO date (`2027-01-01`), with the time when there is one; time alone for time formats. */
export function formatDate(date: Date, numberFormat?: string): string {
  if (Number.isNaN(date.getTime())) return '';
  const iso = date.toISOString();
  const time = iso.slice(11, 19).replace(/:00$/, '');
  const isTimeOnly =
    numberFormat !== undefined &&
    !/[dy]/i.test(numberFormat.replace(/"[^"]*"/g, '')) &&
    /h/i.test(numberFormat);
  if (isTimeOnly) return time;
  return iso.slice(11, 23) === '00:00:00.000' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${time}`;
}

function cellValueText(value: ExcelJS.CellValue, numberFormat?: string): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return formatDate(value, numberFormat);
  if (typeof value === 'number') return formatNumber(value, numberFormat);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if ('richText' in value) return value.richText.map((run) => run.text).join('');
  if ('formula' in value || 'sharedFormula' in value) {
    const result = value.result;
    if (result === undefined || result === null) return '';
    if (typeof result === 'object' && !(result instanceof Date)) return 'error' in result ? result.error : '';
    return cellValueText(result, numberFormat);
  }
  if ('hyperlink' in value) {
    const text: unknown = value.text;
    if (typeof text === 'string') return text;
    if (typeof text === 'object' && text !== null && 'richText' in text) {
      return cellValueText(text as ExcelJS.CellRichTextValue);
    }
    return value.hyperlink;
  }
  if ('error' in value) return value.error;
  return '';
}

function sheetRows(worksheet: ExcelJS.Worksheet): string[][] {
  const rows: string[][] = [];
  worksheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: false }, (cell, column) => {
      // A merged range holds its value in the top-left cell only.
      if (cell.isMerged && cell.master.address !== cell.address) return;
      cells[column - 1] = cellValueText(cell.value, cell.numFmt);
    });
    rows.push(Array.from(cells, (cell) => cell ?? ''));
  });
  return rows;
}

export async function parseXlsx(bytes: Uint8Array, limits: ParseLimits): Promise<ParsedDocument> {
  await openGuardedZip(bytes, limits.maxDecompressedBytes, 'Excel workbook');
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as ArrayBuffer,
    );
  } catch (error) {
    throw Object.assign(
      new ParseError(
        'corrupt',
        'This Excel workbook is damaged or incomplete and cannot be read. Try saving it again.',
      ),
      { cause: error },
    );
  }
  const collector = new BlockCollector();
  workbook.eachSheet((worksheet) => {
    collector.addTable(sheetRows(worksheet), { table: worksheet.name });
  });
  return {
    format: 'xlsx',
    mimeType: MIME_TYPES.xlsx,
    title: cleanTitle(workbook.title),
    blocks: collector.blocks,
    pageCount: null,
  };
}

export function parseCsv(text: string, delimiter = ','): ParsedDocument {
  const collector = new BlockCollector();
  collector.addTable(parseDelimited(text, delimiter));
  return {
    format: 'csv',
    mimeType: delimiter === '\t' ? 'text/tab-separated-values' : MIME_TYPES.csv,
    title: null,
    blocks: collector.blocks,
    pageCount: null,
  };
}
