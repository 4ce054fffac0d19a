import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BeirDocument,
  compareDocumentIds,
  evaluateRun,
  loadBeirDataset,
  ndcgAtCutoff,
  percentile,
  rankResults,
  recallAtCutoff,
  reciprocalRankAtCutoff,
  type ScoredDocument,
  streamBeirCorpus,
} from './evaluation.ts';

const here = dirname(fileURLToPath(import.meta.url));
const tinyDataset = resolve(here, '../../../test/fixtures/beir-tiny');
const scifactDataset = '/work/shared/datasets/scifact';

function expectClose(actual: number | undefined, expected: number): void {
  expect(actual).toBeTypeOf('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThan(1e-9);
}

function judgmentsOf(entries: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(entries));
}

/** Results whose scores decrease with position, so their rank is their position + 1. */
function resultsInOrder(documentIds: string[]): ScoredDocument[] {
  return documentIds.map((documentId, index) => ({ documentId, score: documentIds.length - index }));
}

describe('evaluateRun on a hand-computed example', () => {
  // q1 — judgments: d1=2, d2=1, d3=1, d8=1, d9=1 (5 relevant), d4=0 (judged non-relevant).
  // Results are listed out of order; d10 and d3 tie at 0.8 and d10 comes first in the
  // input, so insertion order, ascending ids and numeric ids would all rank d10 first.
  // trec_eval's descending strcmp puts "d3" before "d10" ('3' > '1'). Ranked:
  //   1 n0 (unjudged)  2 d3 (1)  3 d10 (unjudged)  4 d2 (1)  5 d4 (0)  6 n1
  //   7 d1 (2)  8 n2  9 n3  10 n4  | 11 d9 (1, outside the top 10)   d8 never retrieved
  // DCG@10  = 1/log2(3) + 1/log2(5) + 2/log2(8)
  //         = 0.6309297535714575 + 0.43067655807339306 + 0.6666666666666666 = 1.7282729783115172
  // IDCG@10 = grades 2,1,1,1,1 at ranks 1..5
  //         = 2/log2(2) + 1/log2(3) + 1/log2(4) + 1/log2(5) + 1/log2(6)
  //         = 2 + 0.6309297535714575 + 0.5 + 0.43067655807339306 + 0.38685280723454163 = 3.9484591188793923
  // nDCG@10 = 1.7282729783115172 / 3.9484591188793923 = 0.43770821129889687
  //   (with the tie broken the other way d3 would sit at rank 3: DCG 1/2 + 1/log2(5) + 2/3 → 0.40454850275704510)
  // recall@100 = 4 retrieved relevant (d3, d2, d1, d9) / 5 relevant = 0.8
  // MRR@10 = 1/2 (first relevant, d3, at rank 2; it would be 1/3 with the other tie-break)
  const q1Results: ScoredDocument[] = [
    { documentId: 'd1', score: 0.4 },
    { documentId: 'd10', score: 0.8 },
    { documentId: 'd3', score: 0.8 },
    { documentId: 'n0', score: 0.95 },
    { documentId: 'd9', score: 0.05 },
    { documentId: 'd2', score: 0.7 },
    { documentId: 'd4', score: 0.6 },
    { documentId: 'n1', score: 0.5 },
    { documentId: 'n2', score: 0.3 },
    { documentId: 'n3', score: 0.2 },
    { documentId: 'n4', score: 0.1 },
  ];
  const q1Judgments = judgmentsOf({ d1: 2, d2: 1, d3: 1, d4: 0, d8: 1, d9: 1 });
  const q1Ndcg =
    (1 / Math.log2(3) + 1 / Math.log2(5) + 2 / Math.log2(8)) /
    (2 / Math.log2(2) + 1 / Math.log2(3) + 1 / Math.log2(4) + 1 / Math.log2(5) + 1 / Math.log2(6));

  // q2 — judgment e1=1; results f1, f2 retrieve nothing relevant: nDCG 0, recall 0, MRR 0.
  // q3 — judgment g1=1; no results at all: every metric 0, and it still counts in the means.
  // q4 — judgment h1=1 at rank 11 behind ten unjudged docs: nDCG@10 0, MRR@10 0
  //      (uncut recip_rank would be 1/11), recall@100 = 1/1 = 1.
  // qx — results but no judgments: ignored.
  // Means over the 4 judged queries:
  //   nDCG@10    = (0.43770821129889687 + 0 + 0 + 0) / 4 = 0.10942705282472422
  //   recall@100 = (0.8 + 0 + 0 + 1) / 4 = 0.45
  //   MRR@10     = (0.5 + 0 + 0 + 0) / 4 = 0.125
  const qrels = new Map([
    ['q1', q1Judgments],
    ['q2', judgmentsOf({ e1: 1 })],
    ['q3', judgmentsOf({ g1: 1 })],
    ['q4', judgmentsOf({ h1: 1 })],
  ]);
  const run = new Map<string, ScoredDocument[]>([
    ['q1', q1Results],
    [
      'q2',
      [
        { documentId: 'f1', score: 0.9 },
        { documentId: 'f2', score: 0.8 },
      ],
    ],
    ['q4', resultsInOrder(['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9', 'u10', 'h1'])],
    ['qx', [{ documentId: 'g1', score: 1 }]],
  ]);

  it('scores each query as trec_eval does', () => {
    const evaluation = evaluateRun(run, qrels);
    expect([...evaluation.perQuery.keys()]).toEqual(['q1', 'q2', 'q3', 'q4']);
    const q1 = evaluation.perQuery.get('q1');
    expectClose(q1?.ndcgAt10, q1Ndcg);
    expectClose(q1?.ndcgAt10, 0.43770821129889687);
    expectClose(q1?.recallAt100, 0.8);
    expectClose(q1?.mrrAt10, 0.5);
    expect(evaluation.perQuery.get('q2')).toEqual({ ndcgAt10: 0, recallAt100: 0, mrrAt10: 0 });
    expect(evaluation.perQuery.get('q3')).toEqual({ ndcgAt10: 0, recallAt100: 0, mrrAt10: 0 });
    expect(evaluation.perQuery.get('q4')).toEqual({ ndcgAt10: 0, recallAt100: 1, mrrAt10: 0 });
  });

  it('averages over every judged query, counting a query without results as 0', () => {
    const evaluation = evaluateRun(run, qrels);
    expect(evaluation.queryCount).toBe(4);
    expectClose(evaluation.ndcgAt10, q1Ndcg / 4);
    expectClose(evaluation.ndcgAt10, 0.10942705282472422);
    expectClose(evaluation.recallAt100, 0.45);
    expectClose(evaluation.mrrAt10, 0.125);
  });

  it('gives the same values through the single-metric functions', () => {
    expectClose(ndcgAtCutoff(q1Results, q1Judgments, 10), q1Ndcg);
    expectClose(recallAtCutoff(q1Results, q1Judgments, 100), 0.8);
    expectClose(reciprocalRankAtCutoff(q1Results, q1Judgments, 10), 0.5);
    // Other cutoffs: d9 enters at 11; at cutoff 1 only n0 counts.
    expectClose(recallAtCutoff(q1Results, q1Judgments, 10), 3 / 5);
    expectClose(reciprocalRankAtCutoff(q1Results, q1Judgments, 1), 0);
    // nDCG@1 ranks n0 first: DCG 0.
    expectClose(ndcgAtCutoff(q1Results, q1Judgments, 1), 0);
    // nDCG@2: DCG 1/log2(3); IDCG 2 + 1/log2(3).
    expectClose(ndcgAtCutoff(q1Results, q1Judgments, 2), 1 / Math.log2(3) / (2 + 1 / Math.log2(3)));
  });

  it('scores 0 for a query with only non-relevant judgments', () => {
    const judgments = judgmentsOf({ a: 0, b: 0 });
    const results = resultsInOrder(['a', 'b']);
    expect(ndcgAtCutoff(results, judgments, 10)).toBe(0);
    expect(recallAtCutoff(results, judgments, 100)).toBe(0);
    expect(reciprocalRankAtCutoff(results, judgments, 10)).toBe(0);
  });

  it('scores a perfect ranking 1', () => {
    const judgments = judgmentsOf({ a: 1, b: 3, c: 2 });
    const results = resultsInOrder(['b', 'c', 'a', 'z']);
    expectClose(ndcgAtCutoff(results, judgments, 10), 1);
    // The same docs in the wrong order: DCG 1 + 3/log2(3) + 2/2; IDCG 3 + 2/log2(3) + 1/2.
    expectClose(
      ndcgAtCutoff(resultsInOrder(['a', 'b', 'c']), judgments, 10),
      (1 + 3 / Math.log2(3) + 2 / 2) / (3 + 2 / Math.log2(3) + 1 / 2),
    );
  });
});

describe('ranking ties', () => {
  it('orders by score, then by document id in decreasing strcmp order', () => {
    const tied = ['a', '10', 'B', 'ab', '9', 'b'].map((documentId) => ({ documentId, score: 1 }));
    const ranked = rankResults([{ documentId: 'zz', score: 0.5 }, ...tied, { documentId: '0', score: 2 }]);
    // Bytes: 'b' 0x62 > 'ab' 0x61 0x62 > 'a' 0x61 > 'B' 0x42 > '9' 0x39 > '10' 0x31 0x30.
    expect(ranked.map((result) => result.documentId)).toEqual(['0', 'b', 'ab', 'a', 'B', '9', '10', 'zz']);
    // Input order does not matter.
    const reversed = rankResults([...tied].reverse());
    expect(reversed.map((result) => result.documentId)).toEqual(['b', 'ab', 'a', 'B', '9', '10']);
  });

  it('compares ids by UTF-8 bytes, not UTF-16 code units', () => {
    // U+1F600 (UTF-8 F0 9F 98 80, UTF-16 D83D DE00) > U+FF5A (UTF-8 EF BD 9A, UTF-16 FF5A) in strcmp,
    // although JavaScript's `<` says the opposite.
    const emoji = '\u{1F600}';
    const fullwidth = '\uFF5A';
    expect(emoji < fullwidth).toBe(true);
    expect(compareDocumentIds(emoji, fullwidth)).toBeGreaterThan(0);
    const ranked = rankResults([
      { documentId: fullwidth, score: 1 },
      { documentId: emoji, score: 1 },
    ]);
    expect(ranked.map((result) => result.documentId)).toEqual([emoji, fullwidth]);
  });

  it('agrees with a byte comparison of UTF-8 on random ids', () => {
    // A small deterministic generator (mulberry32) over an alphabet that mixes ASCII,
    // BMP characters on both sides of the surrogate block, and astral characters.
    let seed = 42;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let value = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
      return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
    };
    const alphabet = [
      'a',
      'b',
      'Z',
      '0',
      '\u00e9',
      '\u4e2d',
      '\ud7ff',
      '\ue000',
      '\uffee',
      '\u{10000}',
      '\u{1F600}',
    ];
    const randomId = () =>
      Array.from(
        { length: 1 + Math.floor(random() * 4) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
    for (let trial = 0; trial < 2000; trial += 1) {
      const left = randomId();
      const right = randomId();
      const expected = Math.sign(Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8')));
      expect(Math.sign(compareDocumentIds(left, right)), `${left} vs ${right}`).toBe(expected);
    }
  });

  it('rejects duplicate documents and NaN scores', () => {
    expect(() =>
      rankResults([
        { documentId: 'a', score: 1 },
        { documentId: 'a', score: 2 },
      ]),
    ).toThrow(/duplicate document "a"/);
    expect(() => rankResults([{ documentId: 'a', score: Number.NaN }])).toThrow(/NaN/);
  });
});

describe('recall@100', () => {
  it('counts only the first 100 of more than 100 results', () => {
    // 150 results ranked doc-001 … doc-150; relevant: doc-050, doc-100 (inside the top 100),
    // doc-101, doc-150 (outside) and never-retrieved → 2 / 5 = 0.4.
    const ids = Array.from({ length: 150 }, (_, index) => `doc-${String(index + 1).padStart(3, '0')}`);
    const judgments = judgmentsOf({
      'doc-050': 1,
      'doc-100': 1,
      'doc-101': 1,
      'doc-150': 1,
      'never-retrieved': 1,
    });
    const results = resultsInOrder(ids);
    expectClose(recallAtCutoff(results, judgments, 100), 0.4);
    expectClose(evaluateRun(new Map([['q', results]]), new Map([['q', judgments]])).recallAt100, 0.4);
  });

  it('divides by every relevant document in the qrels, uncapped', () => {
    // 3 results, 2 of them relevant, 5 relevant in all → 2 / 5 (not 2 / 3).
    const fewResults = resultsInOrder(['r1', 'x', 'r2']);
    const fiveRelevant = judgmentsOf({ r1: 1, r2: 2, r3: 1, r4: 1, r5: 1, x: 0 });
    expectClose(recallAtCutoff(fewResults, fiveRelevant, 100), 0.4);
    // 120 relevant, all retrieved at ranks 1..120 → 100 / 120 (BEIR's capped R_cap@100 would be 1).
    const ids = Array.from({ length: 120 }, (_, index) => `rel-${index}`);
    const allRelevant = new Map(ids.map((id) => [id, 1]));
    expectClose(recallAtCutoff(resultsInOrder(ids), allRelevant, 100), 100 / 120);
  });
});

describe('percentile', () => {
  it('uses the nearest-rank method', () => {
    // Nearest rank: the ceil(p/100 · n)-th smallest value.
    const values = [50, 15, 40, 20, 35];
    expect(percentile(values, 5)).toBe(15);
    expect(percentile(values, 25)).toBe(20); // ceil(1.25) = 2nd smallest
    expect(percentile(values, 30)).toBe(20);
    expect(percentile(values, 40)).toBe(20);
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 100)).toBe(50);
    expect(percentile(values, 0)).toBe(15);
    const latencies = Array.from({ length: 20 }, (_, index) => 20 - index);
    expect(percentile(latencies, 91)).toBe(19); // ceil(18.2) = 19th smallest
    expect(percentile(latencies, 95)).toBe(19);
    expect(percentile(latencies, 99)).toBe(20);
    expect(values).toEqual([50, 15, 40, 20, 35]);
  });

  it('rejects an empty list and an out-of-range p', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('loadBeirDataset', () => {
  const temporaryDirectories: string[] = [];
  afterEach(async () => {
    for (const directory of temporaryDirectories.splice(0))
      await rm(directory, { recursive: true, force: true });
  });

  /** A copy of the tiny fixture with one file replaced. */
  async function fixtureWith(file: string, content: string): Promise<string> {
    const directory = join(await mkdtemp(join(tmpdir(), 'nexus-beir-')), 'broken');
    temporaryDirectories.push(dirname(directory));
    await cp(tinyDataset, directory, { recursive: true });
    await writeFile(join(directory, file), content);
    return directory;
  }

  it('loads the tiny fixture', async () => {
    const dataset = await loadBeirDataset(tinyDataset);
    expect(dataset.name).toBe('beir-tiny');
    expect(dataset.corpus).toEqual<BeirDocument[]>([
      { id: 'd1', title: 'Vacation policy', text: 'Employees accrue 25 days of paid leave per year.' },
      { id: 'd2', title: 'Expense reports', text: 'Submit receipts within 30 days.' },
      { id: 'd3', title: '', text: 'A document without a title field.' },
      { id: 'd4', title: 'Café menu', text: 'Espresso — 2 €' },
      { id: 'd5', title: '', text: 'Security badges must be worn at all times.' },
    ]);
    // q3 has no test judgments; q9 is judged but has no text.
    expect([...dataset.queries]).toEqual([
      ['q1', 'How many vacation days do employees get?'],
      ['q2', 'When are expense receipts due?'],
    ]);
    expect([...dataset.qrels.keys()]).toEqual(['q1', 'q2']);
    expect([...(dataset.qrels.get('q1') ?? [])]).toEqual([
      ['d1', 2],
      ['d5', 0],
    ]);
    expect([...(dataset.qrels.get('q2') ?? [])]).toEqual([
      ['d2', 1],
      ['d3', 1],
      ['d7', 1],
    ]);
    expect(dataset.missingQueryIds).toEqual(['q9']);
    expect(dataset.missingDocumentIds).toEqual(['d7']);
  });

  it('reads a qrels split other than test', async () => {
    const directory = await fixtureWith('qrels/train.tsv', 'query-id\tcorpus-id\tscore\r\nq3\td4\t1\r\n');
    const dataset = await loadBeirDataset(directory, { split: 'train' });
    expect([...dataset.queries.keys()]).toEqual(['q3']);
    expect(dataset.qrels.get('q3')?.get('d4')).toBe(1);
  });

  it('names the file and line of malformed JSON', async () => {
    const corpus = (await readFile(join(tinyDataset, 'corpus.jsonl'), 'utf8')).split('\n');
    corpus[2] = '{"_id": "d3", "text": "unterminated';
    const directory = await fixtureWith('corpus.jsonl', corpus.join('\n'));
    await expect(loadBeirDataset(directory)).rejects.toThrow(/corpus\.jsonl:3: invalid JSON/);

    // The corpus is streamed: documents before the bad line arrive before the error.
    const seen: string[] = [];
    await expect(async () => {
      for await (const document of streamBeirCorpus(directory)) seen.push(document.id);
    }).rejects.toThrow(/corpus\.jsonl:3:/);
    expect(seen).toEqual(['d1', 'd2']);
  });

  it('rejects records with missing or mistyped fields, naming the line', async () => {
    let directory = await fixtureWith('queries.jsonl', '{"_id": "q1", "text": "ok"}\n{"_id": "q2"}\n');
    await expect(loadBeirDataset(directory)).rejects.toThrow(/queries\.jsonl:2: "text" must be a string/);

    directory = await fixtureWith('corpus.jsonl', '{"_id": 7, "title": "", "text": "x"}\n');
    await expect(loadBeirDataset(directory)).rejects.toThrow(
      /corpus\.jsonl:1: "_id" must be a non-empty string/,
    );

    directory = await fixtureWith('corpus.jsonl', '["d1", "text"]\n');
    await expect(loadBeirDataset(directory)).rejects.toThrow(/corpus\.jsonl:1: expected a JSON object/);

    directory = await fixtureWith(
      'corpus.jsonl',
      '{"_id": "d1", "text": "a"}\n{"_id": "d2", "text": "b"}\n{"_id": "d1", "text": "c"}\n',
    );
    await expect(loadBeirDataset(directory)).rejects.toThrow(
      /corpus\.jsonl:3: duplicate document id "d1" \(first on line 1\)/,
    );
  });

  it('rejects malformed qrels, naming the line', async () => {
    let directory = await fixtureWith('qrels/test.tsv', 'q1\td1\t1\n');
    await expect(loadBeirDataset(directory)).rejects.toThrow(/test\.tsv:1: expected the header/);

    directory = await fixtureWith('qrels/test.tsv', 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\thigh\n');
    await expect(loadBeirDataset(directory)).rejects.toThrow(/test\.tsv:3: score "high" is not an integer/);

    directory = await fixtureWith('qrels/test.tsv', 'query-id\tcorpus-id\tscore\nq1 d1 1\n');
    await expect(loadBeirDataset(directory)).rejects.toThrow(/test\.tsv:2: expected 3 tab-separated fields/);

    directory = await fixtureWith('qrels/test.tsv', 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td1\t2\n');
    await expect(loadBeirDataset(directory)).rejects.toThrow(/test\.tsv:3: duplicate judgment/);
  });

  it('names a missing file', async () => {
    const directory = await fixtureWith('queries.jsonl', '');
    await rm(join(directory, 'queries.jsonl'));
    await expect(loadBeirDataset(directory)).rejects.toThrow(/not found: .*queries\.jsonl/);
  });
});

const hasScifact = existsSync(scifactDataset);
if (!hasScifact) console.warn(`SciFact check skipped: ${scifactDataset} is absent`);

describe.skipIf(!hasScifact)('SciFact (real BEIR files)', () => {
  it('loads 5183 documents and 300 judged test queries', async () => {
    const dataset = await loadBeirDataset(scifactDataset);
    expect(dataset.name).toBe('scifact');
    expect(dataset.corpus).toHaveLength(5183);
    expect(new Set(dataset.corpus.map((document) => document.id)).size).toBe(5183);
    expect(dataset.corpus[0]?.id).toBe('4983');
    expect(dataset.corpus[0]?.title).toMatch(
      /^Microstructural development of human newborn cerebral white matter/,
    );
    expect(dataset.queries.size).toBe(300);
    expect(dataset.qrels.size).toBe(300);
    expect([...dataset.qrels.values()].reduce((sum, judgments) => sum + judgments.size, 0)).toBe(339);
    expect(dataset.queries.get('1')).toBe('0-dimensional biomaterials show inductive properties.');
    expect(dataset.missingQueryIds).toEqual([]);
    expect(dataset.missingDocumentIds).toEqual([]);

    // An oracle run scores 1 everywhere; pushing every relevant doc to rank 11 keeps
    // recall@100 at 1 but zeroes nDCG@10 and MRR@10.
    const oracle = new Map(
      [...dataset.qrels].map(([queryId, judgments]) => [
        queryId,
        [...judgments.keys()].map((documentId) => ({ documentId, score: 1 })),
      ]),
    );
    const perfect = evaluateRun(oracle, dataset.qrels);
    expect(perfect.queryCount).toBe(300);
    expect([perfect.ndcgAt10, perfect.recallAt100, perfect.mrrAt10]).toEqual([1, 1, 1]);
    const candidates = dataset.corpus.slice(0, 30).map((document) => document.id);
    const late = new Map(
      [...dataset.qrels].map(([queryId, judgments]) => {
        const fillers = candidates.filter((id) => !judgments.has(id)).slice(0, 10);
        expect(fillers).toHaveLength(10);
        return [queryId, resultsInOrder([...fillers, ...judgments.keys()])];
      }),
    );
    const lateEvaluation = evaluateRun(late, dataset.qrels);
    expect(lateEvaluation.ndcgAt10).toBe(0);
    expect(lateEvaluation.mrrAt10).toBe(0);
    expect(lateEvaluation.recallAt100).toBe(1);
    // Half the queries answered perfectly, half not at all: every mean is exactly 0.5.
    const half = new Map([...oracle].filter((_, index) => index % 2 === 0));
    const halfEvaluation = evaluateRun(half, dataset.qrels);
    expect([halfEvaluation.ndcgAt10, halfEvaluation.recallAt100, halfEvaluation.mrrAt10]).toEqual([
      0.5, 0.5, 0.5,
    ]);
  });
});
