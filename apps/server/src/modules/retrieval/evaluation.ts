/**
 * Retrieval evaluation on BEIR-format datasets, with metrics computed the way
 * trec_eval (and pytrec_eval, which BEIR uses) computes them.
 *
 * Ranking: trec_eval (form_res_rels.c, comp_sim_docno) sorts a query's results by
 * score descending and breaks ties with `strcmp(p2->docno, p1->docno)`, i.e. by
 * document id in DEcreasing byte order. Ids are compared as UTF-8 bytes there, which
 * is code point order; JavaScript's `<` compares UTF-16 code units, which differs for
 * characters above U+FFFF, so `compareDocumentIds` compares code points.
 *
 * Metrics (relevance_level 1: a document is relevant when its grade is > 0):
 * - ndcg_cut.10 (m_ndcg_cut.c): linear gain = the qrels grade, discount log2(rank + 1);
 *   the ideal DCG ranks every judged document with grade > 0 by grade; a query whose
 *   ideal DCG is 0 scores 0.
 * - recall.100 (m_recall.c): relevant in the top 100 / all relevant in the qrels; 0
 *   when the qrels have no relevant document.
 * - MRR@10: trec_eval's recip_rank (m_recip_rank.c) cut at rank 10.
 * - Means are over every evaluated query (the qrels' queries), a query with no
 *   results counting 0 — trec_eval's `-c`. BEIR instead averages pytrec_eval's
 *   per-query values over the queries present in the run.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { AppError } from '../../platform/errors.ts';

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

/** Query id → document id → relevance grade (an integer; > 0 means relevant). */
export type Qrels = ReadonlyMap<string, ReadonlyMap<string, number>>;

export interface BeirDataset {
  /** The directory's base name, e.g. `scifact`. */
  name: string;
  corpus: BeirDocument[];
  /** The evaluated queries: ids in the qrels split that have a text, in qrels order. */
  queries: Map<string, string>;
  /** Judgments for exactly the queries in `queries`. */
  qrels: Map<string, Map<string, number>>;
  /** Query ids in the qrels split with no line in queries.jsonl; left out of evaluation. */
  missingQueryIds: string[];
  /** Document ids judged for an evaluated query but absent from corpus.jsonl (still counted). */
  missingDocumentIds: string[];
}

export interface ScoredDocument {
  documentId: string;
  score: number;
}

/** Query id → that query's results, in any order. */
export type Run = ReadonlyMap<string, readonly ScoredDocument[]>;

export interface QueryMetrics {
  ndcgAt10: number;
  recallAt100: number;
  mrrAt10: number;
}

export interface RunEvaluation extends QueryMetrics {
  /** Number of evaluated queries the means are taken over. */
  queryCount: number;
  perQuery: Map<string, QueryMetrics>;
}

const QRELS_HEADER = ['query-id', 'corpus-id', 'score'] as const;
const INTEGER_PATTERN = /^-?\d+$/;

function formatError(file: string, line: number, message: string): AppError {
  return new AppError('bad_request:beir_dataset', `${file}:${line}: ${message}`, { file, line });
}

/** Yields the non-blank lines of a UTF-8 text file with their 1-based line numbers. */
async function* readLines(file: string): AsyncGenerator<{ line: string; lineNumber: number }> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber += 1;
    const line = lineNumber === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
    if (line.trim() === '') continue;
    yield { line, lineNumber };
  }
}

function parseJsonObject(file: string, lineNumber: number, line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw formatError(file, lineNumber, `invalid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw formatError(file, lineNumber, 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}

function requireId(file: string, lineNumber: number, record: Record<string, unknown>): string {
  const id = record._id;
  if (typeof id !== 'string' || id === '') {
    throw formatError(file, lineNumber, '"_id" must be a non-empty string');
  }
  return id;
}

function requireString(file: string, lineNumber: number, record: Record<string, unknown>, field: string) {
  const value = record[field];
  if (typeof value !== 'string') throw formatError(file, lineNumber, `"${field}" must be a string`);
  return value;
}

/**
 * Streams `corpus.jsonl` one document at a time, for corpora too large to hold
 * twice. Throws on a malformed line or a repeated id, naming the file and line.
 */
export async function* streamBeirCorpus(directory: string): AsyncGenerator<BeirDocument> {
  const file = join(directory, 'corpus.jsonl');
  const firstLineById = new Map<string, number>();
  for await (const { line, lineNumber } of readLines(file)) {
    const record = parseJsonObject(file, lineNumber, line);
    const id = requireId(file, lineNumber, record);
    const title = record.title === undefined || record.title === null ? '' : record.title;
    if (typeof title !== 'string') throw formatError(file, lineNumber, '"title" must be a string');
    const text = requireString(file, lineNumber, record, 'text');
    const firstLine = firstLineById.get(id);
    if (firstLine !== undefined) {
      throw formatError(file, lineNumber, `duplicate document id "${id}" (first on line ${firstLine})`);
    }
    firstLineById.set(id, lineNumber);
    yield { id, title, text };
  }
}

async function readQueries(file: string): Promise<Map<string, string>> {
  const queries = new Map<string, string>();
  const firstLineById = new Map<string, number>();
  for await (const { line, lineNumber } of readLines(file)) {
    const record = parseJsonObject(file, lineNumber, line);
    const id = requireId(file, lineNumber, record);
    const text = requireString(file, lineNumber, record, 'text');
    const firstLine = firstLineById.get(id);
    if (firstLine !== undefined) {
      throw formatError(file, lineNumber, `duplicate query id "${id}" (first on line ${firstLine})`);
    }
    firstLineById.set(id, lineNumber);
    queries.set(id, text);
  }
  return queries;
}

async function readQrels(file: string): Promise<Map<string, Map<string, number>>> {
  const qrels = new Map<string, Map<string, number>>();
  let hasHeader = false;
  for await (const { line, lineNumber } of readLines(file)) {
    const fields = line.split('\t');
    if (!hasHeader) {
      if (fields.length !== 3 || QRELS_HEADER.some((name, index) => fields[index]?.trim() !== name)) {
        throw formatError(file, lineNumber, `expected the header "${QRELS_HEADER.join('\\t')}"`);
      }
      hasHeader = true;
      continue;
    }
    const [queryId, documentId, score] = fields.map((field) => field.trim());
    if (fields.length !== 3 || !queryId || !documentId || score === undefined) {
      throw formatError(file, lineNumber, 'expected 3 tab-separated fields: query-id, corpus-id, score');
    }
    if (!INTEGER_PATTERN.test(score)) {
      throw formatError(file, lineNumber, `score "${score}" is not an integer`);
    }
    let judgments = qrels.get(queryId);
    if (!judgments) {
      judgments = new Map();
      qrels.set(queryId, judgments);
    }
    if (judgments.has(documentId)) {
      throw formatError(
        file,
        lineNumber,
        `duplicate judgment for query "${queryId}", document "${documentId}"`,
      );
    }
    judgments.set(documentId, Number.parseInt(score, 10));
  }
  if (!hasHeader) throw formatError(file, 1, 'empty qrels file');
  return qrels;
}

async function requireFile(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new AppError('not_found:beir_dataset', `BEIR dataset file not found: ${file}`, { file });
  }
}

/**
 * Loads a BEIR dataset directory: corpus.jsonl, queries.jsonl and qrels/<split>.tsv.
 * The evaluated queries are exactly the qrels' query ids that have a text; ids
 * missing from queries.jsonl are reported in `missingQueryIds`, not thrown.
 */
export async function loadBeirDataset(
  directory: string,
  options: { split?: string } = {},
): Promise<BeirDataset> {
  const corpusFile = join(directory, 'corpus.jsonl');
  const queriesFile = join(directory, 'queries.jsonl');
  const qrelsFile = join(directory, 'qrels', `${options.split ?? 'test'}.tsv`);
  for (const file of [corpusFile, queriesFile, qrelsFile]) await requireFile(file);

  const allQrels = await readQrels(qrelsFile);
  const allQueries = await readQueries(queriesFile);
  const queries = new Map<string, string>();
  const qrels = new Map<string, Map<string, number>>();
  const missingQueryIds: string[] = [];
  for (const [queryId, judgments] of allQrels) {
    const text = allQueries.get(queryId);
    if (text === undefined) {
      missingQueryIds.push(queryId);
      continue;
    }
    queries.set(queryId, text);
    qrels.set(queryId, judgments);
  }

  const corpus: BeirDocument[] = [];
  const documentIds = new Set<string>();
  for await (const document of streamBeirCorpus(directory)) {
    corpus.push(document);
    documentIds.add(document.id);
  }
  const missingDocumentIds = new Set<string>();
  for (const judgments of qrels.values()) {
    for (const documentId of judgments.keys()) {
      if (!documentIds.has(documentId)) missingDocumentIds.add(documentId);
    }
  }

  return {
    name: basename(directory),
    corpus,
    queries,
    qrels,
    missingQueryIds,
    missingDocumentIds: [...missingDocumentIds],
  };
}

/** strcmp on the UTF-8 encodings of two strings, i.e. code point order: negative, 0 or positive. */
export function compareDocumentIds(left: string, right: string): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index += 1) {
    let leftUnit = left.charCodeAt(index);
    let rightUnit = right.charCodeAt(index);
    if (leftUnit === rightUnit) continue;
    // Surrogates (U+D800–DFFF, i.e. code points above U+FFFF) must sort after U+E000–FFFF.
    if (leftUnit >= 0xd800 && rightUnit >= 0xd800) {
      leftUnit = leftUnit >= 0xe000 ? leftUnit - 0x800 : leftUnit + 0x2000;
      rightUnit = rightUnit >= 0xe000 ? rightUnit - 0x800 : rightUnit + 0x2000;
    }
    return leftUnit - rightUnit;
  }
  return left.length - right.length;
}

/**
 * A query's results in trec_eval's order: score descending, ties by document id
 * descending. Throws on a repeated document id or a NaN score, which trec_eval
 * rejects or cannot order.
 */
export function rankResults(results: readonly ScoredDocument[]): ScoredDocument[] {
  const seen = new Set<string>();
  for (const result of results) {
    if (Number.isNaN(result.score)) throw new Error(`score of document "${result.documentId}" is NaN`);
    if (seen.has(result.documentId)) throw new Error(`duplicate document "${result.documentId}" in results`);
    seen.add(result.documentId);
  }
  return [...results].sort(
    (left, right) => right.score - left.score || compareDocumentIds(right.documentId, left.documentId),
  );
}

/** Grades of the ranked results (0 for unjudged documents). */
function gradesInRankOrder(ranked: readonly ScoredDocument[], judgments: ReadonlyMap<string, number>) {
  return ranked.map((result) => judgments.get(result.documentId) ?? 0);
}

function requireCutoff(cutoff: number): void {
  if (!Number.isInteger(cutoff) || cutoff < 1) throw new RangeError(`cutoff must be a positive integer`);
}

function ndcgOfGrades(grades: readonly number[], judgments: ReadonlyMap<string, number>, cutoff: number) {
  let dcg = 0;
  for (let index = 0; index < Math.min(cutoff, grades.length); index += 1) {
    const gain = grades[index]!;
    if (gain > 0) dcg += gain / Math.log2(index + 2);
  }
  const idealGains = [...judgments.values()].filter((grade) => grade > 0).sort((a, b) => b - a);
  let idealDcg = 0;
  for (let index = 0; index < Math.min(cutoff, idealGains.length); index += 1) {
    idealDcg += idealGains[index]! / Math.log2(index + 2);
  }
  return idealDcg > 0 ? dcg / idealDcg : 0;
}

function recallOfGrades(grades: readonly number[], judgments: ReadonlyMap<string, number>, cutoff: number) {
  let relevantCount = 0;
  for (const grade of judgments.values()) if (grade > 0) relevantCount += 1;
  if (relevantCount === 0) return 0;
  let retrievedRelevant = 0;
  for (let index = 0; index < Math.min(cutoff, grades.length); index += 1) {
    if (grades[index]! > 0) retrievedRelevant += 1;
  }
  return retrievedRelevant / relevantCount;
}

function reciprocalRankOfGrades(grades: readonly number[], cutoff: number) {
  for (let index = 0; index < Math.min(cutoff, grades.length); index += 1) {
    if (grades[index]! > 0) return 1 / (index + 1);
  }
  return 0;
}

/** trec_eval's ndcg_cut.<cutoff> for one query. */
export function ndcgAtCutoff(
  results: readonly ScoredDocument[],
  judgments: ReadonlyMap<string, number>,
  cutoff: number,
): number {
  requireCutoff(cutoff);
  return ndcgOfGrades(gradesInRankOrder(rankResults(results), judgments), judgments, cutoff);
}

/** trec_eval's recall.<cutoff> for one query. */
export function recallAtCutoff(
  results: readonly ScoredDocument[],
  judgments: ReadonlyMap<string, number>,
  cutoff: number,
): number {
  requireCutoff(cutoff);
  return recallOfGrades(gradesInRankOrder(rankResults(results), judgments), judgments, cutoff);
}

/** trec_eval's recip_rank for one query, counting only the first `cutoff` ranks. */
export function reciprocalRankAtCutoff(
  results: readonly ScoredDocument[],
  judgments: ReadonlyMap<string, number>,
  cutoff: number,
): number {
  requireCutoff(cutoff);
  return reciprocalRankOfGrades(gradesInRankOrder(rankResults(results), judgments), cutoff);
}

/**
 * nDCG@10, recall@100 and MRR@10 of a run, per query and as means over every query
 * in the qrels. Results for queries not in the qrels are ignored.
 */
export function evaluateRun(run: Run, qrels: Qrels): RunEvaluation {
  const perQuery = new Map<string, QueryMetrics>();
  let ndcgSum = 0;
  let recallSum = 0;
  let reciprocalRankSum = 0;
  for (const [queryId, judgments] of qrels) {
    const grades = gradesInRankOrder(rankResults(run.get(queryId) ?? []), judgments);
    const metrics: QueryMetrics = {
      ndcgAt10: ndcgOfGrades(grades, judgments, 10),
      recallAt100: recallOfGrades(grades, judgments, 100),
      mrrAt10: reciprocalRankOfGrades(grades, 10),
    };
    perQuery.set(queryId, metrics);
    ndcgSum += metrics.ndcgAt10;
    recallSum += metrics.recallAt100;
    reciprocalRankSum += metrics.mrrAt10;
  }
  const queryCount = perQuery.size;
  const mean = (sum: number) => (queryCount === 0 ? 0 : sum / queryCount);
  return {
    ndcgAt10: mean(ndcgSum),
    recallAt100: mean(recallSum),
    mrrAt10: mean(reciprocalRankSum),
    queryCount,
    perQuery,
  };
}

/** Nearest-rank percentile: the smallest value with at least p% of values at or below it. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100));
  return sorted[rank - 1]!;
}
