import { type Capabilities, type Db, detectCapabilities, type Executor } from '../../platform/db/database.ts';
import { runAsTenant } from '../../platform/db/tenant-scope.ts';
import type { Embedder } from '../../platform/embeddings.ts';
import { countGrams, gramCounts, wordLikeTest } from '../../platform/text/char-grams.ts';
import { splitSentences } from '../../platform/text/sentences.ts';
import type { Reader } from '../access/access.types.ts';
import {
  analyzeQueryPieces,
  type BM25Index,
  countReadable,
  GRAM_INDEX,
  type PassageRow,
  type Ranked,
  rankByFullText,
  rankByVectors,
  readExactScores,
  readGramWeights,
  readPassages,
  readSearchTexts,
  scanIndexWindow,
  WORD_INDEX,
  walkIndexesOnly,
} from './retrieval.repository.ts';

/**
 * The ranking function behind search and chat: lexical BM25 over title + section +
 * text (pg_textsearch when the database has it, otherwise a BM25 computed in SQL over
 * the full-text index), the caller's access filter inside the same SQL, row-level
 * security around it, then de-duplication by document.
 */

export interface Passage {
  chunkId: string;
  documentId: string;
  /** The document's id within its source (file name, path, URL, dataset id). */
  sourceItemId: string | null;
  title: string;
  url: string | null;
  page: number | null;
  section: string | null;
  text: string;
  snippet: string;
  score: number;
}

export interface SearchOptions {
  /** Passages to return (default 10, at most 100). */
  topK?: number;
  /** At most this many passages per document (default 1). */
  maxPerDocument?: number;
  /** Adds dense retrieval, fused with BM25, when the database has pgvector. */
  embedder?: Embedder | null;
}

const MAX_QUERY_LENGTH = 1_000;
const DOCUMENT_FILE_PREFIX = '/api/v1/documents/';
/** Chunks each ranking hands on (the word ranking to the gram re-scoring; more when topK asks for more). */
const CANDIDATE_POOL = 50;
/** BM25 parameters for the SQL fallback (pg_textsearch uses the same defaults). */
const K1 = 1.2;
const B = 0.75;

const capabilitiesByDb = new WeakMap<Db, Promise<Capabilities>>();
function capabilitiesOf(db: Db): Promise<Capabilities> {
  let capabilities = capabilitiesByDb.get(db);
  if (!capabilities) {
    capabilities = detectCapabilities(db);
    capabilitiesByDb.set(db, capabilities);
  }
  return capabilities;
}

interface CandidateRow extends PassageRow {
  score: number;
}

export async function searchPassages(
  db: Db,
  reader: Reader,
  query: string,
  options: SearchOptions = {},
): Promise<Passage[]> {
  const text = query.trim().slice(0, MAX_QUERY_LENGTH);
  if (!text) return [];
  const topK = Math.min(Math.max(options.topK ?? 10, 1), 100);
  const maxPerDocument = Math.max(options.maxPerDocument ?? 1, 1);
  const { bm25, vector } = await capabilitiesOf(db);
  const embedder = vector ? (options.embedder ?? null) : null;
  const queryEmbedding = embedder ? (await embedder.embed([text]))[0]! : null;
  // Candidates each ranking hands on: enough for topK passages at maxPerDocument each.
  const pool = Math.max(CANDIDATE_POOL, topK * maxPerDocument * 2);
  const rows = await runAsTenant(db, reader.tenantId, async (trx) => {
    // A notebook reads a few documents of a shared index: knowing how many, the index
    // window stops widening once it holds enough of theirs (or at once, for none).
    const readable = reader.notebook ? await countReadable(trx, reader) : null;
    if (readable?.chunks === 0) return [];
    const size = { pool, topK, maxPerDocument, readable };
    const lexical = await rankLexically(trx, reader, text, size, bm25);
    if (!embedder || !queryEmbedding) {
      const chosen = limitPerDocument(lexical, topK, maxPerDocument);
      return withPassages(trx, reader, chosen);
    }
    // Hybrid: reciprocal-rank fusion of the lexical and the vector ranking.
    const dense = await rankByVectors(trx, reader, queryEmbedding, embedder.dimensions, pool);
    return withPassages(trx, reader, limitPerDocument(fuseRankings([lexical, dense]), topK, maxPerDocument));
  });
  return rows
    .filter((row) => row.score > 0)
    .map((row) => ({
      chunkId: row.chunk_id,
      documentId: row.document_id,
      sourceItemId: row.source_item_id,
      title: row.title,
      url: row.url,
      page: row.page,
      section: row.section,
      text: row.text,
      snippet: makeSnippet(row.text, text),
      score: row.score,
    }));
}

/** A passage as the API shows it (search results; chat citations add their `index`). */
export function toSearchResult(passage: Passage) {
  // Links to a stored PDF open at the passage's page.
  const isStoredFile = passage.url?.startsWith(DOCUMENT_FILE_PREFIX) ?? false;
  return {
    chunk_id: passage.chunkId,
    document_id: passage.documentId,
    title: passage.title,
    url: isStoredFile && passage.page ? `${passage.url}#page=${passage.page}` : passage.url,
    page: passage.page,
    section: passage.section,
    snippet: passage.snippet,
    score: passage.score,
  };
}

/** Reciprocal-rank fusion (k = 60): Σ 1 / (k + rank) over the rankings a chunk appears in. */
export function fuseRankings(
  rankings: { id: string; document_id: string }[][],
  k = 60,
): { id: string; document_id: string; score: number }[] {
  const fused = new Map<string, { id: string; document_id: string; score: number }>();
  for (const ranking of rankings) {
    ranking.forEach((row, index) => {
      const id = row.id;
      const entry = fused.get(id) ?? { id, document_id: row.document_id, score: 0 };
      entry.score += 1 / (k + index + 1);
      fused.set(id, entry);
    });
  }
  return [...fused.values()].sort(
    (left, right) => right.score - left.score || left.id.localeCompare(right.id),
  );
}

function limitPerDocument<T extends { document_id: string }>(
  rows: T[],
  topK: number,
  maxPerDocument: number,
): T[] {
  const perDocument = new Map<string, number>();
  const kept: T[] = [];
  for (const row of rows) {
    const seen = perDocument.get(row.document_id) ?? 0;
    if (seen >= maxPerDocument) continue;
    perDocument.set(row.document_id, seen + 1);
    kept.push(row);
    if (kept.length >= topK) break;
  }
  return kept;
}

/** A chunk's two lexical scores: BM25 over its stemmed words and over its character 4-grams. */
export interface LexicalScores {
  id: string;
  document_id: string;
  words: number;
  grams: number;
}

/**
 * One lexical ranking from the two fields: each score divided by its best in the
 * candidate set, then summed with equal weight (so a passage at the top of both scores
 * 2). Words give precision, grams recall through inflections, spellings and typos.
 */
export function fuseLexicalScores(candidates: readonly LexicalScores[]): Ranked[] {
  let bestWords = 0;
  let bestGrams = 0;
  for (const candidate of candidates) {
    bestWords = Math.max(bestWords, candidate.words);
    bestGrams = Math.max(bestGrams, candidate.grams);
  }
  return candidates
    .map((candidate) => ({
      id: candidate.id,
      document_id: candidate.document_id,
      score:
        (bestWords > 0 ? candidate.words / bestWords : 0) + (bestGrams > 0 ? candidate.grams / bestGrams : 0),
    }))
    .filter((ranked) => ranked.score > 0)
    .sort((left, right) => right.score - left.score || left.id.localeCompare(right.id));
}

/** The chosen chunks' passages (access-filtered again), carrying their ranking scores, best first. */
async function withPassages(
  executor: Executor,
  reader: Reader,
  chosen: readonly Ranked[],
): Promise<CandidateRow[]> {
  const rows = await readPassages(
    executor,
    reader,
    chosen.map((ranked) => ranked.id),
  );
  const scoreById = new Map(chosen.map((ranked) => [ranked.id, ranked.score]));
  return rows
    .map((row) => ({ ...row, score: scoreById.get(row.chunk_id) ?? 0 }))
    .sort((left, right) => right.score - left.score || left.chunk_id.localeCompare(right.chunk_id));
}

/**
 * How many candidates to re-rank (`pool`), and what the caller needs: a narrow scope
 * stops widening the index window once `topK` readable passages are found.
 */
interface CandidateSize {
  pool: number;
  topK: number;
  maxPerDocument: number;
  /** How many documents and chunks the reader can read, when known to be few (a notebook). */
  readable: { documents: number; chunks: number } | null;
}

/**
 * The lexical ranking: the best `pool` readable chunks by BM25 over stemmed words
 * (letter and digit runs split apart, each query word once; pg_textsearch's index, or
 * the SQL fallback), re-scored with BM25 over character 4-grams and fused
 * (fuseLexicalScores). When none of the query's words occur in a readable chunk (a
 * misspelt name, a typo), pg_textsearch's gram index supplies the candidates instead.
 */
async function rankLexically(
  executor: Executor,
  reader: Reader,
  query: string,
  size: CandidateSize,
  bm25: boolean,
): Promise<Ranked[]> {
  const queryGrams = gramCounts(query);
  const candidates = await lexicalCandidates(executor, reader, query, queryGrams, size, bm25);
  if (candidates.words.length === 0) return [];
  const weights = bm25 ? await readGramWeights(executor, [...queryGrams.keys()]) : null;
  const textById = await readSearchTexts(
    executor,
    reader.tenantId,
    candidates.words.map((row) => row.id),
  );
  const textOf = (row: Ranked) => textById.get(row.id) ?? '';
  let words = candidates.words;
  if (candidates.byGramsAlone) {
    // Sharing a few common grams is not a match: keep passages with a word like a query word.
    const hasWordLike = wordLikeTest(query);
    words = words.filter((row) => hasWordLike(textOf(row)));
  }
  const gramScores = scoreCharGrams(
    queryGrams,
    weights,
    words.map((row) => ({ id: row.id, text: textOf(row) })),
  );
  return fuseLexicalScores(
    words.map((row) => ({
      id: row.id,
      document_id: row.document_id,
      words: row.score,
      grams: gramScores.get(row.id) ?? 0,
    })),
  );
}

/**
 * The chunks to re-rank, with their word scores: by the word index (or the SQL fallback);
 * with pg_textsearch, by the gram index when no query word occurs in a readable chunk
 * (their word scores 0, `byGramsAlone`).
 */
async function lexicalCandidates(
  executor: Executor,
  reader: Reader,
  query: string,
  queryGrams: ReadonlyMap<string, number>,
  size: CandidateSize,
  bm25: boolean,
): Promise<{ words: Ranked[]; byGramsAlone: boolean }> {
  if (!bm25)
    return {
      words: await rankByFullText(executor, reader, query, { pool: size.pool, k1: K1, b: B }),
      byGramsAlone: false,
    };
  const terms = await withEachTermOnce(executor, query);
  if (terms === null) return { words: [], byGramsAlone: false };
  const words = await readableByIndex(executor, reader, WORD_INDEX, terms, size);
  if (words.length > 0) return { words, byGramsAlone: false };
  const byGrams = await readableByIndex(executor, reader, GRAM_INDEX, [...queryGrams.keys()].join(' '), size);
  return { words: byGrams.map((row) => ({ ...row, score: 0 })), byGramsAlone: true };
}

/**
 * BM25 over character grams for a few candidate texts: Σ over the query's grams of
 * query count · weight · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)), where `weight` is
 * the gram's idf in the collection (up to a factor shared by every gram, which fusion
 * divides away) or, without collection statistics (`null`), its idf among the
 * candidates; dl is the candidate's gram count and avgdl the candidates' mean.
 */
export function scoreCharGrams(
  queryGrams: ReadonlyMap<string, number>,
  collectionWeights: ReadonlyMap<string, number> | null,
  candidates: readonly { id: string; text: string }[],
): Map<string, number> {
  const wanted = new Set(queryGrams.keys());
  const counted = candidates.map((candidate) => ({
    id: candidate.id,
    ...countGrams(candidate.text, wanted),
  }));
  const weights = collectionWeights ?? candidateIdf(wanted, counted);
  const averageLength = Math.max(
    counted.reduce((sum, candidate) => sum + candidate.length, 0) / counted.length,
    1,
  );
  const scores = new Map<string, number>();
  for (const candidate of counted) {
    let score = 0;
    for (const [gram, queryCount] of queryGrams) {
      const tf = candidate.counts.get(gram);
      const weight = weights.get(gram);
      if (!tf || !weight) continue;
      score +=
        (queryCount * weight * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * candidate.length) / averageLength));
    }
    scores.set(candidate.id, score);
  }
  return scores;
}

/** idf = ln(1 + (n − df + 0.5) / (df + 0.5)) over the candidates themselves. */
function candidateIdf(
  grams: ReadonlySet<string>,
  candidates: readonly { counts: ReadonlyMap<string, number> }[],
): Map<string, number> {
  const weights = new Map<string, number>();
  for (const gram of grams) {
    const df = candidates.filter((candidate) => candidate.counts.has(gram)).length;
    if (df > 0) weights.set(gram, Math.log(1 + (candidates.length - df + 0.5) / (df + 0.5)));
  }
  return weights;
}

/**
 * pg_textsearch's BM25 index yields chunks in score order; the access filter then keeps
 * the readable ones. The window of index results widens until enough readable passages
 * are found (or the index runs out), so a narrow scope still returns its share — the
 * same idea as pgvector's iterative scans.
 */
async function readableByIndex(
  executor: Executor,
  reader: Reader,
  index: BM25Index,
  text: string,
  size: CandidateSize,
): Promise<Ranked[]> {
  await walkIndexesOnly(executor, true);
  try {
    return await widenUntilEnough(executor, reader, index, text, size);
  } finally {
    await walkIndexesOnly(executor, false);
  }
}

async function widenUntilEnough(
  executor: Executor,
  reader: Reader,
  index: BM25Index,
  text: string,
  { pool, topK, maxPerDocument, readable: few }: CandidateSize,
): Promise<Ranked[]> {
  // With few readable documents: all their chunks, or twice what they can contribute to
  // the answer, is enough to re-rank — no need to walk the rest of a shared index.
  const enoughOfFew =
    few === null
      ? Number.POSITIVE_INFINITY
      : Math.min(few.chunks, pool, 2 * Math.min(topK, few.documents) * maxPerDocument);
  let window = pool;
  for (;;) {
    const ranked = await scanIndexWindow(executor, reader, index, text, window);
    let readable: Ranked[] = ranked.filter((row) => row.readable);
    if (!(await isIndexScore(executor, reader, index, text, ranked)))
      readable = await withExactScores(executor, reader, index, text, readable);
    readable = readable.filter((row) => row.score > 0);
    const isExhausted = ranked.length < window;
    // Enough: topK passages from distinct documents; or, when most of the window is
    // readable and it is a few large documents that fill it, plenty of candidates — the
    // window is widened for a narrow scope, not to find documents that may not exist
    // (before, three 7,000-chunk documents made it grow to the whole index on every query).
    const isEnough =
      limitPerDocument(readable, topK, maxPerDocument).length >= topK ||
      readable.length >= pool * DIVERSITY_WINDOWS ||
      readable.length >= enoughOfFew;
    if (isEnough || isExhausted || window >= 100_000) return withEachDocument(readable, pool, topK);
    window *= 4;
  }
}

/** How many pools of readable candidates the window may hold before it stops widening for diversity. */
const DIVERSITY_WINDOWS = 16;

/**
 * The best `pool` candidates, plus the best candidate of each further document (up to
 * topK documents in all), so that a few documents with many strong chunks do not crowd
 * every other document out before re-ranking.
 */
function withEachDocument(readable: readonly Ranked[], pool: number, topK: number): Ranked[] {
  const chosen = readable.slice(0, pool);
  const documents = new Set(chosen.map((row) => row.document_id));
  for (const row of readable.slice(pool)) {
    if (documents.size >= topK) break;
    if (documents.has(row.document_id)) continue;
    documents.add(row.document_id);
    chosen.push(row);
  }
  return chosen;
}

/**
 * The query as the BM25 index should read it: each stemmed word once. to_bm25query counts
 * a lexeme as often as the query repeats it ("activation of … activated"), so the wording
 * of a long question outweighs its rarer terms; the SQL fallback takes each lexeme once
 * too (BM25's query-term saturation with k3 = 0). Stemming a lexeme again does not always
 * give it back ("increased" → "increas" → "increa"), so the query keeps its own words: each whitespace-
 * separated piece is kept when it adds a lexeme not seen before, and dropped otherwise.
 * Null when the query has no lexeme at all (only stopwords and punctuation).
 */
export async function withEachTermOnce(executor: Executor, query: string): Promise<string | null> {
  const pieces = await analyzeQueryPieces(executor, query.split(/\s+/).filter(Boolean));
  return keepNewTerms(
    pieces.map((piece) => piece.words),
    pieces.map((piece) => piece.lexemes),
  );
}

/** The pieces that add a lexeme not seen in an earlier piece, joined by spaces (null: none). */
export function keepNewTerms(
  pieces: readonly string[],
  lexemesOfPiece: readonly (readonly string[])[],
): string | null {
  const seen = new Set<string>();
  const kept: string[] = [];
  pieces.forEach((piece, index) => {
    const lexemes = lexemesOfPiece[index] ?? [];
    if (lexemes.every((lexeme) => seen.has(lexeme))) return;
    for (const lexeme of lexemes) seen.add(lexeme);
    kept.push(piece);
  });
  return kept.length > 0 ? kept.join(' ') : null;
}

/**
 * bm25_get_current_score() is the score of the row the BM25 index scan is on. When the
 * planner prefers a sequential scan and a sort (small tables), nothing sets it and every
 * row reads the same stale value — while an index scan gives each row its own score.
 */
async function isIndexScore(
  executor: Executor,
  reader: Reader,
  index: BM25Index,
  text: string,
  rows: readonly Ranked[],
): Promise<boolean> {
  if (rows.length <= 1) return false;
  if (rows.some((row) => row.score !== rows[0]!.score)) return true;
  // Every row has the same score: a stale value, or true ties (many chunks alike, as in
  // generated or templated documents). The exact scores of the first and last row tell —
  // re-scoring the whole window instead cost 100 ms for 200 rows on every such query.
  const probe = await withExactScores(executor, reader, index, text, [rows[0]!, rows.at(-1)!]);
  return probe.every(
    (row) => Math.abs(row.score - rows[0]!.score) <= 1e-6 * Math.max(1, Math.abs(row.score)),
  );
}

/** Exact BM25 scores of a few chunks (the <@> operator tokenises each row again), best first. */
async function withExactScores(
  executor: Executor,
  reader: Reader,
  index: BM25Index,
  text: string,
  rows: readonly Ranked[],
): Promise<Ranked[]> {
  const scoreById = await readExactScores(
    executor,
    reader.tenantId,
    index,
    text,
    rows.map((row) => row.id),
  );
  return rows
    .map((row) => ({ ...row, score: scoreById.get(row.id) ?? 0 }))
    .sort((left, right) => right.score - left.score || left.id.localeCompare(right.id));
}

const WORD = /[\p{L}\p{N}]+/gu;
const STOPWORDS = new Set(
  'a an and are as at be by for from has have how i in is it of on or that the this to was what when where which who why will with do does did can my our your their'.split(
    ' ',
  ),
);

function stems(text: string): Set<string> {
  const words = text.toLowerCase().match(WORD) ?? [];
  return new Set(words.filter((word) => !STOPWORDS.has(word)).map((word) => word.slice(0, 6)));
}

/** The one or two sentences of a passage that share most words with the query, ~240 characters. */
export function makeSnippet(text: string, query: string, maxLength = 240): string {
  const queryStems = stems(query);
  const sentences = splitSentences(text);
  if (sentences.length === 0) return text.slice(0, maxLength);
  let best = 0;
  let bestScore = -1;
  sentences.forEach((sentence, index) => {
    let score = 0;
    for (const stem of stems(sentence)) if (queryStems.has(stem)) score++;
    if (score > bestScore) {
      bestScore = score;
      best = index;
    }
  });
  let snippet = sentences[best]!;
  if (snippet.length < maxLength / 2 && sentences[best + 1]) snippet = `${snippet} ${sentences[best + 1]}`;
  if (snippet.length > maxLength) snippet = `${snippet.slice(0, maxLength - 1).replace(/\s+\S*$/, '')}…`;
  const prefix = best > 0 ? '… ' : '';
  return `${prefix}${snippet}`;
}
