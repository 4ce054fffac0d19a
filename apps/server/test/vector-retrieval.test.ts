import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reader } from '../src/modules/access/access.types.ts';
import { ensureVectorIndex } from '../src/modules/documents/documents.service.ts';
import { importDocumentBatch } from '../src/modules/ingestion/ingestion.service.ts';
import { searchPassages } from '../src/modules/retrieval/retrieval.service.ts';
import { createTenant, resolveDepartment } from '../src/modules/tenancy/tenancy.service.ts';
import { createEmbedder, type Embedder } from '../src/platform/embeddings.ts';
import { createTestDatabase, type TestDatabase } from './helpers/databases.ts';
import { type EmbeddingServer, startEmbeddingServer } from './helpers/embedding-server.ts';

const encoder = new TextEncoder();

describe('dense retrieval through an OpenAI-compatible embedding server', () => {
  let server: EmbeddingServer;
  let database: TestDatabase;
  let embedder: Embedder;
  let tenantId: string;
  let ukIt: { departmentId: string; regionId: string };
  let usHr: { departmentId: string; regionId: string };

  beforeEach(async () => {
    server = await startEmbeddingServer(32);
    embedder = createEmbedder({
      provider: 'openai_compatible',
      model: 'test-embed',
      dimensions: 32,
      baseUrl: server.baseUrl,
      apiKey: 'local',
    });
    database = await createTestDatabase('embedded');
    const { db } = database;
    await ensureVectorIndex(db, 32);
    tenantId = (await db.transaction((trx) => createTenant(trx, { slug: 'acme', name: 'Acme' }))).id;
    const it = await resolveDepartment(db.kysely, tenantId, 'UK/IT');
    const hr = await resolveDepartment(db.kysely, tenantId, 'US/HR');
    ukIt = { departmentId: it.id, regionId: it.regionId };
    usHr = { departmentId: hr.id, regionId: hr.regionId };
    const source = { kind: 'folder' as const, name: 'docs' };
    server.failures.push(429); // the first embedding call is rate-limited, then retried
    await db.transaction(async (trx) => {
      await importDocumentBatch(
        trx,
        { tenantId, source },
        [
          {
            sourceItemId: 'shared',
            title: 'Time off',
            bytes: encoder.encode('Holiday entitlement is generous.'),
          },
        ],
        undefined,
        embedder,
      );
      // Many US/HR documents that are even closer to the query than the shared one.
      await importDocumentBatch(
        trx,
        { tenantId, source, departmentIds: [usHr.departmentId] },
        Array.from({ length: 120 }, (_, index) => ({
          sourceItemId: `hr-${index}`,
          title: 'Holiday',
          bytes: encoder.encode(`Holiday holiday rules ${index}.`),
        })),
        undefined,
        embedder,
      );
    });
  });
  afterEach(async () => {
    await database.cleanup();
    await server.close();
  });

  const reader = (overrides: Partial<Reader>): Reader => ({
    tenantId,
    role: 'user',
    departmentId: null,
    regionId: null,
    ...overrides,
  });

  it('retried the rate-limited embedding call and stored a vector per chunk', async () => {
    expect(server.requests.length).toBeGreaterThanOrEqual(3); // 429, retry, second batch
    const { rows } = await database.db.executeSql(
      `SELECT count(*) AS n FROM chunks WHERE embedding IS NOT NULL AND embedding_model = 'openai_compatible:test-embed'`,
    );
    expect(rows[0]?.n).toBe(121);
  });

  it('finds passages that share no word with the query, which lexical search cannot', async () => {
    const lexicalOnly = await searchPassages(database.db, reader({ role: 'super_admin' }), 'vacation');
    expect(lexicalOnly).toEqual([]);
    const hybrid = await searchPassages(database.db, reader({ role: 'super_admin' }), 'vacation', {
      embedder,
      topK: 5,
    });
    expect(hybrid.length).toBe(5);
  });

  it('keeps the access filter on the vector path: a narrow reader gets only what they may read', async () => {
    const uk = await searchPassages(database.db, reader(ukIt), 'vacation', { embedder, topK: 10 });
    expect(uk.map((passage) => passage.sourceItemId)).toEqual(['shared']);
    const us = await searchPassages(database.db, reader(usHr), 'vacation', { embedder, topK: 10 });
    expect(us).toHaveLength(10);
    const apiKey = await searchPassages(database.db, reader({ role: 'api_key' }), 'vacation', {
      embedder,
      topK: 10,
    });
    expect(apiKey.map((passage) => passage.sourceItemId)).toEqual(['shared']);
    const otherTenant = await searchPassages(
      database.db,
      reader({ tenantId: '00000000-0000-4000-8000-000000000000', role: 'super_admin' }),
      'vacation',
      { embedder },
    );
    expect(otherTenant).toEqual([]);
  });

  it('fails clearly when the model returns another dimension than configured', async () => {
    const wrong = createEmbedder({
      provider: 'openai_compatible',
      model: 'x',
      dimensions: 8,
      baseUrl: server.baseUrl,
      apiKey: 'local',
    });
    await expect(wrong.embed(['hello'])).rejects.toThrow(
      /returned 32 dimensions; NEXUS_EMBEDDING_DIMENSIONS says 8/,
    );
  });
});
