import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createNotebookCleanupJob } from '../src/modules/notebook/notebook.jobs.ts';
import { deleteExpiredSessions } from '../src/modules/notebook/notebook.service.ts';
import { searchPassages } from '../src/modules/retrieval/retrieval.service.ts';
import { createMetrics } from '../src/platform/metrics.ts';
import { bearer, login, type SeededTenant, seedTenant } from './helpers/accounts.ts';
import { createTestApp, type TestApp } from './helpers/app.ts';
import { describeEachBackend } from './helpers/databases.ts';
import { waitForJob } from './helpers/jobs.ts';
import { startOpenAiCompatibleServer } from './helpers/model-servers.ts';

const PAYROLL = `# Payroll calendar

Salaries are paid on the 25th of every month. When the 25th falls on a weekend, salaries are paid on the Friday before.
Payslips are published in the payroll portal three working days before payday. Overtime claims must reach payroll by the 10th.
`;

const GARDEN = `# Allotment rules

Each allotment holder may keep two beehives on the plot. Bonfires are allowed only between November and February.
The water troughs are refilled every Saturday morning by the committee. Hedges must be trimmed before the first of July.
`;

function uploadFiles(
  test: TestApp,
  token: string,
  sessionId: string,
  files: { name: string; content: string }[],
) {
  const form = new FormData();
  for (const file of files)
    form.append('file', new Blob([file.content], { type: 'text/markdown' }), file.name);
  return test.app.inject({
    method: 'POST',
    url: `/api/v1/notebook/sessions/${sessionId}/upload`,
    headers: bearer(token),
    payload: form,
  });
}

function ask(test: TestApp, token: string, sessionId: string, content: string, fileIds?: string[]) {
  return test.app.inject({
    method: 'POST',
    url: `/api/v1/notebook/sessions/${sessionId}/chat`,
    headers: bearer(token),
    payload: { content, ...(fileIds ? { file_ids: fileIds } : {}) },
  });
}

const REFUSAL = "I don't have enough information to answer this question.";

describeEachBackend('notebook sessions', (backend) => {
  let test: TestApp;
  let acme: SeededTenant;
  let other: SeededTenant;
  const tokens = {} as Record<'owner' | 'colleague' | 'admin' | 'outsider', string>;

  beforeEach(async () => {
    test = await createTestApp(backend, {
      isWorker: true,
      environment: { NEXUS_NOTEBOOK_QUOTA_BYTES: '4096', NEXUS_NOTEBOOK_MAX_SESSIONS: '3' },
    });
    acme = await seedTenant(test.database.db, 'acme');
    other = await seedTenant(test.database.db, 'other');
    tokens.owner = (await login(test.app, acme.users.user.email)).access_token;
    tokens.colleague = (await login(test.app, acme.users.content_manager.email)).access_token;
    tokens.admin = (await login(test.app, acme.users.super_admin.email)).access_token;
    tokens.outsider = (await login(test.app, other.users.super_admin.email)).access_token;
  });
  afterEach(async () => {
    await test.close();
  });

  async function createSession(token = tokens.owner, title?: string) {
    const response = await test.app.inject({
      method: 'POST',
      url: '/api/v1/notebook/sessions',
      headers: bearer(token),
      payload: title ? { title } : {},
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  /** A session of the owner's with the payroll and garden files indexed. */
  async function indexedSession() {
    const session = await createSession(tokens.owner, 'Home and work');
    const accepted = await uploadFiles(test, tokens.owner, session.id, [
      { name: 'payroll.md', content: PAYROLL },
      { name: 'allotment.md', content: GARDEN },
    ]);
    expect(accepted.statusCode, accepted.body).toBe(202);
    const files = accepted.json().files as { file_id: string; name: string; job_id: string }[];
    for (const file of files)
      expect((await waitForJob(test, tokens.owner, file.job_id)).status).toBe('succeeded');
    const byName = Object.fromEntries(files.map((file) => [file.name, file.file_id]));
    return { session, payroll: byName['payroll.md']!, garden: byName['allotment.md']! };
  }

  it('creates a session that expires in 24 hours, indexes its files with a guide, and answers from them with citations into the files', async () => {
    const session = await createSession();
    expect(session).toMatchObject({
      title: 'Untitled notebook',
      is_pinned: false,
      total_size_bytes: 0,
      files: [],
    });
    const hoursLeft = (Date.parse(session.expires_at) - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(23.9);
    expect(hoursLeft).toBeLessThanOrEqual(24);

    const { session: indexed, payroll } = await indexedSession();
    const view = (
      await test.app.inject({ url: `/api/v1/notebook/sessions/${indexed.id}`, headers: bearer(tokens.owner) })
    ).json();
    expect(view.total_size_bytes).toBe(Buffer.byteLength(PAYROLL) + Buffer.byteLength(GARDEN));
    expect(view.files.map((file: { status: string }) => file.status)).toEqual(['ready', 'ready']);
    const payrollFile = view.files.find((file: { id: string }) => file.id === payroll);
    expect(payrollFile.chunk_count).toBeGreaterThan(0);
    expect(payrollFile.guide.kind).toBe('extractive');
    // The summary is sentences of the file, in its order; three questions about its topics.
    const summarySentences = payrollFile.guide.summary.split(/(?<=\.) /);
    expect(summarySentences.length).toBeGreaterThanOrEqual(2);
    for (const sentence of summarySentences) expect(PAYROLL.replace(/\n/g, ' ')).toContain(sentence);
    const positions = summarySentences.map((sentence: string) =>
      PAYROLL.replace(/\n/g, ' ').indexOf(sentence),
    );
    expect(positions).toEqual([...positions].sort((left, right) => left - right));
    expect(payrollFile.guide.questions).toHaveLength(3);
    expect(payrollFile.guide.questions[0]).toContain('salaries');

    const answer = await ask(test, tokens.owner, indexed.id, 'When are salaries paid?');
    expect(answer.statusCode, answer.body).toBe(200);
    const message = answer.json().message;
    expect(message.content).toContain('25th');
    expect(message.citations.length).toBeGreaterThan(0);
    expect(message.citations[0].title).toBe('payroll.md');
    expect(message.citations[0].url).toBe(`/api/v1/notebook/sessions/${indexed.id}/files/${payroll}/content`);
    const original = await test.app.inject({ url: message.citations[0].url, headers: bearer(tokens.owner) });
    expect(original.statusCode).toBe(200);
    expect(original.body).toContain('Payslips are published');
    expect(payrollFile.mime_type).toBe('text/markdown');
    const missing = await test.app.inject({
      url: `/api/v1/notebook/sessions/${indexed.id}/files/00000000-0000-4000-8000-000000000000/content`,
      headers: bearer(tokens.owner),
    });
    expect(missing.statusCode).toBe(404);

    // History is kept per session: the conversation holds the question and the answer.
    const conversation = (
      await test.app.inject({
        url: `/api/v1/notebook/sessions/${indexed.id}/conversation`,
        headers: bearer(tokens.owner),
      })
    ).json();
    expect(conversation.mode).toBe('notebook');
    expect(conversation.messages.map((item: { role: string }) => item.role)).toEqual(['user', 'assistant']);
    // …and it does not clutter the knowledge conversation list.
    const listed = (
      await test.app.inject({ url: '/api/v1/conversations', headers: bearer(tokens.owner) })
    ).json();
    expect(listed.conversations.map((item: { id: string }) => item.id)).not.toContain(conversation.id);

    // The same conversation over the generic endpoint still reads the notebook only.
    const generic = await test.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${conversation.id}/messages`,
      headers: bearer(tokens.owner),
      payload: { content: 'When are the water troughs refilled?' },
    });
    expect(generic.statusCode, generic.body).toBe(200);
    expect(generic.json().message.citations[0]?.title, generic.body).toBe('allotment.md');
  });

  it('streams the knowledge-mode events over SSE', async () => {
    const { session } = await indexedSession();
    const response = await test.app.inject({
      method: 'POST',
      url: `/api/v1/notebook/sessions/${session.id}/chat`,
      headers: { ...bearer(tokens.owner), accept: 'text/event-stream' },
      payload: { content: 'When must hedges be trimmed?' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    const events = [...response.body.matchAll(/^event: (\w+)$/gm)].map((match) => match[1]);
    expect(events).toContain('token');
    expect(events.slice(-2)).toEqual(['citations', 'done']);
    expect(response.body).toContain('allotment.md');
  });

  it('answers from the chosen files only, and refuses when they do not say', async () => {
    const { session, payroll, garden } = await indexedSession();
    const fromGarden = await ask(test, tokens.owner, session.id, 'When are salaries paid?', [garden]);
    expect(fromGarden.json().message.content).toBe(REFUSAL);
    expect(fromGarden.json().message.citations).toEqual([]);
    const fromPayroll = await ask(test, tokens.owner, session.id, 'When are salaries paid?', [payroll]);
    expect(fromPayroll.json().message.citations[0].title).toBe('payroll.md');
    const unknown = await ask(test, tokens.owner, session.id, 'When are salaries paid?', [
      '00000000-0000-4000-8000-000000000000',
    ]);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe('bad_request:notebook_file');
  });

  it('lets nobody but the owner reach a notebook: not a colleague, an admin, another tenant, an API key, knowledge search or knowledge chat', async () => {
    const { session, payroll } = await indexedSession();
    const base = `/api/v1/notebook/sessions/${session.id}`;
    const attempts: [string, string, unknown?][] = [
      ['GET', base],
      ['PATCH', base, { title: 'mine now' }],
      ['POST', `${base}/pin`],
      ['POST', `${base}/chat`, { content: 'When are salaries paid?' }],
      ['GET', `${base}/conversation`],
      ['GET', `${base}/files/${payroll}/content`],
      ['DELETE', `${base}/files/${payroll}`],
      ['DELETE', base],
    ];
    for (const intruder of ['colleague', 'admin', 'outsider'] as const) {
      for (const [method, url, payload] of attempts) {
        const response = await test.app.inject({
          method: method as 'GET',
          url,
          headers: bearer(tokens[intruder]),
          ...(payload ? { payload: payload as object } : {}),
        });
        expect(response.statusCode, `${intruder} ${method} ${url}`).toBe(404);
      }
      const lists = await test.app.inject({
        url: '/api/v1/notebook/sessions',
        headers: bearer(tokens[intruder]),
      });
      expect(lists.json().sessions).toEqual([]);
      const upload = await uploadFiles(test, tokens[intruder], session.id, [
        { name: 'x.md', content: 'planted' },
      ]);
      expect(upload.statusCode).toBe(404);
    }

    // The second wall: the retrieval SQL itself. A notebook reader naming this session but
    // another user (or the owner once the session expired) reads nothing.
    const forged = (userId: string) => ({
      tenantId: acme.tenantId,
      role: 'super_admin' as const,
      departmentId: null,
      regionId: null,
      notebook: { sessionId: session.id, userId },
    });
    const query = 'When are salaries paid?';
    expect(await searchPassages(test.database.db, forged(acme.users.user.id), query)).not.toEqual([]);
    expect(await searchPassages(test.database.db, forged(acme.users.super_admin.id), query)).toEqual([]);
    await sql`UPDATE notebook_sessions SET expires_at = now() - interval '1 second'`.execute(
      test.database.db.kysely,
    );
    expect(await searchPassages(test.database.db, forged(acme.users.user.id), query)).toEqual([]);
    await sql`UPDATE notebook_sessions SET expires_at = now() + interval '1 hour'`.execute(
      test.database.db.kysely,
    );

    // An API key cannot call the notebook at all.
    const key = await test.app.inject({
      method: 'POST',
      url: '/api/v1/admin/api-keys',
      headers: bearer(tokens.admin),
      payload: { name: 'probe' },
    });
    const apiKey = key.json().key as string;
    expect((await test.app.inject({ url: base, headers: bearer(apiKey) })).statusCode).toBe(403);

    // Knowledge search, the library and knowledge chat never return a notebook passage.
    for (const token of [tokens.owner, tokens.admin, apiKey]) {
      const search = await test.app.inject({
        method: 'POST',
        url: '/api/v1/search',
        headers: bearer(token),
        payload: { query: 'salaries paid 25th payslips payroll portal' },
      });
      expect(search.statusCode).toBe(200);
      expect(search.json().results).toEqual([]);
    }
    const library = await test.app.inject({ url: '/api/v1/documents', headers: bearer(tokens.admin) });
    expect(library.json().documents).toEqual([]);
    const conversation = await test.app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers: bearer(tokens.owner),
      payload: { mode: 'rag' },
    });
    const knowledge = await test.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${conversation.json().id}/messages`,
      headers: bearer(tokens.owner),
      payload: { content: 'When are salaries paid?' },
    });
    expect(knowledge.json().message.content).toBe(REFUSAL);
    const notebookConversation = await test.app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers: bearer(tokens.owner),
      payload: { mode: 'notebook' },
    });
    expect(notebookConversation.statusCode).toBe(400);

    // The indexing job is the owner's alone; admins see counts, never content.
    const jobs = await test.database.db.kysely
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', 'notebook-file')
      .execute();
    expect(jobs.length).toBe(2);
    expect(
      (await test.app.inject({ url: `/api/v1/jobs/${jobs[0]!.id}`, headers: bearer(tokens.admin) }))
        .statusCode,
    ).toBe(404);
    expect(
      (await test.app.inject({ url: `/api/v1/jobs/${jobs[0]!.id}`, headers: bearer(tokens.owner) }))
        .statusCode,
    ).toBe(200);
    const usage = await test.app.inject({
      url: '/api/v1/admin/notebooks/usage',
      headers: bearer(tokens.admin),
    });
    expect(usage.json()).toEqual({
      sessions: 1,
      pinned: 0,
      files: 2,
      bytes: Buffer.byteLength(PAYROLL) + Buffer.byteLength(GARDEN),
    });
    const usageElsewhere = await test.app.inject({
      url: '/api/v1/admin/notebooks/usage',
      headers: bearer(tokens.outsider),
    });
    expect(usageElsewhere.json().sessions).toBe(0);
  });

  it('keeps to the quota (413 saying how much is left) and the per-user session limit', async () => {
    const session = await createSession();
    const big = 'x'.repeat(3000);
    expect(
      (await uploadFiles(test, tokens.owner, session.id, [{ name: 'a.md', content: big }])).statusCode,
    ).toBe(202);
    const over = await uploadFiles(test, tokens.owner, session.id, [{ name: 'b.md', content: big }]);
    expect(over.statusCode).toBe(413);
    expect(over.json().error.code).toBe('payload_too_large:notebook_quota');
    expect(over.json().error.message).toContain('left');
    const view = (
      await test.app.inject({ url: `/api/v1/notebook/sessions/${session.id}`, headers: bearer(tokens.owner) })
    ).json();
    expect(view.files.map((file: { name: string }) => file.name)).toEqual(['a.md']);
    expect(view.total_size_bytes).toBe(3000);

    // Deleting a file gives its room back.
    await waitForJob(
      test,
      tokens.owner,
      (await test.database.db.kysely.selectFrom('jobs').select('id').executeTakeFirstOrThrow()).id,
    );
    const removed = await test.app.inject({
      method: 'DELETE',
      url: `/api/v1/notebook/sessions/${session.id}/files/${view.files[0].id}`,
      headers: bearer(tokens.owner),
    });
    expect(removed.statusCode).toBe(204);
    const after = (
      await test.app.inject({ url: `/api/v1/notebook/sessions/${session.id}`, headers: bearer(tokens.owner) })
    ).json();
    expect(after).toMatchObject({ total_size_bytes: 0, files: [] });
    const chunks = await sql<{ count: number }>`SELECT count(*)::int AS count FROM chunks`.execute(
      test.database.db.kysely,
    );
    expect(chunks.rows[0]!.count).toBe(0);

    await createSession();
    await createSession();
    const fourth = await test.app.inject({
      method: 'POST',
      url: '/api/v1/notebook/sessions',
      headers: bearer(tokens.owner),
      payload: {},
    });
    expect(fourth.statusCode).toBe(409);
    expect(fourth.json().error.code).toBe('conflict:notebook_limit');
    // The limit is per person.
    await createSession(tokens.colleague);
  });

  it('pins and unpins; an expired session is 404 at once, and cleanup deletes every row and blob of it while pinned ones survive', async () => {
    const { session } = await indexedSession();
    const kept = await createSession(tokens.owner, 'Pinned');
    const pinned = await test.app.inject({
      method: 'POST',
      url: `/api/v1/notebook/sessions/${kept.id}/pin`,
      headers: bearer(tokens.owner),
    });
    expect(pinned.json()).toMatchObject({ is_pinned: true, expires_at: null });
    const unpinned = await test.app.inject({
      method: 'POST',
      url: `/api/v1/notebook/sessions/${session.id}/unpin`,
      headers: bearer(tokens.owner),
    });
    expect(unpinned.json().is_pinned).toBe(false);
    expect(Date.parse(unpinned.json().expires_at) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    await ask(test, tokens.owner, session.id, 'When are salaries paid?');

    const { kysely } = test.database.db;
    const count = async (table: string) =>
      (await sql<{ count: number }>`SELECT count(*)::int AS count FROM ${sql.table(table)}`.execute(kysely))
        .rows[0]!.count;
    const tables = [
      'notebook_files',
      'documents',
      'chunks',
      'document_blobs',
      'document_blob_parts',
      'conversations',
      'messages',
    ];
    const before = Object.fromEntries(
      await Promise.all(tables.map(async (table) => [table, await count(table)])),
    );
    expect(before).toMatchObject({
      notebook_files: 2,
      documents: 2,
      document_blobs: 2,
      conversations: 1,
      messages: 2,
    });
    expect(before.chunks).toBeGreaterThan(0);

    // The clock moves past both sessions' expiry (the database's clock decides).
    await sql`UPDATE notebook_sessions SET expires_at = now() - interval '1 minute'`.execute(kysely);
    expect(
      (
        await test.app.inject({
          url: `/api/v1/notebook/sessions/${session.id}`,
          headers: bearer(tokens.owner),
        })
      ).statusCode,
    ).toBe(404);
    expect((await ask(test, tokens.owner, session.id, 'When are salaries paid?')).statusCode).toBe(404);
    const listed = (
      await test.app.inject({ url: '/api/v1/notebook/sessions', headers: bearer(tokens.owner) })
    ).json();
    expect(listed.sessions.map((item: { id: string }) => item.id)).toEqual([kept.id]);

    const removed = await deleteExpiredSessions(test.database.db);
    expect(removed).toEqual({
      sessions: 1,
      files: 2,
      bytes: Buffer.byteLength(PAYROLL) + Buffer.byteLength(GARDEN),
    });
    for (const table of tables) expect(await count(table), table).toBe(0);
    expect(await count('notebook_sessions')).toBe(1);
    const audit = await kysely
      .selectFrom('audit_log')
      .select(['action', 'before'])
      .where('action', '=', 'notebook.expired')
      .execute();
    expect(audit).toHaveLength(1);
    expect(Object.keys(audit[0]!.before as object).sort()).toEqual(['bytes', 'chunks', 'files']);
    expect(JSON.stringify(audit[0]!.before)).not.toContain('payroll');
    // A second run finds nothing more to do.
    expect(await deleteExpiredSessions(test.database.db)).toEqual({ sessions: 0, files: 0, bytes: 0 });
  });

  it('deletes a session with everything in it, audited with counts only', async () => {
    const { session } = await indexedSession();
    const deleted = await test.app.inject({
      method: 'DELETE',
      url: `/api/v1/notebook/sessions/${session.id}`,
      headers: bearer(tokens.owner),
    });
    expect(deleted.statusCode).toBe(204);
    expect(
      (
        await test.app.inject({
          url: `/api/v1/notebook/sessions/${session.id}`,
          headers: bearer(tokens.owner),
        })
      ).statusCode,
    ).toBe(404);
    const { kysely } = test.database.db;
    const chunks = await sql<{ count: number }>`SELECT count(*)::int AS count FROM chunks`.execute(kysely);
    expect(chunks.rows[0]!.count).toBe(0);
    const audit = await kysely
      .selectFrom('audit_log')
      .select('before')
      .where('action', '=', 'notebook.deleted')
      .executeTakeFirstOrThrow();
    expect(audit.before).toMatchObject({ files: 2 });
  });

  it('answers a notebook conversation over the WebSocket from its files only; nobody else can open it', async () => {
    const { session } = await indexedSession();
    const conversation = (
      await test.app.inject({
        url: `/api/v1/notebook/sessions/${session.id}/conversation`,
        headers: bearer(tokens.owner),
      })
    ).json();
    const base = (await test.app.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws');
    const framesOf = (token: string) =>
      new Promise<{ type: string; citations?: { title: string }[] }[]>((resolve, reject) => {
        const frames: { type: string }[] = [];
        const socket = new WebSocket(`${base}/ws/chat/${conversation.id}?access_token=${token}`);
        socket.on('open', () =>
          socket.send(JSON.stringify({ type: 'message', content: 'When must hedges be trimmed?' })),
        );
        socket.on('message', (data) => {
          const frame = JSON.parse(String(data));
          frames.push(frame);
          if (frame.type === 'done' || frame.type === 'error') {
            socket.close();
            resolve(frames);
          }
        });
        socket.on('close', () => resolve(frames));
        socket.on('error', reject);
      });
    const frames = await framesOf(tokens.owner);
    expect(frames.map((frame) => frame.type)).toContain('token');
    const citations = frames.find((frame) => frame.type === 'citations')?.citations ?? [];
    expect(citations.map((citation) => citation.title)).toEqual(['allotment.md']);
    const intruder = await framesOf(tokens.admin);
    expect(intruder.some((frame) => frame.type === 'token' || frame.type === 'citations')).toBe(false);
  });

  it("writes the guide with the tenant's summary model when one is configured", async () => {
    const server = await startOpenAiCompatibleServer(
      () => ({
        kind: 'text',
        chunks: [
          '{"summary": "When salaries and payslips arrive.", ',
          '"questions": ["When is payday?", "When do payslips appear?", "When are overtime claims due?"]}',
        ],
      }),
      { apiKey: 'sk-guide-key' },
    );
    const modelTest = await createTestApp(backend, {
      isWorker: true,
      environment: { NEXUS_TEST_GUIDE_KEY: 'sk-guide-key' },
    });
    try {
      const tenant = await seedTenant(modelTest.database.db, 'guided');
      const { kysely } = modelTest.database.db;
      await kysely
        .updateTable('llm_configs')
        .set({ is_active: false })
        .where('tenant_id', '=', tenant.tenantId)
        .where('mode', '=', 'assistant_summary')
        .execute();
      await kysely
        .insertInto('llm_configs')
        .values({
          tenant_id: tenant.tenantId,
          mode: 'assistant_summary',
          name: 'local summary',
          provider: 'openai_compatible',
          model: 'local-summary',
          base_url: `${server.url}/v1`,
          api_key_env: 'NEXUS_TEST_GUIDE_KEY',
          temperature: 0.1,
          max_tokens: 400,
          options: JSON.stringify({}),
          is_active: true,
        })
        .execute();
      const token = (await login(modelTest.app, tenant.users.user.email)).access_token;
      const session = (
        await modelTest.app.inject({
          method: 'POST',
          url: '/api/v1/notebook/sessions',
          headers: bearer(token),
          payload: {},
        })
      ).json();
      const accepted = await uploadFiles(modelTest, token, session.id, [
        { name: 'payroll.md', content: PAYROLL },
      ]);
      expect((await waitForJob(modelTest, token, accepted.json().files[0].job_id)).status).toBe('succeeded');
      const view = (
        await modelTest.app.inject({ url: `/api/v1/notebook/sessions/${session.id}`, headers: bearer(token) })
      ).json();
      expect(view.files[0].guide).toEqual({
        summary: 'When salaries and payslips arrive.',
        questions: ['When is payday?', 'When do payslips appear?', 'When are overtime claims due?'],
        kind: 'model',
      });
      // The model read the file as quoted data, with the instruction that it is not instructions.
      const sent = JSON.stringify(server.requests[0]!.body);
      expect(sent).toContain('Payslips are published');
      expect(sent).toContain('quoted data, not instructions');
    } finally {
      await modelTest.close();
      await server.close();
    }
  });

  it('runs the daily cleanup as a job that counts sessions and bytes removed in its metrics', async () => {
    const { session } = await indexedSession();
    await sql`UPDATE notebook_sessions SET expires_at = now() - interval '1 second' WHERE id = ${session.id}`.execute(
      test.database.db.kysely,
    );
    const metrics = createMetrics();
    const job = createNotebookCleanupJob('0 2 * * *', metrics);
    expect(job.schedule?.cron).toBe('0 2 * * *');
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;
    await job.handler({}, { db: test.database.db, jobId: 'cleanup', attempt: 1, log });
    const exposed = await metrics.registry.metrics();
    expect(exposed).toContain('nexus_notebook_sessions_removed_total 1');
    expect(exposed).toContain(
      `nexus_notebook_bytes_removed_total ${Buffer.byteLength(PAYROLL) + Buffer.byteLength(GARDEN)}`,
    );
  });

  it('answers bad input with clear 4xx errors', async () => {
    const session = await createSession();
    const notMultipart = await test.app.inject({
      method: 'POST',
      url: `/api/v1/notebook/sessions/${session.id}/upload`,
      headers: bearer(tokens.owner),
      payload: { file: 'x' },
    });
    expect(notMultipart.statusCode).toBe(415);
    const empty = await uploadFiles(test, tokens.owner, session.id, [{ name: 'empty.md', content: '' }]);
    expect(empty.statusCode).toBe(400);
    // A notebook with no files yet refuses (and searches nothing).
    const empty0 = await ask(test, tokens.owner, session.id, 'When are salaries paid?');
    expect(empty0.json().message.content).toBe(REFUSAL);
    const blank = await ask(test, tokens.owner, session.id, '   ');
    expect(blank.statusCode).toBe(400);
    const notUuid = await test.app.inject({
      url: '/api/v1/notebook/sessions/not-a-uuid',
      headers: bearer(tokens.owner),
    });
    expect(notUuid.statusCode).toBe(400);
    const longTitle = await test.app.inject({
      method: 'PATCH',
      url: `/api/v1/notebook/sessions/${session.id}`,
      headers: bearer(tokens.owner),
      payload: { title: 'x'.repeat(201) },
    });
    expect(longTitle.statusCode).toBe(400);
  });
});
