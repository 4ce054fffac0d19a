import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reader } from '../src/modules/access/access.types.ts';
import { importDocumentBatch } from '../src/modules/ingestion/ingestion.service.ts';
import {
  fuseLexicalScores,
  keepNewTerms,
  makeSnippet,
  scoreCharGrams,
  searchPassages,
  withEachTermOnce,
} from '../src/modules/retrieval/retrieval.service.ts';
import { createTenant, resolveDepartment } from '../src/modules/tenancy/tenancy.service.ts';
import { detectCapabilities } from '../src/platform/db/database.ts';
import { gramCounts } from '../src/platform/text/char-grams.ts';
import {
  type Backend,
  createTestDatabase,
  describeEachBackend,
  type TestDatabase,
} from './helpers/databases.ts';

const encoder = new TextEncoder();

/**
 * A fresh database on `backend` holding one tenant whose folder source has `documents`
 * (freshly analyzed), and a super admin reading that tenant.
 */
async function tenantWithDocuments(
  backend: Backend,
  documents: { sourceItemId: string; title: string; text: string }[],
): Promise<{ database: TestDatabase; reader: Reader }> {
  const database = await createTestDatabase(backend);
  const { db } = database;
  const tenant = await db.transaction((trx) => createTenant(trx, { slug: 'acme', name: 'Acme' }));
  const tenantId = tenant.id;
  const source = { kind: 'folder' as const, name: 'docs' };
  await db.transaction((trx) =>
    importDocumentBatch(
      trx,
      { tenantId, source },
      documents.map(({ text, ...document }) => ({ ...document, bytes: encoder.encode(text) })),
    ),
  );
  await db.executeSql('ANALYZE documents, chunks');
  return { database, reader: { tenantId, role: 'super_admin', departmentId: null, regionId: null } };
}

describeEachBackend('retrieval access filter', (backend) => {
  let database: TestDatabase;
  let acmeId: string;
  let globexId: string;
  let ukIt: { departmentId: string; regionId: string };
  let usHr: { departmentId: string; regionId: string };

  beforeEach(async () => {
    database = await createTestDatabase(backend);
    const { db } = database;
    const [acme, globex] = await db.transaction(async (trx) => [
      await createTenant(trx, { slug: 'acme', name: 'Acme' }),
      await createTenant(trx, { slug: 'globex', name: 'Globex' }),
    ]);
    acmeId = acme!.id;
    globexId = globex!.id;
    const it = await resolveDepartment(db.kysely, acmeId, 'UK/IT');
    const hr = await resolveDepartment(db.kysely, acmeId, 'US/HR');
    ukIt = { departmentId: it.id, regionId: it.regionId };
    usHr = { departmentId: hr.id, regionId: hr.regionId };
    const acmeSource = { kind: 'folder' as const, name: 'docs' };
    const globexSource = { kind: 'folder' as const, name: 'docs' };
    // 300 US/HR documents that mention parental leave often (they rank first),
    // one UK-region document that mentions it once, one tenant-wide, one in another tenant.
    const hrDocuments = Array.from({ length: 300 }, (_, index) => ({
      sourceItemId: `hr-${index}`,
      title: `US parental leave guide ${index}`,
      bytes: encoder.encode(
        `Parental leave. Parental leave requests. Parental leave approval number ${index}.`,
      ),
    }));
    await db.transaction(async (trx) => {
      await importDocumentBatch(
        trx,
        { tenantId: acmeId, source: acmeSource, departmentIds: [usHr.departmentId] },
        hrDocuments,
      );
      await importDocumentBatch(trx, { tenantId: acmeId, source: acmeSource, regionIds: [ukIt.regionId] }, [
        {
          sourceItemId: 'uk',
          title: 'UK handbook',
          bytes: encoder.encode('Staff in the UK may take parental leave after one year.'),
        },
      ]);
      await importDocumentBatch(trx, { tenantId: acmeId, source: acmeSource }, [
        {
          sourceItemId: 'all',
          title: 'Company values',
          bytes: encoder.encode('We support families, including with leave.'),
        },
      ]);
      await importDocumentBatch(trx, { tenantId: globexId, source: globexSource }, [
        {
          sourceItemId: 'globex',
          title: 'Globex secret leave plan',
          bytes: encoder.encode('Parental leave at Globex is unlimited.'),
        },
      ]);
    });
    await db.executeSql('ANALYZE documents, chunks');
  });
  afterEach(async () => {
    await database.cleanup();
  });

  const reader = (overrides: Partial<Reader>): Reader => ({
    tenantId: acmeId,
    role: 'user',
    departmentId: null,
    regionId: null,
    ...overrides,
  });

  it('returns the few readable passages even when hundreds of unreadable ones rank higher', async () => {
    const results = await searchPassages(database.db, reader({ role: 'user', ...ukIt }), 'parental leave', {
      topK: 10,
    });
    expect(results.map((result) => result.sourceItemId).sort()).toEqual(['all', 'uk']);
  });

  it('lets each reader see exactly their scope', async () => {
    const usUser = await searchPassages(database.db, reader({ role: 'user', ...usHr }), 'parental leave', {
      topK: 100,
    });
    expect(usUser).toHaveLength(100);
    expect(
      usUser.every((result) => result.sourceItemId?.startsWith('hr-') || result.sourceItemId === 'all'),
    ).toBe(true);
    const admin = await searchPassages(
      database.db,
      reader({ role: 'super_admin' }),
      'parental leave uk one year',
      { topK: 5 },
    );
    expect(admin.map((result) => result.sourceItemId)).toContain('uk');
    const apiKey = await searchPassages(database.db, reader({ role: 'api_key' }), 'parental leave', {
      topK: 10,
    });
    expect(apiKey.map((result) => result.sourceItemId)).toEqual(['all']);
    const noDepartment = await searchPassages(database.db, reader({ role: 'user' }), 'parental leave', {
      topK: 10,
    });
    expect(noDepartment.map((result) => result.sourceItemId)).toEqual(['all']);
  });

  it('never crosses tenants, whatever the role', async () => {
    for (const role of ['super_admin', 'user', 'api_key'] as const) {
      const results = await searchPassages(
        database.db,
        reader({ role, ...ukIt }),
        'Globex unlimited secret',
        { topK: 100 },
      );
      expect(results.map((result) => result.title)).not.toContain('Globex secret leave plan');
    }
    const globex = await searchPassages(
      database.db,
      reader({ tenantId: globexId, role: 'super_admin' }),
      'parental leave',
    );
    expect(globex.map((result) => result.sourceItemId)).toEqual(['globex']);
  });

  it('ranks by BM25 with scores, de-duplicated by document, and ignores empty queries', async () => {
    const results = await searchPassages(
      database.db,
      reader({ role: 'super_admin' }),
      'parental leave approval number 7',
      {
        topK: 3,
      },
    );
    expect(results[0]?.sourceItemId).toBe('hr-7');
    expect(results[0]!.score).toBeGreaterThan(results[2]!.score);
    expect(new Set(results.map((result) => result.documentId)).size).toBe(results.length);
    expect(await searchPassages(database.db, reader({ role: 'super_admin' }), '   ')).toEqual([]);
    expect(
      await searchPassages(database.db, reader({ role: 'super_admin' }), 'zzzqqq nonexistentterm'),
    ).toEqual([]);
  });
});

it('makes snippets from the sentences that share most words with the query', () => {
  const text =
    'This policy applies to all staff. Full-time UK employees are entitled to 25 days of paid annual leave per year. Requests go through PeopleHub.';
  expect(makeSnippet(text, 'How many days of annual leave do UK employees get?')).toContain(
    '25 days of paid annual leave',
  );
  expect(makeSnippet(text, 'How many days of annual leave do UK employees get?').startsWith('… ')).toBe(true);
  expect(makeSnippet('word '.repeat(200), 'word').length).toBeLessThanOrEqual(242);
});

describeEachBackend('character grams in the lexical ranking', (backend) => {
  let database: TestDatabase;
  let reader: Reader;

  beforeEach(async () => {
    const filler = Array.from({ length: 40 }, (_, index) => ({
      sourceItemId: `filler-${index}`,
      title: `Report ${index}`,
      text: `Quarterly figures for region ${index}: revenue, staffing and travel budgets.`,
    }));
    ({ database, reader } = await tenantWithDocuments(backend, [
      ...filler,
      {
        sourceItemId: 'growth',
        title: 'Tumour growth',
        text: 'Tumour cells grow quickly. Tumour size and tumour grade are recorded.',
      },
      {
        sourceItemId: 'milieu',
        title: 'Stiffness',
        text: 'The rigidity of the tumour microenvironments shapes how cells answer treatment.',
      },
    ]));
  });
  afterEach(async () => {
    await database.cleanup();
  });

  it('ranks the passage that shares a misspelt, inflected word above one that only repeats a common word', async () => {
    // Stemmed words alone match only "tumour" ("microenviroment" is misspelt and
    // "microenvironments" plural), where "growth" repeats it three times.
    const results = await searchPassages(database.db, reader, 'tumour microenviroment', { topK: 5 });
    expect(results.map((result) => result.sourceItemId)).toEqual(['milieu', 'growth']);
    expect(results[0]!.score).toBeGreaterThan(results[1]!.score);
    // A word the documents lack entirely still finds nothing.
    expect(await searchPassages(database.db, reader, 'zzzqqq')).toEqual([]);
  });

  it('finds a passage by its grams when none of the query words occur (a typo), with pg_textsearch', async () => {
    const typo = await searchPassages(database.db, reader, 'microenviroment', { topK: 5 });
    if ((await detectCapabilities(database.db)).bm25) {
      expect(typo[0]?.sourceItemId).toBe('milieu');
      // Still only passages the reader may read.
      const stranger: Reader = {
        tenantId: randomUUID(),
        role: 'super_admin',
        departmentId: null,
        regionId: null,
      };
      expect(await searchPassages(database.db, stranger, 'microenviroment')).toEqual([]);
    } else {
      // The SQL fallback has no gram index to draw candidates from.
      expect(typo).toEqual([]);
    }
    // A made-up word whose grams the texts hold only spread over two words ("staffing",
    // "figures") is not a typo of either, and stopwords alone are not a question.
    expect(await searchPassages(database.db, reader, 'staffgures')).toEqual([]);
    expect(await searchPassages(database.db, reader, 'the of and')).toEqual([]);
  });
});

describeEachBackend('words in the lexical ranking', (backend) => {
  let database: TestDatabase;
  let reader: Reader;

  beforeEach(async () => {
    ({ database, reader } = await tenantWithDocuments(backend, [
      {
        sourceItemId: 'cytokine',
        title: 'Cytokines',
        text: 'Macrophages release IL-6 when stimulated; BCL-2 blocks apoptosis.',
      },
      { sourceItemId: 'leave', title: 'Leave', text: 'Employees get 25 days of annual leave.' },
    ]));
  });
  afterEach(async () => {
    await database.cleanup();
  });

  it('meets a code however its letters and digits are joined', async () => {
    for (const query of ['IL6', 'il 6 release', 'Bcl2']) {
      const results = await searchPassages(database.db, reader, query, { topK: 5 });
      expect(results.map((result) => result.sourceItemId)).toEqual(['cytokine']);
    }
  });

  it('gives the BM25 index each stemmed word of the query once', async () => {
    const query = 'Activation of cells: activated cells activate IL-6 studies, study Bcl2';
    const rewritten = await withEachTermOnce(database.db.kysely, query);
    expect(rewritten).toBe('Activation cells: IL-6 studies, Bcl 2');
    const counts = async (text: string) => {
      const { rows } = await database.db.executeSql(
        `SELECT lexeme, cardinality(positions) AS count FROM unnest(to_tsvector('english', nexus_word_text($1))) ORDER BY lexeme`,
        [text],
      );
      return Object.fromEntries(rows.map((row) => [String(row.lexeme), Number(row.count)]));
    };
    const before = await counts(query);
    const after = await counts(rewritten ?? '');
    expect(before.activ).toBe(3);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(Object.values(after).every((count) => count === 1)).toBe(true);
  });
});

describe('lexical fusion', () => {
  it('keeps each query piece that adds a lexeme not seen before', () => {
    expect(
      keepNewTerms(
        ['Cells', 'of', 'cell', 'growth', 'cells', 'grow'],
        [['cell'], [], ['cell'], ['growth'], ['cell'], ['grow']],
      ),
    ).toBe('Cells growth grow');
    // A query of stopwords only has no terms.
    expect(keepNewTerms(['of', 'the'], [[], []])).toBeNull();
  });

  it('divides each field by its best candidate and adds them with equal weight', () => {
    const fused = fuseLexicalScores([
      { id: 'a', document_id: 'd1', words: 10, grams: 1 },
      { id: 'b', document_id: 'd2', words: 6, grams: 4 },
      { id: 'c', document_id: 'd3', words: 0, grams: 0 },
    ]);
    expect(fused.map((ranked) => [ranked.id, ranked.score])).toEqual([
      ['b', 0.6 + 1],
      ['a', 1 + 0.25],
    ]);
  });

  it('scores grams with BM25: weights times saturated counts, longer candidates discounted', () => {
    const query = gramCounts('leave');
    const weights = new Map([...query.keys()].map((gram) => [gram, 1]));
    const scores = scoreCharGrams(query, weights, [
      { id: 'short', text: 'leave' },
      { id: 'long', text: 'leave policy for every office and every region worldwide' },
      { id: 'twice', text: 'leave leave' },
      { id: 'none', text: 'travel' },
    ]);
    expect(scores.get('short')).toBeGreaterThan(scores.get('long')!);
    expect(scores.get('twice')).toBeGreaterThan(scores.get('short')!);
    expect(scores.get('none')).toBe(0);
    // Without collection statistics, grams every candidate shares weigh less than rarer ones.
    const byCandidates = scoreCharGrams(gramCounts('annual leave'), null, [
      { id: 'both', text: 'annual leave' },
      { id: 'leave', text: 'leave rules' },
      { id: 'again', text: 'leave types' },
    ]);
    expect(byCandidates.get('both')).toBeGreaterThan(2 * byCandidates.get('leave')!);
    // A gram the index has never seen (no weight) adds nothing.
    expect(scoreCharGrams(query, new Map(), [{ id: 'short', text: 'leave' }]).get('short')).toBe(0);
  });
});
