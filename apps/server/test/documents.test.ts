import { afterEach, beforeEach, expect, it } from 'vitest';
import { createIngestDocumentJob } from '../src/modules/ingestion/ingestion.jobs.ts';
import { DEFAULT_PARSE_LIMITS } from '../src/modules/ingestion/ingestion.types.ts';
import { bearer, login, type SeededTenant, seedTenant } from './helpers/accounts.ts';
import { createTestApp, silentLogger, type TestApp } from './helpers/app.ts';
import { describeEachBackend } from './helpers/databases.ts';
import { waitForJob } from './helpers/jobs.ts';

const LEAVE_POLICY = `# Annual Leave Policy

## Entitlement

Full-time employees are entitled to 25 days of paid annual leave per year, plus bank holidays.
Part-time employees receive a pro-rata entitlement.

## Carry-over

Up to 5 unused days may be carried over to the next year and must be used by 31 March.
`;

const FINANCE_NOTE = `# Month-end close

The finance team closes the books on business day five. Accruals above 10,000 dollars need controller approval.
`;

function upload(
  test: TestApp,
  token: string,
  file: { name: string; content: string | Uint8Array; type?: string },
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file.content], { type: file.type ?? 'application/octet-stream' }), file.name);
  return test.app.inject({ method: 'POST', url: '/api/v1/documents', headers: bearer(token), payload: form });
}

function addVersion(
  test: TestApp,
  token: string,
  documentId: string,
  file: { name: string; content: string | Uint8Array; type?: string },
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file.content], { type: file.type ?? 'application/octet-stream' }), file.name);
  return test.app.inject({
    method: 'POST',
    url: `/api/v1/documents/${documentId}/versions`,
    headers: bearer(token),
    payload: form,
  });
}

function search(test: TestApp, token: string, query: string) {
  return test.app.inject({
    method: 'POST',
    url: '/api/v1/search',
    headers: bearer(token),
    payload: { query },
  });
}

describeEachBackend('documents, ingestion jobs and search', (backend) => {
  let test: TestApp;
  let acme: SeededTenant;
  let admin: string;
  let manager: string; // content manager, UK/HR
  let employee: string; // user, US/Finance

  beforeEach(async () => {
    test = await createTestApp(backend, {
      isWorker: true,
      environment: { NEXUS_MAX_UPLOAD_BYTES: '200000' },
    });
    acme = await seedTenant(test.database.db, 'acme');
    admin = (await login(test.app, acme.users.super_admin.email)).access_token;
    manager = (await login(test.app, acme.users.content_manager.email)).access_token;
    employee = (await login(test.app, acme.users.user.email)).access_token;
  });
  afterEach(async () => {
    await test.close();
  });

  it('uploads, ingests as a job, and finds the passage with its section — within scope only', async () => {
    const accepted = await upload(test, manager, {
      name: 'leave.md',
      content: LEAVE_POLICY,
      type: 'text/markdown',
    });
    expect(accepted.statusCode).toBe(202);
    const { document_id, job_id, status } = accepted.json();
    expect(status).toBe('queued');
    const job = await waitForJob(test, manager, job_id);
    expect(job).toMatchObject({ status: 'succeeded', progress: 1, document_id });

    const document = (
      await test.app.inject({ url: `/api/v1/documents/${document_id}`, headers: bearer(manager) })
    ).json();
    expect(document).toMatchObject({
      title: 'Annual Leave Policy',
      status: 'ready',
      departments: ['UK/HR'],
      regions: [],
    });
    expect(document.chunk_count).toBeGreaterThan(0);

    const found = (await search(test, manager, 'how many days of annual leave')).json().results;
    expect(found[0]).toMatchObject({ document_id, title: 'Annual Leave Policy' });
    expect(found[0].section).toContain('Annual Leave Policy');
    expect(found[0].snippet).toContain('25 days');

    // A US/Finance employee cannot see a UK/HR document anywhere.
    expect((await search(test, employee, 'annual leave days')).json().results).toEqual([]);
    expect(
      (await test.app.inject({ url: `/api/v1/documents/${document_id}`, headers: bearer(employee) }))
        .statusCode,
    ).toBe(404);
    expect(
      (await test.app.inject({ url: '/api/v1/documents', headers: bearer(employee) })).json().total,
    ).toBe(0);
    // The super admin sees the whole tenant.
    expect((await search(test, admin, 'annual leave')).json().results).toHaveLength(1);
  });

  it('shares tenant-wide and department documents correctly, including with API keys', async () => {
    const shared = await upload(test, admin, { name: 'leave.md', content: LEAVE_POLICY });
    const finance = await upload(
      test,
      admin,
      { name: 'close.md', content: FINANCE_NOTE },
      { departments: 'US/Finance' },
    );
    await waitForJob(test, admin, shared.json().job_id);
    await waitForJob(test, admin, finance.json().job_id);

    expect((await search(test, employee, 'accruals controller approval')).json().results[0].title).toBe(
      'Month-end close',
    );
    expect((await search(test, manager, 'accruals controller approval')).json().results).toEqual([]);
    expect((await search(test, manager, 'annual leave')).json().results).toHaveLength(1);

    const { key } = (
      await test.app.inject({
        method: 'POST',
        url: '/api/v1/admin/api-keys',
        headers: bearer(admin),
        payload: { name: 'search' },
      })
    ).json();
    const viaKey = (await search(test, key, 'annual leave accruals controller')).json().results;
    expect(viaKey.map((result: { title: string }) => result.title)).toEqual(['Annual Leave Policy']);

    // Another tenant sees none of it.
    const globex = await seedTenant(test.database.db, 'globex');
    const outsider = (await login(test.app, globex.users.super_admin.email)).access_token;
    expect((await search(test, outsider, 'annual leave')).json().results).toEqual([]);
    const outsiderGet = await test.app.inject({
      url: `/api/v1/documents/${shared.json().document_id}`,
      headers: bearer(outsider),
    });
    expect(outsiderGet.statusCode).toBe(404);
    const outsiderJob = await test.app.inject({
      url: `/api/v1/jobs/${shared.json().job_id}`,
      headers: bearer(outsider),
    });
    expect(outsiderJob.statusCode).toBe(404);
  });

  it('makes every upload a new document; a version replaces the content atomically, an unchanged one is a no-op', async () => {
    const first = await upload(test, admin, { name: 'leave.md', content: LEAVE_POLICY });
    await waitForJob(test, admin, first.json().job_id);
    // The same name (even the same bytes) uploaded again is another document.
    const again = await upload(test, admin, { name: 'leave.md', content: LEAVE_POLICY });
    expect(again.statusCode).toBe(202);
    expect(again.json().document_id).not.toBe(first.json().document_id);
    await waitForJob(test, admin, again.json().job_id);
    expect((await test.app.inject({ url: '/api/v1/documents', headers: bearer(admin) })).json().total).toBe(
      2,
    );
    await test.app.inject({
      method: 'DELETE',
      url: `/api/v1/documents/${again.json().document_id}`,
      headers: bearer(admin),
    });

    const unchanged = await addVersion(test, admin, first.json().document_id, {
      name: 'leave.md',
      content: LEAVE_POLICY,
    });
    expect(unchanged.json()).toMatchObject({ document_id: first.json().document_id, status: 'unchanged' });
    expect(
      (
        await test.app.inject({ url: `/api/v1/jobs/${unchanged.json().job_id}`, headers: bearer(admin) })
      ).json().status,
    ).toBe('succeeded');

    const changed = await addVersion(test, admin, first.json().document_id, {
      name: 'leave-2027.md',
      content: LEAVE_POLICY.replace('25 days', '28 days'),
    });
    expect(changed.statusCode).toBe(202);
    expect(changed.json()).toMatchObject({ document_id: first.json().document_id, status: 'queued' });
    await waitForJob(test, admin, changed.json().job_id);
    const results = (await search(test, admin, 'days of paid annual leave')).json().results;
    expect(results).toHaveLength(1);
    expect(results[0].snippet).toContain('28 days');
    // Only the new version's chunks remain.
    const chunks = await test.database.db.kysely
      .selectFrom('chunks')
      .select(['text', 'generation'])
      .execute();
    expect(chunks.every((chunk) => !chunk.text.includes('25 days'))).toBe(true);
    expect(new Set(chunks.map((chunk) => chunk.generation)).size).toBe(1);

    const deleted = await test.app.inject({
      method: 'DELETE',
      url: `/api/v1/documents/${first.json().document_id}`,
      headers: bearer(admin),
    });
    expect(deleted.statusCode).toBe(204);
    expect((await search(test, admin, 'annual leave')).json().results).toEqual([]);
    expect(await test.database.db.kysely.selectFrom('chunks').select('id').execute()).toEqual([]);
    const audit = await test.database.db.kysely
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'in', ['document.deleted', 'document.version_added', 'document.version_unchanged'])
      .execute();
    expect(audit.map((row) => row.action).sort()).toEqual([
      'document.deleted',
      'document.deleted',
      'document.version_added',
      'document.version_unchanged',
    ]);
  });

  it("never lets an upload touch another department's document of the same name (the reported overwrite)", async () => {
    const financeText = '# Falcon\n\nProject Falcon budget: the Finance forecast is 4.2 million dollars.\n';
    const hrText = '# Falcon\n\nFalcon is the HR mentoring scheme for new starters in the UK.\n';
    const finance = await upload(
      test,
      admin,
      { name: 'falcon.md', content: financeText },
      { departments: 'US/Finance' },
    );
    await waitForJob(test, admin, finance.json().job_id);
    const hr = await upload(test, manager, { name: 'falcon.md', content: hrText });
    expect(hr.statusCode).toBe(202);
    expect(hr.json().document_id).not.toBe(finance.json().document_id);
    await waitForJob(test, manager, hr.json().job_id);

    // Finance still reads its own document, unchanged, with its scope.
    const financeDocument = (
      await test.app.inject({
        url: `/api/v1/documents/${finance.json().document_id}`,
        headers: bearer(employee),
      })
    ).json();
    expect(financeDocument).toMatchObject({ departments: ['US/Finance'], status: 'ready' });
    const found = (await search(test, employee, 'Falcon forecast budget')).json().results;
    expect(found.map((result: { document_id: string }) => result.document_id)).toEqual([
      finance.json().document_id,
    ]);
    expect(found[0].snippet).toContain('4.2 million');
    // The UK/HR manager's document is UK/HR's alone.
    const hrDocument = (
      await test.app.inject({ url: `/api/v1/documents/${hr.json().document_id}`, headers: bearer(manager) })
    ).json();
    expect(hrDocument).toMatchObject({ departments: ['UK/HR'] });
    expect(
      (await search(test, manager, 'Falcon forecast budget'))
        .json()
        .results.map((r: { snippet: string }) => r.snippet),
    ).not.toContainEqual(expect.stringContaining('4.2 million'));
    // Nor can the manager replace the Finance document by its id.
    const overwrite = await addVersion(test, manager, finance.json().document_id, {
      name: 'falcon.md',
      content: hrText,
    });
    expect(overwrite.statusCode).toBe(404);
  });

  it('stores text extracted with NUL and other control characters without them', async () => {
    const json = JSON.stringify({
      policy: 'Remote\u0000 work is allowed\u0007 two days a week\u0000.',
      owner: 'People\u0000 team',
    });
    const accepted = await upload(test, admin, {
      name: 'remote.json',
      content: json,
      type: 'application/json',
    });
    expect(accepted.statusCode).toBe(202);
    const job = await waitForJob(test, admin, accepted.json().job_id);
    expect(job.status).toBe('succeeded');
    const chunks = await test.database.db.kysely
      .selectFrom('chunks')
      .select(['text', 'search_text'])
      .execute();
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) {
      expect([...chunk.text].filter((character) => character.charCodeAt(0) < 9)).toEqual([]);
      expect(chunk.search_text).not.toContain('\u0000');
    }
    expect(chunks.map((chunk) => chunk.text).join(' ')).toContain('Remote work is allowed two days a week');
    const found = (await search(test, admin, 'remote work days')).json().results;
    expect(found[0].snippet).toContain('Remote work');
  });

  it('rejects bad uploads clearly and keeps nothing half-ingested', async () => {
    const empty = await upload(test, admin, { name: 'empty.txt', content: '' });
    expect(empty.statusCode).toBe(400);
    const tooLarge = await upload(test, admin, { name: 'big.txt', content: 'x'.repeat(300_000) });
    expect(tooLarge.statusCode).toBe(413);
    const badScope = await upload(
      test,
      admin,
      { name: 'a.md', content: LEAVE_POLICY },
      { departments: 'Mars/HR' },
    );
    expect(badScope.statusCode).toBe(400);
    const foreignScope = await upload(
      test,
      manager,
      { name: 'a.md', content: LEAVE_POLICY },
      { departments: 'US/Finance' },
    );
    expect(foreignScope.statusCode).toBe(403);

    const corrupt = await upload(test, admin, {
      name: 'report.pdf',
      content: '%PDF-1.7\n1 0 obj << /Type /Catalog',
    });
    const corruptJob = await waitForJob(test, admin, corrupt.json().job_id);
    expect(corruptJob.status).toBe('failed');
    expect(corruptJob.error).toMatch(/PDF/i);
    const binary = await upload(test, admin, {
      name: 'notes.txt',
      content: new Uint8Array([0, 1, 2, 3, 0, 255, 254, 0, 7, 8]),
    });
    const binaryJob = await waitForJob(test, admin, binary.json().job_id);
    expect(binaryJob.status).toBe('failed');
    const documents = (
      await test.app.inject({ url: '/api/v1/documents?status=failed', headers: bearer(admin) })
    ).json();
    expect(documents.total).toBe(2);
    expect(documents.documents.every((document: { chunk_count: number }) => document.chunk_count === 0)).toBe(
      true,
    );
    expect(await test.database.db.kysely.selectFrom('chunks').select('id').execute()).toEqual([]);
  });
});

it('content managers cannot delete documents outside their scope', async () => {
  const test = await createTestApp('embedded', { isWorker: true });
  try {
    const acme = await seedTenant(test.database.db, 'acme');
    const admin = (await login(test.app, acme.users.super_admin.email)).access_token;
    const manager = (await login(test.app, acme.users.content_manager.email)).access_token;
    const tenantWide = await upload(test, admin, { name: 'leave.md', content: LEAVE_POLICY });
    await waitForJob(test, admin, tenantWide.json().job_id);
    const attempt = await test.app.inject({
      method: 'DELETE',
      url: `/api/v1/documents/${tenantWide.json().document_id}`,
      headers: bearer(manager),
    });
    expect(attempt.statusCode).toBe(403);
  } finally {
    await test.close();
  }
});

it('marks a document failed, with the reason, when the last attempt to ingest it died with its worker', async () => {
  const test = await createTestApp('embedded');
  try {
    const acme = await seedTenant(test.database.db, 'acme');
    const admin = (await login(test.app, acme.users.super_admin.email)).access_token;
    const accepted = (await upload(test, admin, { name: 'leave.md', content: LEAVE_POLICY })).json();
    const job = createIngestDocumentJob(DEFAULT_PARSE_LIMITS);
    const context = { db: test.database.db, jobId: accepted.job_id, log: silentLogger };
    await job.onStalled!(
      { tenantId: acme.tenantId, documentId: accepted.document_id },
      { ...context, attempt: 1, isFinal: false },
    );
    let state = (
      await test.app.inject({ url: `/api/v1/jobs/${accepted.job_id}`, headers: bearer(admin) })
    ).json();
    expect(state).toMatchObject({ status: 'queued' });
    expect(state.error).toMatch(/Attempt 1 did not finish: the worker running it stopped/);
    await job.onStalled!(
      { tenantId: acme.tenantId, documentId: accepted.document_id },
      { ...context, attempt: 3, isFinal: true },
    );
    state = (
      await test.app.inject({ url: `/api/v1/jobs/${accepted.job_id}`, headers: bearer(admin) })
    ).json();
    expect(state).toMatchObject({ status: 'failed' });
    const document = (
      await test.app.inject({ url: `/api/v1/documents/${accepted.document_id}`, headers: bearer(admin) })
    ).json();
    expect(document.status).toBe('failed');
    expect(document.error).toMatch(/could not be ingested: the worker running it stopped .* 3 times/);
  } finally {
    await test.close();
  }
});
