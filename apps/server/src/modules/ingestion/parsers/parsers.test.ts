import { readFile } from 'node:fs/promises';
import { extractText, getDocumentProxy } from 'unpdf';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PARSE_LIMITS,
  type ParsedDocument,
  ParseError,
  type ParseErrorCode,
  type ParseLimits,
  type TextBlock,
} from '../ingestion.types.ts';
import { detectFormat, parseDocument } from './index.ts';
import { openGuardedZip, readZipDirectory } from './zip-guard.ts';

const FIXTURES = new URL('../../../../test/fixtures/documents/', import.meta.url);
const DEMO = new URL('../../../../demo/', import.meta.url);

async function fixture(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(new URL(name, FIXTURES)));
}

async function parseFixture(name: string, limits?: ParseLimits): Promise<ParsedDocument> {
  return parseDocument({ bytes: await fixture(name), filename: name }, limits);
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

async function parseText(text: string, filename?: string): Promise<ParsedDocument> {
  return parseDocument({ bytes: encode(text), ...(filename === undefined ? {} : { filename }) });
}

/** The ParseError a parse fails with; fails the test when it succeeds or throws anything else. */
async function parseFailure(parse: Promise<unknown>): Promise<ParseError> {
  const error = await parse.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ParseError);
  const parseError = error as ParseError;
  // Messages are for end users: no stack frames, error class names or internals.
  expect(parseError.message).not.toMatch(/\n|\bat .+:\d+|Error\b|undefined|null/);
  return parseError;
}

function texts(document: ParsedDocument, kind?: TextBlock['kind']): string[] {
  return document.blocks
    .filter((block) => kind === undefined || block.kind === kind)
    .map((block) => block.text);
}

function headings(document: ParsedDocument): [string, number | undefined][] {
  return document.blocks
    .filter((block) => block.kind === 'heading')
    .map((block) => [block.text, block.level]);
}

function blockContaining(document: ParsedDocument, text: string): TextBlock {
  const block = document.blocks.find((candidate) => candidate.text.includes(text));
  if (block === undefined) throw new Error(`no block contains "${text}"`);
  return block;
}

function allText(document: ParsedDocument): string {
  return texts(document).join('\n');
}

describe('PDF', () => {
  it('keeps text per page with 1-based page numbers, paragraphs and headings', async () => {
    const document = await parseFixture('multi-page.pdf');

    expect(document).toMatchObject({ format: 'pdf', mimeType: 'application/pdf', pageCount: 3 });
    expect(document.title).toBe('Fixture Staff Handbook');
    expect(
      document.blocks.every((block) => block.page !== undefined && block.page >= 1 && block.page <= 3),
    ).toBe(true);
    expect(blockContaining(document, 'office opens at 08:30')).toEqual({
      kind: 'paragraph',
      text: 'The office opens at 08:30 and closes at 18:00 on weekdays. Reception is staffed throughout those hours by the facilities team.',
      page: 1,
    });
    expect(blockContaining(document, 'Visitors sign in').page).toBe(1);
    expect(blockContaining(document, 'Annual leave is 25 days')).toEqual({
      kind: 'list_item',
      text: 'Annual leave is 25 days plus public holidays.',
      page: 2,
    });
    expect(blockContaining(document, 'Expense claims are paid within 10 business days').page).toBe(3);
    expect(headings(document)).toEqual([
      ['Staff Handbook', 1],
      ['1. Office hours', 2],
      ['2. Leave', 2],
      ['2.1 Carry Over', 3],
      ['3. Expenses', 2],
      ['Travel Booking Rules', 3],
    ]);
    expect(document.blocks.filter((block) => block.kind === 'heading').map((block) => block.page)).toEqual([
      1, 1, 2, 2, 3, 3,
    ]);
  });

  it('drops the running footer repeated on every page', async () => {
    const document = await parseFixture('multi-page.pdf');
    expect(allText(document)).not.toContain('Page 1 of 3');
    expect(allText(document)).not.toContain('Fixture Corp ·');
  });

  it('reports a password-protected PDF as encrypted', async () => {
    const error = await parseFailure(parseFixture('encrypted.pdf'));
    expect(error.code).toBe('encrypted');
    expect(error.message).toBe('This PDF is password-protected; remove the password and upload it again.');
  });

  it('uses a genuinely encrypted fixture that opens with its password', async () => {
    const pdf = await getDocumentProxy(await fixture('encrypted.pdf'), {
      password: 'open-sesame',
      verbosity: 0,
    });
    const { text } = await extractText(pdf, { mergePages: true });
    expect(text).toContain('Confidential salary bands for 2026');
  });

  it('reports a truncated PDF as corrupt', async () => {
    const error = await parseFailure(parseFixture('truncated.pdf'));
    expect(error.code).toBe('corrupt');
    expect(error.message).toMatch(/^This PDF is damaged or incomplete/);
  });

  it('reports a PDF without a text layer as empty and says OCR is not supported', async () => {
    const error = await parseFailure(parseFixture('scanned.pdf'));
    expect(error.code).toBe('empty');
    expect(error.message).toMatch(/no text layer/);
    expect(error.message).toMatch(/OCR is not supported/);
  });

  it('refuses a PDF with more pages than allowed', async () => {
    const error = await parseFailure(
      parseFixture('multi-page.pdf', { ...DEFAULT_PARSE_LIMITS, maxPages: 2 }),
    );
    expect(error.code).toBe('too_many_pages');
    expect(error.message).toBe('This PDF has 3 pages; the most we accept is 2.');
  });
});

describe('DOCX', () => {
  it('keeps headings with levels, paragraphs, list items and table rows with headers', async () => {
    const document = await parseFixture('handbook.docx');

    expect(document).toMatchObject({ format: 'docx', pageCount: null, title: 'Fixture Working Practices' });
    expect(headings(document)).toEqual([
      ['Working Practices', 1],
      ['Working hours', 1],
      ['Remote work', 2],
      ['Contacts', 1],
    ]);
    expect(texts(document, 'paragraph')).toEqual(['Core hours are 10:00 to 16:00, Monday to Friday.']);
    expect(texts(document, 'list_item')).toEqual([
      'Staff may work remotely up to 2 days a week.',
      'Laptops must use full-disk encryption.',
      'Request a remote day in PeopleHub.',
      'Your manager approves it within 2 days.',
    ]);
    expect(texts(document, 'table_row')).toEqual([
      'Team: People | Email: people@example.com | Phone: 0100',
      'Team: IT Service Desk | Email: it@example.com',
    ]);
    expect(document.blocks.every((block) => block.page === undefined)).toBe(true);
  });

  it('reports a password-protected Office file (an OLE container) as encrypted', async () => {
    const error = await parseFailure(parseFixture('password-protected.docx'));
    expect(error.code).toBe('encrypted');
    expect(error.message).toMatch(/password-protected Office document/);
  });

  it('names a legacy Word 97–2003 file as unsupported', async () => {
    const error = await parseFailure(parseFixture('legacy-word.doc'));
    expect(error.code).toBe('unsupported');
    expect(error.message).toMatch(
      /^This file type is not supported: Word 97–2003 document \(\.doc\); save it as \.docx/,
    );
  });
});

describe('XLSX and CSV', () => {
  it('turns every sheet row into a table row with its headers, ISO dates and numbers as formatted', async () => {
    const document = await parseFixture('workbook.xlsx');

    expect(document).toMatchObject({ format: 'xlsx', pageCount: null, title: 'Fixture Staff List' });
    expect(document.blocks).toEqual([
      {
        kind: 'table_row',
        text: 'Name: Ada Lovelace | Start date: 2024-03-01 | Salary: £52,000 | Bonus rate: 5.0% | Notes: Team lead',
        table: 'Staff',
      },
      {
        kind: 'table_row',
        text: 'Name: Alan Turing | Start date: 2023-11-15 | Salary: £61,000.50 | Bonus rate: 7.5%',
        table: 'Staff',
      },
      // The Offices sheet starts with an empty row: its header is the first non-empty row.
      { kind: 'table_row', text: 'Office: HQ | City: London | Desks: 120', table: 'Offices' },
      { kind: 'table_row', text: 'Office: North | City: Manchester | Desks: 45', table: 'Offices' },
      { kind: 'table_row', text: 'Office: Total | Desks: 165', table: 'Offices' },
    ]);
  });

  it('reports a workbook without data as empty', async () => {
    const error = await parseFailure(parseFixture('empty-workbook.xlsx'));
    expect(error.code).toBe('empty');
  });

  it('reads CSV values exactly as written, with quoted commas and quotes', async () => {
    const document = await parseFixture('offices.csv');

    expect(document).toMatchObject({ format: 'csv', mimeType: 'text/csv', title: null, pageCount: null });
    expect(texts(document, 'table_row')).toEqual([
      'Office: London HQ | Code: 007 | Opened: 2019-04-01 | Notes: Main office, 3 floors',
      'Office: Manchester | Code: 012 | Opened: 2021-09-15',
      'Office: Singapore | Code: 101 | Opened: 2022-01-10 | Notes: Regional hub for "APAC" sales',
    ]);
  });

  it('reads a file named .csv even with ragged rows or a single column', async () => {
    const ragged = await parseText('Name;Team;Phone\nAda;Core\nAlan;Data;0100\nGrace\n', 'people.csv');
    expect(ragged.format).toBe('csv');
    expect(texts(ragged)).toEqual([
      'Name: Ada | Team: Core',
      'Name: Alan | Team: Data | Phone: 0100',
      'Name: Grace',
    ]);

    const singleColumn = await parseText('Name\nAda\nAlan\n', 'names.csv');
    expect(texts(singleColumn)).toEqual(['Name: Ada', 'Name: Alan']);
  });

  it('reads tab-separated values', async () => {
    const document = await parseText('Name\tRole\nAda\tEngineer\nAlan\tAnalyst\nGrace\tAdmiral\n');
    expect(document).toMatchObject({ format: 'csv', mimeType: 'text/tab-separated-values' });
    expect(texts(document)).toEqual([
      'Name: Ada | Role: Engineer',
      'Name: Alan | Role: Analyst',
      'Name: Grace | Role: Admiral',
    ]);
  });
});

describe('PPTX', () => {
  it('gives one page per slide in presentation order, slide titles as headings, tables and notes', async () => {
    const document = await parseFixture('deck.pptx');

    expect(document).toMatchObject({ format: 'pptx', pageCount: 2, title: 'Fixture Quarterly Review' });
    expect(document.blocks).toEqual([
      { kind: 'heading', text: 'Quarterly Review', level: 1, page: 1 },
      { kind: 'paragraph', text: 'Results for Q1 2026 & outlook', page: 1 },
      { kind: 'paragraph', text: 'Speaker notes: Mention the record quarter in APAC.', page: 1 },
      { kind: 'heading', text: 'Revenue by Region', level: 1, page: 2 },
      { kind: 'list_item', text: 'UK revenue grew 12%', page: 2 },
      { kind: 'list_item', text: 'APAC revenue grew 30%', page: 2 },
      { kind: 'paragraph', text: 'Figures are unaudited.', page: 2 },
      { kind: 'table_row', text: 'Region: UK | Revenue: £4.2m', page: 2 },
      { kind: 'table_row', text: 'Region: APAC | Revenue: £2.9m', page: 2 },
    ]);
  });

  it('refuses a presentation with more slides than allowed', async () => {
    const error = await parseFailure(parseFixture('deck.pptx', { ...DEFAULT_PARSE_LIMITS, maxPages: 1 }));
    expect(error.code).toBe('too_many_pages');
  });
});

describe('HTML', () => {
  it('keeps the main content with heading levels, list items, table rows and the page title', async () => {
    const document = await parseFixture('intranet.html');

    expect(document).toMatchObject({ format: 'html', mimeType: 'text/html', title: 'Expense Claims Guide' });
    expect(headings(document)).toEqual([
      ['Expense Claims Guide', 1],
      ['Submitting a claim', 2],
      ['Mileage rates', 3],
      ['Approval and payment', 2],
    ]);
    expect(texts(document, 'list_item')).toEqual([
      'Meals while travelling are reimbursed up to £45 per day.',
      'Taxis are reimbursed only when public transport is impractical.',
    ]);
    expect(document.blocks.filter((block) => block.kind === 'table_row')).toEqual([
      { kind: 'table_row', text: 'Vehicle: Car | Rate per mile: 45p', table: 'Mileage rates by vehicle' },
      { kind: 'table_row', text: 'Vehicle: Bicycle | Rate per mile: 20p', table: 'Mileage rates by vehicle' },
    ]);
    expect(blockContaining(document, 'paid within 10 business days').kind).toBe('paragraph');
  });

  it('leaves out navigation, header, sidebar, footer, scripts, styles and comment threads', async () => {
    const text = allText(await parseFixture('intranet.html'));
    for (const excluded of [
      'Fixture Intranet home',
      'Search the intranet',
      'Company news',
      'People directory',
      'Related pages',
      'Travel booking portal',
      'Footer legal notice',
      'NAVIGATION-SCRIPT-TEXT',
      'font-family',
      'Share this page',
      'Great guide, thanks',
    ]) {
      expect(text).not.toContain(excluded);
    }
  });

  it('falls back to <main> for sparse pages and parses fragments', async () => {
    const sparse = await parseText(
      '<!doctype html><html><body><nav>Menu</nav><main><p>Short.</p></main><footer>Foot</footer></body></html>',
    );
    expect(texts(sparse)).toEqual(['Short.']);

    const fragment = await parseText('<p>Hello <b>world</b></p><ul><li>One</li><li>Two</li></ul>');
    expect(fragment.format).toBe('html');
    expect(fragment.blocks).toEqual([
      { kind: 'paragraph', text: 'Hello world' },
      { kind: 'list_item', text: 'One' },
      { kind: 'list_item', text: 'Two' },
    ]);
  });

  it('reports a page with nothing but navigation as empty', async () => {
    const error = await parseFailure(
      parseText('<html><body><nav><a href="/">Home</a> <a href="/about">About</a></nav></body></html>'),
    );
    expect(error.code).toBe('empty');
  });
});

describe('Markdown, JSON and text', () => {
  it('parses Markdown headings, paragraphs, lists, code and pipe tables', async () => {
    const document = await parseFixture('guide.md');

    expect(document).toMatchObject({
      format: 'markdown',
      mimeType: 'text/markdown',
      title: 'Onboarding Guide',
    });
    expect(document.blocks).toEqual([
      { kind: 'heading', text: 'Onboarding Guide', level: 1 },
      {
        kind: 'paragraph',
        text: 'Welcome to Fixture Corp. This guide covers your first week and the tools you will use.',
      },
      { kind: 'heading', text: 'Before you start', level: 2 },
      { kind: 'list_item', text: 'Collect your laptop from the IT desk on day one.' },
      { kind: 'list_item', text: 'Set up multi-factor authentication before 10:00.' },
      { kind: 'list_item', text: 'Read the security policy.' },
      { kind: 'list_item', text: 'Book your induction session.' },
      { kind: 'heading', text: 'Tools', level: 2 },
      { kind: 'paragraph', text: 'Run the setup script from a terminal:' },
      { kind: 'code', text: './setup.sh --profile new-starter\necho "done"' },
      { kind: 'table_row', text: 'Tool: PeopleHub | Purpose: Holidays and payslips' },
      { kind: 'table_row', text: 'Tool: Claimly | Purpose: Expense claims' },
      { kind: 'paragraph', text: 'Ask your buddy if anything is unclear.' },
    ]);
  });

  it('flattens JSON to path lines per top-level key and arrays of objects to table rows', async () => {
    const document = await parseFixture('inventory.json');

    expect(document).toMatchObject({
      format: 'json',
      mimeType: 'application/json',
      title: 'Warehouse Inventory',
    });
    expect(document.blocks).toEqual([
      { kind: 'paragraph', text: 'title: Warehouse Inventory' },
      {
        kind: 'paragraph',
        text: 'warehouse.name: Tuas DC\nwarehouse.address.city: Singapore\nwarehouse.address.country: SG\nwarehouse.docks: 1, 2, 3',
      },
      {
        kind: 'table_row',
        text: 'sku: A-100 | name: Pallet wrap | quantity: 40 | hazardous: false',
        table: 'items',
      },
      {
        kind: 'table_row',
        text: 'sku: B-200 | name: Label printer | quantity: 3 | dimensions.width: 20 | dimensions.height: 15',
        table: 'items',
      },
      { kind: 'paragraph', text: 'lastAudit: null' },
    ]);
  });

  it('splits plain text into paragraphs on blank lines', async () => {
    const document = await parseFixture('notes.txt');

    expect(document).toMatchObject({ format: 'text', mimeType: 'text/plain', title: null, pageCount: null });
    expect(texts(document, 'paragraph')).toEqual([
      'Meeting notes for the facilities review. The lifts on the north side will be serviced on Saturday morning.',
      'Parking permits must be renewed by 31 March.',
      'The cafe now opens at 07:30.',
    ]);
  });

  it('normalises whitespace and keeps Unicode', async () => {
    const document = await parseText(
      '  Zürich  \t office:\u00a0 café   crème ☕\n\n\n  日本語の   テキスト  ',
    );
    expect(texts(document)).toEqual(['Zürich office: café crème ☕', '日本語の テキスト']);
  });

  it('decodes UTF-16 text with a byte-order mark', async () => {
    const bytes = new Uint8Array([0xff, 0xfe, ...Buffer.from('Hello from UTF-16', 'utf16le')]);
    const document = await parseDocument({ bytes });
    expect(texts(document)).toEqual(['Hello from UTF-16']);
  });
});

describe('format detection', () => {
  it('detects each fixture from its content', async () => {
    const expected: [string, string][] = [
      ['multi-page.pdf', 'pdf'],
      ['handbook.docx', 'docx'],
      ['workbook.xlsx', 'xlsx'],
      ['deck.pptx', 'pptx'],
      ['intranet.html', 'html'],
      ['guide.md', 'markdown'],
      ['inventory.json', 'json'],
      ['offices.csv', 'csv'],
      ['notes.txt', 'text'],
    ];
    for (const [name, format] of expected) {
      expect(detectFormat(await fixture(name))?.format, name).toBe(format);
    }
  });

  it('ignores misleading file names', async () => {
    expect(detectFormat(await fixture('multi-page.pdf'), 'notes.txt')).toEqual({
      format: 'pdf',
      mimeType: 'application/pdf',
    });
    expect(detectFormat(await fixture('workbook.xlsx'), 'data.csv')?.format).toBe('xlsx');
    expect(detectFormat(await fixture('deck.pptx'), 'slides.docx')?.format).toBe('pptx');
    expect(detectFormat(await fixture('intranet.html'), 'page.txt')?.format).toBe('html');
    expect(detectFormat(await fixture('inventory.json'), 'data.txt')?.format).toBe('json');
    expect(detectFormat(await fixture('offices.csv'), 'offices.md')?.format).toBe('csv');
    expect(detectFormat(await fixture('image.png'), 'scan.pdf')).toBeNull();
    expect(detectFormat(await fixture('random.bin'), 'data.csv')).toBeNull();
    expect(detectFormat(await fixture('password-protected.docx'), 'secret.docx')).toBeNull();
  });

  it('parses a DOCX saved as report.pdf as a DOCX', async () => {
    const document = await parseFixture('report.pdf');
    expect(document.format).toBe('docx');
    expect(document.mimeType).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(texts(document, 'heading')).toContain('Working hours');
  });

  it('never reads text as PDF because of a declared type', async () => {
    const document = await parseDocument({
      bytes: encode('Quarterly figures are attached.'),
      filename: 'figures.pdf',
      declaredMimeType: 'application/pdf',
    });
    expect(document.format).toBe('text');
  });

  it('lets the file name break ties between CSV, Markdown and plain text', async () => {
    const pairs = 'alpha, beta\ngamma, delta\n';
    expect(detectFormat(encode(pairs), 'pairs.csv')?.format).toBe('csv');
    expect(detectFormat(encode(pairs), 'pairs.txt')?.format).toBe('text');
    expect(detectFormat(encode(pairs))?.format).toBe('text');

    const list = '- one\n- two\n';
    expect(detectFormat(encode(list))?.format).toBe('markdown');
    expect(detectFormat(encode(list), 'list.txt')?.format).toBe('text');
    expect(detectFormat(encode('Plain words only.'), 'readme.md')?.format).toBe('markdown');

    // Strong structure wins over the name.
    expect(
      detectFormat(encode('# Title\n\nSome text with a [link](https://example.com).\n'), 'notes.txt')?.format,
    ).toBe('markdown');
    const table = 'id,name,team\n1,Ada,Core\n2,Alan,Data\n3,Grace,Ops\n';
    expect(detectFormat(encode(table), 'people.txt')?.format).toBe('csv');
  });

  it('does not mistake comma-separated prose for CSV', async () => {
    const prose = 'Dear John, thanks for the update.\nRegards, Mary\nSent from my phone, sorry for typos\n';
    expect(detectFormat(encode(prose))?.format).toBe('text');
  });

  it('treats binary content and invalid UTF-8 as unsupported', async () => {
    const png = await parseFailure(parseFixture('image.png'));
    expect(png.code).toBe('unsupported');
    expect(png.message).toMatch(/^This file type is not supported: PNG file \(image\/png\)\./);

    const binary = await parseFailure(
      parseDocument({ bytes: await fixture('random.bin'), filename: 'data.txt' }),
    );
    expect(binary.code).toBe('unsupported');
    expect(binary.message).toMatch(/^This file type is not supported: /);

    const withNul = await parseFailure(parseDocument({ bytes: encode('text\u0000with a NUL byte') }));
    expect(withNul.code).toBe('unsupported');

    const latin1 = await parseFailure(
      parseDocument({ bytes: new Uint8Array(Buffer.from('caf\xe9 cr\xe8me', 'latin1')) }),
    );
    expect(latin1.code).toBe('unsupported');

    const executable = new Uint8Array(512);
    executable.set([0x4d, 0x5a]);
    expect((await parseFailure(parseDocument({ bytes: executable, filename: 'setup.exe' }))).code).toBe(
      'unsupported',
    );
  });
});

describe('limits and errors', () => {
  it('refuses input over maxBytes', async () => {
    const error = await parseFailure(
      parseFixture('multi-page.pdf', { ...DEFAULT_PARSE_LIMITS, maxBytes: 1024 }),
    );
    expect(error.code).toBe('too_large');
    expect(error.message).toBe('This file is 3.6 KB; the largest file accepted is 1 KB.');
  });

  it('reports empty files and whitespace-only text as empty', async () => {
    const cases: (() => Promise<unknown>)[] = [
      () => parseFixture('empty.txt'),
      () => parseText('   \n\n\t  \r\n '),
      () => parseText('{}', 'empty.json'),
      () => parseText('# \n\n---\n', 'blank.md'),
    ];
    for (const parse of cases) {
      expect((await parseFailure(parse())).code).toBe('empty');
    }
  });

  const zipBombLimits: ParseLimits = { ...DEFAULT_PARSE_LIMITS, maxDecompressedBytes: 10 * 1024 * 1024 };

  it('stops a zip bomb whose headers declare its real size', async () => {
    const bytes = await fixture('zip-bomb.docx');
    expect(bytes.byteLength).toBeLessThan(60 * 1024);
    const error = await parseFailure(parseDocument({ bytes }, zipBombLimits));
    expect(error.code).toBe('decompressed_too_large');
    expect(error.message).toMatch(/expands to more than 10 MB/);
  });

  it('stops a zip bomb whose headers understate its size, by counting inflated bytes', async () => {
    const bytes = await fixture('zip-bomb-understated.docx');
    const declared = (readZipDirectory(bytes) ?? []).reduce((sum, entry) => sum + entry.declaredSize, 0);
    expect(declared).toBeLessThan(10 * 1024);
    const error = await parseFailure(parseDocument({ bytes }, zipBombLimits));
    expect(error.code).toBe('decompressed_too_large');
  });

  it('reads every part of a ZIP within the limit', async () => {
    const zip = await openGuardedZip(await fixture('deck.pptx'), 1024 * 1024, 'presentation');
    expect(zip.has('ppt/presentation.xml')).toBe(true);
    expect(zip.readText('docProps/core.xml')).toContain('Fixture Quarterly Review');
    await expect(openGuardedZip(await fixture('deck.pptx'), 1024, 'presentation')).rejects.toMatchObject({
      code: 'decompressed_too_large',
    });
  });

  it('reports a damaged ZIP-based document as corrupt', async () => {
    const bytes = await fixture('handbook.docx');
    const error = await parseFailure(
      parseDocument({ bytes: bytes.subarray(0, Math.floor(bytes.length / 2)) }),
    );
    expect(error.code).toBe('corrupt');
    expect(error.message).toMatch(/^This Word document is damaged or incomplete/);
  });

  it('gives every error case its code', async () => {
    const cases: [string, ParseErrorCode, ParseLimits?][] = [
      ['encrypted.pdf', 'encrypted'],
      ['truncated.pdf', 'corrupt'],
      ['scanned.pdf', 'empty'],
      ['password-protected.docx', 'encrypted'],
      ['legacy-word.doc', 'unsupported'],
      ['empty-workbook.xlsx', 'empty'],
      ['empty.txt', 'empty'],
      ['image.png', 'unsupported'],
      ['random.bin', 'unsupported'],
      ['zip-bomb.docx', 'decompressed_too_large', zipBombLimits],
      ['multi-page.pdf', 'too_many_pages', { ...DEFAULT_PARSE_LIMITS, maxPages: 1 }],
      ['handbook.docx', 'too_large', { ...DEFAULT_PARSE_LIMITS, maxBytes: 100 }],
    ];
    for (const [name, code, limits] of cases) {
      expect((await parseFailure(parseFixture(name, limits))).code, name).toBe(code);
    }
  });
});

describe('hostile input', () => {
  it('parses pathological Markdown in linear time', async () => {
    const size = 1_000_000;
    const inputs = [
      `# T\n\n${'['.repeat(size)}`,
      `# T\n\n${'**a '.repeat(size / 4)}`,
      `# T\n\n${'<a '.repeat(size / 3)}`,
      `# T\n\n${'a`'.repeat(size / 2)}`,
      `# T\n\n|---${' '.repeat(size)}x\n`,
      `# x${' '.repeat(size)}y`,
      `${'x'.repeat(size)} y`,
    ];
    const started = performance.now();
    for (const input of inputs) {
      expect((await parseText(input, 'hostile.md')).blocks.length).toBeGreaterThan(0);
    }
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('falls back to plain text for HTML nested too deeply for the DOM libraries', async () => {
    const html = `<!doctype html><html><head><title>Deep</title><script>var hidden = 1;</script></head><body>${'<div>'.repeat(6000)}<p>Deep &amp; nested text</p>${'</div>'.repeat(6000)}</body></html>`;
    const document = await parseText(html);
    expect(document.format).toBe('html');
    expect(texts(document)).toEqual(['Deep & nested text']);
  });

  it('flattens very deep JSON without overflowing the stack', async () => {
    const document = await parseText(`{"root": ${'['.repeat(6000)}"deep"${']'.repeat(6000)}}`);
    expect(document.format).toBe('json');
    expect(texts(document)[0]).toMatch(/^root(?:\[0\])+: \[\[/);
  });
});

describe('demo documents', () => {
  interface ManifestEntry {
    file: string;
    title: string;
  }

  async function parseDemo(file: string): Promise<ParsedDocument> {
    return parseDocument({ bytes: new Uint8Array(await readFile(new URL(file, DEMO))), filename: file });
  }

  it('parses every document in the manifest with its title', async () => {
    const manifest = JSON.parse(await readFile(new URL('manifest.json', DEMO), 'utf8')) as {
      documents: ManifestEntry[];
    };
    expect(manifest.documents).toHaveLength(10);
    for (const entry of manifest.documents) {
      const document = await parseDemo(entry.file);
      expect(document.blocks.length, entry.file).toBeGreaterThan(10);
      // The PDF's metadata title carries the company name in front.
      if (document.format === 'pdf') expect(document.title).toContain(entry.title);
      else expect(document.title, entry.file).toBe(entry.title);
    }
  });

  it('UK annual leave policy (Markdown)', async () => {
    const document = await parseDemo('uk-annual-leave-policy.md');
    expect(document.format).toBe('markdown');
    expect(allText(document)).toContain('25 days of paid annual leave');
    expect(texts(document, 'table_row')).toContain('Policy owner: Head of People, UK');
  });

  it('US benefits and PTO (HTML page with navigation around <main>)', async () => {
    const document = await parseDemo('us-benefits-and-pto.html');
    expect(document.format).toBe('html');
    expect(headings(document)[0]).toEqual(['US Benefits and Paid Time Off Guide 2026', 1]);
    expect(document.blocks).toContainEqual({
      kind: 'table_row',
      text: 'Completed years of service: 6 years or more | Annual PTO: 25 days (200 hours) | Accrual per pay period: 8.33 hours | Maximum balance (cap): 300 hours',
      table: 'PTO accrual by completed years of service',
    });
    const text = allText(document);
    for (const excluded of [
      'Skip to main content',
      'Popular right now',
      'Employee privacy notice',
      'Sign out',
    ]) {
      expect(text).not.toContain(excluded);
    }
  });

  it('travel and expense policy (PDF, 5 pages)', async () => {
    const document = await parseDemo('travel-and-expense-policy.pdf');
    expect(document.pageCount).toBe(5);
    expect(new Set(document.blocks.map((block) => block.page))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(blockContaining(document, '1. Purpose and scope')).toEqual({
      kind: 'heading',
      text: '1. Purpose and scope',
      level: 2,
      page: 1,
    });
    expect(blockContaining(document, '3.1 Air travel')).toMatchObject({ kind: 'heading', level: 3, page: 1 });
    expect(blockContaining(document, 'Economy class for flights')).toMatchObject({
      kind: 'list_item',
      page: 1,
    });
    expect(blockContaining(document, '10. Corporate cards').page).toBe(5);
    expect(allText(document)).not.toMatch(/Page \d of 5/);
  });

  it('IT security policy (DOCX)', async () => {
    const document = await parseDemo('it-security-policy.docx');
    expect(headings(document)).toContainEqual(['3.1 Passwords and passphrases', 2]);
    expect(
      texts(document, 'table_row').some((row) => row.startsWith('Classification: Restricted | Definition: ')),
    ).toBe(true);
  });

  it('APAC operations incident runbook (Markdown)', async () => {
    const document = await parseDemo('apac-ops-incident-runbook.md');
    expect(
      texts(document, 'table_row').some((row) => row.startsWith('Severity: SEV1 – Critical | Definition: ')),
    ).toBe(true);
  });

  it('APAC sales commission plan (XLSX, three sheets)', async () => {
    const document = await parseDemo('apac-sales-commission-2026.xlsx');
    expect(new Set(document.blocks.map((block) => block.table))).toEqual(
      new Set(['Commission Plan', 'Regional Quotas', 'Plan Rules']),
    );
    const singapore = document.blocks.find((block) => block.text.startsWith('Country: Singapore |'));
    expect(singapore?.table).toBe('Regional Quotas');
    expect(singapore?.text).toContain('Annual quota (USD): $9,600,000');
    expect(texts(document)).toContainEqual(
      expect.stringMatching(/^Tier: Tier 1 - Base \| .*Commission rate \(% of ACV\): 8 \|/),
    );
  });

  it('US finance month-end close (DOCX)', async () => {
    const document = await parseDemo('us-finance-month-end-close.docx');
    expect(texts(document, 'table_row')).toContainEqual(
      'Day: BD1 | Main activities: Sub-ledger close (AP, AR, payroll, expenses, cash) | Deadline: AP closes 12:00 ET; AR closes 17:00 ET',
    );
  });

  it('UK HR disciplinary procedure (HTML)', async () => {
    const document = await parseDemo('uk-hr-disciplinary-procedure.html');
    expect(headings(document)[0]).toEqual(['UK Disciplinary Procedure: HR Operating Guide', 1]);
    expect(texts(document, 'table_row')).toContain('Owner: UK HR Director');
    expect(allText(document)).not.toContain('Printed copies are uncontrolled');
  });

  it('company holidays 2027 (XLSX)', async () => {
    const document = await parseDemo('company-holidays-2027.xlsx');
    expect(document.blocks[0]).toEqual({
      kind: 'table_row',
      text: "Date: 2027-01-01 | Day: Friday | Holiday: New Year's Day | Region: UK | Country: United Kingdom (England and Wales) | Office closed: Yes",
      table: 'Holidays',
    });
  });

  it('remote and hybrid working policy (Markdown)', async () => {
    const document = await parseDemo('remote-and-hybrid-working-policy.md');
    expect(allText(document)).toContain('up to 20 working days per calendar year');
  });
});
