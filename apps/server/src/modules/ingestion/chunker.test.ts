import { countTokens as countTokensWithTokenizer } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../platform/text/tokens.ts';
import { type ChunkOptions, chunkDocument, SECTION_SEPARATOR } from './chunker.ts';
import type { Chunk, ParsedDocument, TextBlock } from './ingestion.types.ts';

// ---------------------------------------------------------------------------------------------
// A seeded generator of structured documents. Every sentence, heading and row carries a unique
// tag `q<n>` so a test can find it in the chunks; table names carry `T<n>`.
// ---------------------------------------------------------------------------------------------

function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  const integer = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return { next, integer, pick, chance: (probability: number) => next() < probability };
}

type Random = ReturnType<typeof createRandom>;

const WORDS = (
  'the policy employee manager travel hotel expense report receipt budget approval team office ' +
  'contract supplier invoice payment quarter review training safety leave holiday request system ' +
  'access account password device laptop network customer service support region annual monthly ' +
  'must should may within days after before during under over between each every all any other ' +
  'submit approve reject confirm record store share update renew cancel include exclude cover pay'
).split(' ');
const SYLLABLES = [
  'ka',
  'lo',
  'mer',
  'tis',
  'an',
  'vel',
  'dor',
  'pra',
  'sun',
  'ith',
  'ost',
  'rel',
  'qua',
  'bin',
];
/** Mid-sentence constructs the splitter must not break on. */
const HARD_CASES = [
  'as Dr. Adams noted',
  'e.g. taxis',
  'i.e. the manager',
  'pens, paper, etc. and more',
  'the U.S. office',
  'costs vs. benefits',
  'form No. 7',
  'a 3.5 percent rise',
  'release v2.4.1',
  'at https://intranet.example.com/hr/policy.html today',
  'via j.doe@corp.example.com',
  'J. R. Smith',
];

interface Atom {
  id: number;
  kind: 'heading' | 'sentence' | 'long' | 'row';
  text: string;
  page: number | null;
  path: string[];
  /** Index of the block in the document. */
  block: number;
}

interface GeneratedDocument {
  document: ParsedDocument;
  atoms: Atom[];
  tableNames: Set<string>;
}

function generateDocument(
  random: Random,
  { longSentenceWords }: { longSentenceWords: number },
): GeneratedDocument {
  let nextId = 0;
  let nextTable = 0;
  const atoms: Atom[] = [];
  const blocks: TextBlock[] = [];
  const tableNames = new Set<string>();
  const isPaged = random.chance(0.7);
  let page = 1;
  let path: { level: number; title: string }[] = [];

  const word = () =>
    random.chance(0.8)
      ? random.pick(WORDS)
      : Array.from({ length: random.integer(2, 4) }, () => random.pick(SYLLABLES)).join('');
  const words = (count: number) => Array.from({ length: count }, word);
  const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
  const sentence = (id: number) => {
    const parts = [capitalise(word()), `q${id}`, ...words(random.integer(2, 18))];
    if (random.chance(0.35)) parts.splice(random.integer(2, parts.length), 0, random.pick(HARD_CASES));
    const ending = random.pick(['.', '.', '.', '?', '!', '."']);
    return `${ending === '."' ? parts.join(' ').replace(/ (\S+)$/, ' "$1') : parts.join(' ')}${ending}`;
  };
  const longSentence = (id: number) => {
    const parts = [capitalise(word())];
    for (let index = 0; index < longSentenceWords; index += 1)
      parts.push(index % 8 === 0 ? `q${id}` : word());
    return `${parts.join(' ')}.`;
  };
  const currentPath = () => path.map((entry) => entry.title);
  const addBlock = (block: Omit<TextBlock, 'page'>, blockAtoms: Omit<Atom, 'page' | 'path' | 'block'>[]) => {
    const pageOfBlock = isPaged ? page : null;
    blocks.push(isPaged ? { ...block, page } : block);
    for (const atom of blockAtoms) {
      atoms.push({ ...atom, page: pageOfBlock, path: currentPath(), block: blocks.length - 1 });
    }
  };

  const blockCount = random.integer(1, 60);
  for (let index = 0; index < blockCount; index += 1) {
    if (index > 0 && random.chance(0.12)) page += 1;
    const roll = random.next();
    if (roll < 0.15) {
      const level = random.integer(1, 3);
      const id = nextId++;
      const title = `${capitalise(word())} q${id} ${word()}`;
      path = [...path.filter((entry) => entry.level < level), { level, title }];
      addBlock({ kind: 'heading', text: title, level }, [{ id, kind: 'heading', text: title }]);
    } else if (roll < 0.25) {
      const table = random.chance(0.8) ? `Table T${nextTable++} ${word()}` : undefined;
      if (table !== undefined) tableNames.add(table);
      for (let row = random.integer(1, 14); row > 0; row -= 1) {
        const id = nextId++;
        const text = `Item: ${word()} q${id} | Amount: ${random.integer(1, 9999)}.${random.integer(10, 99)} | Region: ${word()}`;
        addBlock({ kind: 'table_row', text, ...(table === undefined ? {} : { table }) }, [
          { id, kind: 'row', text },
        ]);
      }
    } else if (roll < 0.33) {
      const id = nextId++;
      const text = `${random.integer(1, 9)}. ${sentence(id)}`;
      addBlock({ kind: 'list_item', text }, [{ id, kind: 'sentence', text }]);
    } else {
      const sentences: Omit<Atom, 'page' | 'path' | 'block'>[] = [];
      for (let count = random.integer(1, 14); count > 0; count -= 1) {
        const id = nextId++;
        sentences.push(
          random.chance(0.03)
            ? { id, kind: 'long', text: longSentence(id) }
            : { id, kind: 'sentence', text: sentence(id) },
        );
      }
      addBlock({ kind: 'paragraph', text: sentences.map((atom) => atom.text).join(' ') }, sentences);
    }
  }
  return {
    document: {
      format: isPaged ? 'pdf' : 'docx',
      mimeType: 'application/octet-stream',
      title: null,
      blocks,
      pageCount: isPaged ? page : null,
    },
    atoms,
    tableNames,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading chunks back against the generator's ground truth.
// ---------------------------------------------------------------------------------------------

interface ChunkReading {
  chunk: Chunk;
  /** Atoms found in the chunk, in order (a long sentence once). */
  atoms: Atom[];
  /** Leading atoms repeated from the previous chunk. */
  overlap: Atom[];
  /** The rest. */
  fresh: Atom[];
  /** Whether the chunk starts by continuing a long sentence cut at the end of the previous chunk. */
  isContinuation: boolean;
}

function readChunks(generated: GeneratedDocument, chunks: Chunk[]): ChunkReading[] {
  const byId = new Map(generated.atoms.map((atom) => [atom.id, atom]));
  let expectedNext = 0;
  let previousAtoms: Atom[] = [];
  return chunks.map((chunk) => {
    const atoms: Atom[] = [];
    for (const match of chunk.text.matchAll(/\bq(\d+)\b/g)) {
      const atom = byId.get(Number(match[1]));
      if (atom === undefined) throw new Error(`unknown tag q${match[1]}`);
      if (atoms.at(-1) !== atom) atoms.push(atom);
    }
    const isContinuation = atoms[0]?.kind === 'long' && atoms[0] === previousAtoms.at(-1);
    let overlapLength = 0;
    while (
      !isContinuation &&
      overlapLength < atoms.length &&
      (atoms[overlapLength] as Atom).id < expectedNext
    ) {
      overlapLength += 1;
    }
    const overlap = atoms.slice(0, overlapLength);
    const fresh = atoms.slice(isContinuation ? 1 : overlapLength);
    for (const atom of fresh) {
      check(
        atom.id === expectedNext,
        () => `chunk ${chunk.ordinal}: q${atom.id} where q${expectedNext} was due`,
      );
      expectedNext += 1;
    }
    previousAtoms = atoms;
    return { chunk, atoms, overlap, fresh, isContinuation };
  });
}

function commonPrefix(paths: string[][]): string[] {
  let common = paths[0] ?? [];
  for (const path of paths) {
    let length = 0;
    while (length < common.length && common[length] === path[length]) length += 1;
    common = common.slice(0, length);
  }
  return common;
}

/** Tokens of body atoms as the chunker counts them: whole blocks when whole, else sentence by sentence. */
function bodyTokensOf(generated: GeneratedDocument, atoms: Atom[]): number {
  let total = 0;
  for (const block of new Set(atoms.map((atom) => atom.block))) {
    const inBlock = atoms.filter((atom) => atom.block === block);
    const first = inBlock[0] as Atom;
    const isWhole =
      generated.atoms[first.id - 1]?.block !== block &&
      generated.atoms[first.id + inBlock.length]?.block !== block;
    total += isWhole
      ? countTokens(generated.document.blocks[block]?.text ?? '')
      : inBlock.reduce((sum, atom) => sum + countTokens(atom.text), 0);
  }
  return total;
}

function isTableStart(generated: GeneratedDocument, row: Atom): boolean {
  const before = generated.atoms[row.id - 1];
  if (before?.kind !== 'row') return true;
  const blocks = generated.document.blocks;
  return blocks[before.block]?.table !== blocks[row.block]?.table || before.page !== row.page;
}

/** Slack for comparing sums of separately counted pieces with the count of their joined text. */
const JOIN_SLACK = 3;

/** `expect` for hot loops: builds the message only when the check fails. */
function check(condition: boolean, message: () => string): void {
  if (!condition) expect.fail(message());
}

function checkDocument(generated: GeneratedDocument, options: Required<ChunkOptions>) {
  const { document, atoms } = generated;
  const chunks = chunkDocument(document, options);
  expect(chunkDocument(document, options), 'deterministic').toEqual(chunks);
  const readings = readChunks(generated, chunks);
  const minTokens = Math.floor(options.targetTokens / 4);

  expect(chunks.map((chunk) => chunk.ordinal)).toEqual(chunks.map((_chunk, index) => index));
  expect(readings.flatMap((reading) => reading.fresh).length, 'every atom is in some chunk').toBe(
    atoms.length,
  );

  // Non-overlap content, table name lines removed, reproduces the input word for word.
  const expectedWords = document.blocks.flatMap((block) => block.text.split(/\s+/));
  const actualWords = readings.flatMap((reading) => {
    const pieces = reading.chunk.text.split('\n\n').filter((piece) => !generated.tableNames.has(piece));
    const overlapWords = reading.overlap.reduce((sum, atom) => sum + atom.text.split(/\s+/).length, 0);
    return pieces.join(' ').split(/\s+/).slice(overlapWords);
  });
  expect(actualWords).toEqual(expectedWords);

  for (const [index, reading] of readings.entries()) {
    const { chunk } = reading;
    const label = () => `chunk ${chunk.ordinal} ${JSON.stringify(chunk.text.slice(0, 100))}`;

    check(chunk.tokenCount === countTokensWithTokenizer(chunk.text), () => `${label()}: token count`);
    check(chunk.tokenCount <= options.maxTokens, () => `${label()}: ${chunk.tokenCount} tokens`);

    // Whole sentences and rows (a long sentence is cut at word boundaries: see the word check above).
    for (const atom of reading.atoms) {
      check(atom.kind === 'long' || chunk.text.includes(atom.text), () => `${label()} cuts "${atom.text}"`);
    }

    // One page per chunk.
    for (const atom of reading.atoms)
      check(atom.page === chunk.page, () => `${label()}: page of q${atom.id}`);

    // Section: the deepest heading path enclosing all body text.
    const body = reading.atoms.filter((atom) => atom.kind !== 'heading');
    const expectedPath =
      body.length > 0 ? commonPrefix(body.map((atom) => atom.path)) : (reading.atoms.at(-1)?.path ?? []);
    const expectedSection = expectedPath.length > 0 ? expectedPath.join(SECTION_SEPARATOR) : null;
    check(
      chunk.section === expectedSection,
      () => `${label()}: section ${chunk.section} ≠ ${expectedSection}`,
    );

    // A heading attaches to the text after it: a chunk of headings only ends its page or document.
    if (reading.atoms.length > 0 && body.length === 0 && !reading.isContinuation) {
      const following = atoms[(reading.atoms.at(-1) as Atom).id + 1];
      check(following === undefined || following.page !== chunk.page, () => `${label()} is a lone heading`);
    }
    // A heading or a table joins a chunk only while the body before it is below a useful size.
    for (const [position, atom] of reading.fresh.entries()) {
      const isStructure = atom.kind === 'heading' || (atom.kind === 'row' && isTableStart(generated, atom));
      if (!isStructure || position === 0) continue;
      const bodyBefore = bodyTokensOf(
        generated,
        reading.fresh.slice(0, position).filter((before) => before.kind !== 'heading'),
      );
      check(bodyBefore < minTokens + JOIN_SLACK, () => `${label()}: q${atom.id} joined ${bodyBefore} tokens`);
    }

    // Rows: each chunk holding rows of a named table has the table name line before them.
    const pieces = chunk.text.split('\n\n');
    for (const row of reading.atoms) {
      const table = document.blocks[row.block]?.table;
      if (row.kind !== 'row' || table === undefined) continue;
      const rowPiece = pieces.indexOf(row.text);
      check(
        rowPiece > 0 && pieces.slice(0, rowPiece).includes(table),
        () => `${label()}: no name before q${row.id}`,
      );
    }

    const previous = readings[index - 1];
    if (previous === undefined) {
      check(reading.overlap.length === 0, () => `${label()}: overlap in the first chunk`);
      continue;
    }
    // Overlap: the last sentences of the previous chunk, same page and section, within budget.
    if (reading.overlap.length > 0) {
      const first = reading.fresh[0] ?? (reading.overlap.at(-1) as Atom);
      check(
        previous.atoms
          .slice(-reading.overlap.length)
          .every((atom, position) => atom === reading.overlap[position]),
        () => `${label()}: overlap is not the end of the previous chunk`,
      );
      check(chunk.page === previous.chunk.page, () => `${label()}: overlap across pages`);
      for (const atom of reading.overlap) {
        check(atom.kind === 'sentence', () => `${label()}: overlap of a ${atom.kind}`);
        check(atom.path.join() === first.path.join(), () => `${label()}: overlap across sections`);
      }
      const last = reading.overlap.at(-1) as Atom;
      const overlapTokens = countTokens(
        chunk.text.slice(0, chunk.text.indexOf(last.text) + last.text.length),
      );
      check(overlapTokens <= options.overlapTokens, () => `${label()}: ${overlapTokens} tokens of overlap`);
      // …and as many of them as fit.
      const before = previous.atoms[previous.atoms.length - reading.overlap.length - 1];
      if (before?.kind === 'sentence' && before.path.join() === first.path.join()) {
        const previousText = previous.chunk.text;
        const withBefore = countTokens(previousText.slice(previousText.lastIndexOf(before.text)));
        check(withBefore > options.overlapTokens, () => `${label()}: q${before.id} would fit the overlap`);
      }
    }

    // A chunk that ends for size (not at a page, heading or table) is full: the next unit did not fit.
    const firstFresh = reading.fresh[0];
    const lastOfPrevious = previous.atoms.at(-1);
    const isSizeBreak =
      firstFresh !== undefined &&
      lastOfPrevious !== undefined &&
      !reading.isContinuation &&
      firstFresh.kind !== 'heading' &&
      chunk.page === previous.chunk.page &&
      firstFresh.path.join() === lastOfPrevious.path.join() &&
      !(firstFresh.kind === 'row' && isTableStart(generated, firstFresh));
    if (isSizeBreak) {
      const startsBlock = atoms[firstFresh.id - 1]?.block !== firstFresh.block;
      const nextUnit = startsBlock ? (document.blocks[firstFresh.block]?.text ?? '') : firstFresh.text;
      const together = previous.chunk.tokenCount + countTokens(nextUnit);
      check(together > options.targetTokens - JOIN_SLACK, () => `${label()}: previous chunk ended early`);
      // Text flowing on in the same section repeats the previous chunk's last sentence when it fits.
      if (
        firstFresh.kind !== 'row' &&
        lastOfPrevious.kind === 'sentence' &&
        countTokens(lastOfPrevious.text) <= options.overlapTokens
      ) {
        check(reading.overlap.length > 0, () => `${label()} has no overlap`);
      }
    } else {
      check(reading.overlap.length === 0, () => `${label()}: overlap across a page, section or table`);
    }
  }
  return readings;
}

describe('chunkDocument on generated documents', () => {
  it('keeps every invariant with small chunks (target 120, overlap 30, max 160)', () => {
    const options = { targetTokens: 120, overlapTokens: 30, maxTokens: 160 };
    let chunkCount = 0;
    let overlapCount = 0;
    for (let seed = 1; seed <= 200; seed += 1) {
      const readings = checkDocument(
        generateDocument(createRandom(seed), { longSentenceWords: 220 }),
        options,
      );
      chunkCount += readings.length;
      overlapCount += readings.filter((reading) => reading.overlap.length > 0).length;
    }
    // The generator exercises what the checks are about.
    expect(chunkCount).toBeGreaterThan(2000);
    expect(overlapCount).toBeGreaterThan(200);
  });

  it('keeps every invariant with the default sizes', () => {
    const options = { targetTokens: 800, overlapTokens: 100, maxTokens: 1000 };
    for (let seed = 1001; seed <= 1040; seed += 1) {
      checkDocument(generateDocument(createRandom(seed), { longSentenceWords: 1100 }), options);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Focused examples.
// ---------------------------------------------------------------------------------------------

function documentOf(blocks: TextBlock[]): ParsedDocument {
  const pages = blocks.map((block) => block.page ?? 0);
  return {
    format: 'pdf',
    mimeType: 'application/pdf',
    title: null,
    blocks,
    pageCount: Math.max(...pages) || null,
  };
}

/** n distinct sentences of about 12 tokens. */
function sentences(count: number, prefix = 'Rule'): string[] {
  return Array.from(
    { length: count },
    (_value, index) => `${prefix} ${index + 1} says employees submit receipts within thirty days of travel.`,
  );
}

describe('chunkDocument', () => {
  it('makes one chunk of a short document', () => {
    const chunks = chunkDocument(
      documentOf([
        { kind: 'paragraph', text: '  Hotels are booked through the travel desk.  ' },
        { kind: 'list_item', text: 'Economy class for flights under six hours.' },
      ]),
    );
    const text = 'Hotels are booked through the travel desk.\n\nEconomy class for flights under six hours.';
    expect(chunks).toEqual([
      { ordinal: 0, text, page: null, section: null, tokenCount: countTokensWithTokenizer(text) },
    ]);
  });

  it('returns no chunks for a document without text', () => {
    expect(chunkDocument(documentOf([{ kind: 'paragraph', text: ' \n ' }]))).toEqual([]);
  });

  it('puts a heading in the chunk of the text that follows it, with the heading path as section', () => {
    const chunks = chunkDocument(
      documentOf([
        { kind: 'heading', text: 'Travel and expenses', level: 1 },
        { kind: 'heading', text: 'Hotels', level: 2 },
        { kind: 'paragraph', text: 'The nightly cap is 180 EUR.' },
      ]),
    );
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.text).toBe('Travel and expenses\n\nHotels\n\nThe nightly cap is 180 EUR.');
    expect(chunks[0]?.section).toBe('Travel and expenses › Hotels');
  });

  it('starts a new chunk at a heading once the current one is of a useful size, respecting levels', () => {
    const options = { targetTokens: 200, overlapTokens: 0, maxTokens: 300 };
    const body = (prefix: string) => sentences(6, prefix).join(' '); // ~80 tokens, over a quarter of 200
    const chunks = chunkDocument(
      documentOf([
        { kind: 'heading', text: 'Travel', level: 1 },
        { kind: 'heading', text: 'Hotels', level: 2 },
        { kind: 'paragraph', text: body('Hotel rule') },
        { kind: 'heading', text: 'Meals', level: 2 },
        { kind: 'paragraph', text: body('Meal rule') },
        { kind: 'heading', text: 'Abroad', level: 3 },
        { kind: 'paragraph', text: body('Abroad rule') },
        { kind: 'heading', text: 'Leave', level: 1 },
        { kind: 'paragraph', text: body('Leave rule') },
      ]),
      options,
    );
    expect(chunks.map((chunk) => [chunk.section, chunk.text.split('\n\n')[0]])).toEqual([
      ['Travel › Hotels', 'Travel'],
      ['Travel › Meals', 'Meals'],
      ['Travel › Meals › Abroad', 'Abroad'],
      ['Leave', 'Leave'],
    ]);
  });

  it('merges sections too small to stand alone, under their common heading path', () => {
    const chunks = chunkDocument(
      documentOf([
        { kind: 'heading', text: 'FAQ', level: 1 },
        { kind: 'heading', text: 'Who approves?', level: 2 },
        { kind: 'paragraph', text: 'Your manager approves.' },
        { kind: 'heading', text: 'How fast?', level: 2 },
        { kind: 'paragraph', text: 'Within two days.' },
      ]),
    );
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.section).toBe('FAQ');
    expect(chunks[0]?.text).toBe(
      'FAQ\n\nWho approves?\n\nYour manager approves.\n\nHow fast?\n\nWithin two days.',
    );
  });

  it('never spans pages, even for small chunks, and keeps text before any heading without a section', () => {
    const chunks = chunkDocument(
      documentOf([
        { kind: 'paragraph', text: 'Page one text.', page: 1 },
        { kind: 'paragraph', text: 'Page two text.', page: 2 },
        { kind: 'heading', text: 'Appendix', level: 1, page: 2 },
        { kind: 'paragraph', text: 'More on page two.', page: 2 },
      ]),
      { targetTokens: 800, overlapTokens: 100, maxTokens: 1000 },
    );
    expect(chunks.map((chunk) => [chunk.page, chunk.section, chunk.text])).toEqual([
      [1, null, 'Page one text.'],
      [2, null, 'Page two text.\n\nAppendix\n\nMore on page two.'],
    ]);
  });

  it('splits a long paragraph at sentence boundaries near the target, with overlap of whole sentences', () => {
    const all = sentences(200);
    const options = { targetTokens: 300, overlapTokens: 40, maxTokens: 400 };
    const chunks = chunkDocument(documentOf([{ kind: 'paragraph', text: all.join(' ') }]), options);
    expect(chunks.length).toBeGreaterThan(5);
    let next = 0;
    for (const chunk of chunks) {
      expect(chunk.tokenCount).toBeLessThanOrEqual(options.targetTokens);
      const inChunk = all.filter((sentence) => chunk.text.includes(sentence));
      expect(chunk.text).toBe(inChunk.join(' '));
      const firstIndex = all.indexOf(inChunk[0] as string);
      const overlap = next - firstIndex;
      if (chunk.ordinal === 0) expect(overlap).toBe(0);
      else {
        // As many of the previous chunk's last sentences as fit the budget (three of ~13 tokens).
        const fitting = (count: number) =>
          countTokens(all.slice(next - count, next).join(' ')) <= options.overlapTokens;
        expect(overlap).toBeGreaterThan(0);
        expect(fitting(overlap)).toBe(true);
        expect(fitting(overlap + 1)).toBe(false);
      }
      next = firstIndex + inChunk.length;
      if (chunk !== chunks.at(-1)) expect(chunk.tokenCount).toBeGreaterThan(options.targetTokens - 15);
    }
    expect(next).toBe(all.length);
  });

  it('keeps paragraphs whole when the next one fits a fresh chunk', () => {
    const paragraph = (prefix: string) => sentences(8, prefix).join(' ');
    const chunks = chunkDocument(
      documentOf(
        ['Alpha', 'Beta', 'Gamma'].map((prefix) => ({ kind: 'paragraph', text: paragraph(prefix) })),
      ),
      { targetTokens: 250, overlapTokens: 30, maxTokens: 300 },
    );
    const [alpha, beta, gamma] = ['Alpha', 'Beta', 'Gamma'].map(paragraph);
    expect(chunks.map((chunk) => chunk.text)).toEqual([
      `${alpha}\n\n${beta}`,
      `${sentences(8, 'Beta').slice(-2).join(' ')}\n\n${gamma}`,
    ]);
  });

  it('cuts a sentence longer than maxTokens at word boundaries, and only such a sentence', () => {
    const words = Array.from({ length: 900 }, (_value, index) => `word${index}`);
    const long = `${words.join(' ')}.`;
    const options = { targetTokens: 300, overlapTokens: 50, maxTokens: 400 };
    const chunks = chunkDocument(
      documentOf([{ kind: 'paragraph', text: `Short start. ${long} Short end.` }]),
      options,
    );
    for (const chunk of chunks) expect(chunk.tokenCount).toBeLessThanOrEqual(options.maxTokens);
    const allWords = chunks.flatMap((chunk) => chunk.text.split(/\s+/));
    expect(allWords).toEqual(['Short', 'start.', ...words.slice(0, -1), `${words.at(-1)}.`, 'Short', 'end.']);
  });

  it('cuts a run without spaces that exceeds maxTokens', () => {
    const blob = 'ab12'.repeat(3000);
    const chunks = chunkDocument(documentOf([{ kind: 'code', text: blob }]), {
      targetTokens: 500,
      overlapTokens: 0,
      maxTokens: 600,
    });
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(blob);
    for (const chunk of chunks) expect(chunk.tokenCount).toBeLessThanOrEqual(600);
  });

  it('groups whole table rows, each chunk of rows opening with the table name, without overlap', () => {
    const rows = Array.from(
      { length: 40 },
      (_value, index) => `City: City${index} | Nightly cap: ${100 + index} EUR | Breakfast: included`,
    );
    const options = { targetTokens: 150, overlapTokens: 50, maxTokens: 200 };
    const chunks = chunkDocument(
      documentOf([
        { kind: 'heading', text: 'Hotel caps', level: 2 },
        ...rows.map((text): TextBlock => ({ kind: 'table_row', text, table: 'Caps 2025' })),
      ]),
      options,
    );
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks[0]?.text.startsWith('Hotel caps\n\nCaps 2025\n\nCity: City0 |')).toBe(true);
    const seen: string[] = [];
    for (const chunk of chunks) {
      const [name, ...chunkRows] =
        chunk.ordinal === 0 ? chunk.text.split('\n\n').slice(1) : chunk.text.split('\n\n');
      expect(name).toBe('Caps 2025');
      expect(chunk.section).toBe('Hotel caps');
      for (const row of chunkRows) expect(rows).toContain(row);
      seen.push(...chunkRows);
    }
    expect(seen).toEqual(rows);
  });

  it('starts a table in a new chunk when the text before it is of a useful size', () => {
    const intro = sentences(8).join(' '); // ~100 tokens, over a quarter of 300
    const chunks = chunkDocument(
      documentOf([
        { kind: 'paragraph', text: intro },
        { kind: 'table_row', text: 'Team: Sales | Amount: 10', table: 'Budget' },
        { kind: 'table_row', text: 'Team: Legal | Amount: 20', table: 'Budget' },
        { kind: 'paragraph', text: 'Amounts are in kEUR.' },
      ]),
      { targetTokens: 300, overlapTokens: 50, maxTokens: 400 },
    );
    expect(chunks.map((chunk) => chunk.text)).toEqual([
      intro,
      'Budget\n\nTeam: Sales | Amount: 10\n\nTeam: Legal | Amount: 20\n\nAmounts are in kEUR.',
    ]);
  });

  it('lets a short introduction and its heading lead into the table', () => {
    const chunks = chunkDocument(
      documentOf([
        { kind: 'heading', text: 'Budget', level: 1 },
        { kind: 'paragraph', text: 'Figures per team.' },
        { kind: 'table_row', text: 'Team: Sales | Amount: 10', table: 'Budget 2025' },
      ]),
    );
    expect(chunks.map((chunk) => chunk.text)).toEqual([
      'Budget\n\nFigures per team.\n\nBudget 2025\n\nTeam: Sales | Amount: 10',
    ]);
  });

  it('does not repeat a table name that the heading before the rows already gives', () => {
    const chunks = chunkDocument(
      documentOf([
        { kind: 'heading', text: 'Budget 2025', level: 1 },
        { kind: 'table_row', text: 'Team: Sales | Amount: 10', table: 'Budget 2025' },
      ]),
    );
    expect(chunks.map((chunk) => chunk.text)).toEqual(['Budget 2025\n\nTeam: Sales | Amount: 10']);
  });

  it('keeps code lines and indentation, splitting code only between lines', () => {
    const lines = Array.from(
      { length: 60 },
      (_value, index) => `    const value${index} = compute(${index});`,
    );
    const chunks = chunkDocument(documentOf([{ kind: 'code', text: `\n${lines.join('\n')}\n` }]), {
      targetTokens: 120,
      overlapTokens: 30,
      maxTokens: 160,
    });
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.flatMap((chunk) => chunk.text.split('\n'))).toEqual(lines);
  });

  it('rejects nonsensical options', () => {
    const document = documentOf([{ kind: 'paragraph', text: 'Text.' }]);
    expect(() => chunkDocument(document, { targetTokens: 0 })).toThrow(RangeError);
    expect(() => chunkDocument(document, { overlapTokens: -1 })).toThrow(RangeError);
    expect(() => chunkDocument(document, { maxTokens: 1.5 })).toThrow(RangeError);
  });

  it('chunks 5,000 abstracts of ~300 words quickly', () => {
    const random = createRandom(42);
    const vocabulary = Array.from({ length: 20_000 }, () =>
      Array.from({ length: random.integer(1, 4) }, () => random.pick(SYLLABLES)).join(''),
    ).concat(WORDS);
    const documents = Array.from({ length: 5000 }, (_value, index) => {
      const words = Array.from({ length: 300 }, (_word, position) =>
        position % 15 === 14 ? `${random.pick(vocabulary)}.` : random.pick(vocabulary),
      );
      return documentOf([
        { kind: 'heading', text: `Abstract ${index}`, level: 1 },
        { kind: 'paragraph', text: `${words.join(' ')}.` },
      ]);
    });
    const started = performance.now();
    let chunkCount = 0;
    for (const document of documents) chunkCount += chunkDocument(document).length;
    const elapsed = performance.now() - started;
    expect(chunkCount).toBe(5000);
    // ~0.2 s warm and ~0.6 s in a fresh process on a laptop-class CPU; generous for CI.
    expect(elapsed).toBeLessThan(2500);
  });
});

describe('countTokens', () => {
  it('equals the o200k_base tokenizer on varied text', () => {
    const random = createRandom(7);
    const pieces = [
      ...WORDS,
      'Ünïcödé',
      'naïve',
      '東京',
      '😀',
      '3.14159',
      '2025-01-31',
      'https://example.com/a?b=c',
      "don't",
      "it's",
      '—',
      '(x)',
      '"quoted"',
      '<|endoftext|>',
      '\n',
      '\n\n',
      '\t',
      '  ',
      ' \n ',
      '\u00a0',
      '.',
      ',',
      'CamelCase',
      'ALLCAPS',
      '1234567',
    ];
    for (let sample = 0; sample < 400; sample += 1) {
      let text = '';
      for (let count = random.integer(1, 80); count > 0; count -= 1) {
        text += random.pick(pieces) + (random.chance(0.7) ? ' ' : '');
      }
      expect(countTokens(text), JSON.stringify(text)).toBe(
        countTokensWithTokenizer(text, { disallowedSpecial: new Set() }),
      );
    }
  });

  it('counts special-token markers as plain text instead of throwing', () => {
    expect(() => countTokensWithTokenizer('a <|endoftext|> b')).toThrow();
    expect(countTokens('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('stays fast and within 1% on runs without spaces', () => {
    const text = 'x'.repeat(100_000);
    const started = performance.now();
    const tokens = countTokens(text);
    expect(performance.now() - started).toBeLessThan(500); // the tokenizer alone takes seconds
    expect(Math.abs(tokens - 12_500) / 12_500).toBeLessThan(0.01);
  });
});
