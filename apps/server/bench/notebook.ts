/**
 * The notebook case (issue 16), on an embedded server with its worker:
 * 1. upload-to-answerable: a 50-page PDF uploaded over HTTP to a notebook session — the
 *    202, the file indexed (job succeeded), and the first answer citing it;
 * 2. cleanup: NEXUS_BENCH_NOTEBOOK_SESSIONS (default 1,000) expired sessions, each with a
 *    file (5 passages, its original) and a conversation of two messages, deleted by the
 *    cleanup while another user asks knowledge questions — the cleanup's seconds, and chat
 *    latency idle vs during the cleanup. Figures, not pass/fail.
 */
import { sql } from 'kysely';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { deleteExpiredSessions } from '../src/modules/notebook/notebook.service.ts';
import { createTenant } from '../src/modules/tenancy/tenancy.service.ts';
import { createUser } from '../src/modules/users/users.service.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrate } from '../src/platform/db/migrations.ts';
import { signIn, startBenchApp } from './app.ts';
import { generateManual } from './large-document.ts';

async function buildPdf(pages: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const prose = generateManual(pages * 2_600, 7).replace(/[#\n]+/g, ' ');
  const words = prose.split(/\s+/);
  let index = 0;
  for (let number = 1; number <= pages; number++) {
    const page = pdf.addPage([595, 842]);
    page.drawText(`Page ${number}: section ${number}`, { x: 50, y: 800, size: 14, font });
    for (let line = 0, y = 770; line < 45; line++, y -= 16) {
      const text = words.slice(index, index + 11).join(' ');
      index += 11;
      page.drawText(
        number === 37 && line === 3 ? 'The calibration torque for the yaw bolts is 420 newton metres.' : text,
        {
          x: 50,
          y,
          size: 10,
          font,
        },
      );
    }
  }
  return pdf.save();
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function benchNotebook(sessionCount: number): Promise<void> {
  const db = await openDatabase({ kind: 'embedded', dataDir: 'memory://' });
  await migrate(db);
  const { app, close } = await startBenchApp(db, { isWorker: true });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const password = 'benchmark password 123';
  const { tenantId, ownerId } = await db.transaction(async (trx) => {
    const tenant = await createTenant(trx, { slug: 'notes', name: 'Notes' });
    const owner = await createUser(trx, {
      tenantId: tenant.id,
      email: 'owner@notes.example',
      password,
      role: 'user',
      department: 'UK/HR',
    });
    await createUser(trx, {
      tenantId: tenant.id,
      email: 'other@notes.example',
      password,
      role: 'user',
      department: 'UK/HR',
    });
    return { tenantId: tenant.id, ownerId: owner.id };
  });
  const signInAs = (email: string) => signIn(base, email, password);
  const owner = await signInAs('owner@notes.example');
  const other = await signInAs('other@notes.example');
  const call = async (token: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return response.json() as Promise<Record<string, unknown>>;
  };

  // 1. Upload to answerable.
  const pdf = await buildPdf(50);
  const session = (await call(owner, '/api/v1/notebook/sessions', {})) as { id: string };
  const form = new FormData();
  form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'turbine-manual.pdf');
  const started = performance.now();
  const accepted = (await (
    await fetch(`${base}/api/v1/notebook/sessions/${session.id}/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}` },
      body: form,
    })
  ).json()) as { files: { job_id: string }[] };
  const acceptedMs = performance.now() - started;
  let status = 'queued';
  while (status !== 'succeeded' && status !== 'failed') {
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = String((await call(owner, `/api/v1/jobs/${accepted.files[0]!.job_id}`)).status);
  }
  const indexedMs = performance.now() - started;
  const answer = (await call(owner, `/api/v1/notebook/sessions/${session.id}/chat`, {
    content: 'What is the calibration torque for the yaw bolts?',
  })) as { message: { content: string; citations: { page: number | null }[] } };
  const answerableMs = performance.now() - started;
  const view = (await call(owner, `/api/v1/notebook/sessions/${session.id}`)) as {
    files: { chunk_count: number; guide: unknown }[];
  };
  console.log(
    `\nnotebook: 50-page PDF (${(pdf.byteLength / 1024).toFixed(0)} KB, ${view.files[0]?.chunk_count} passages, job ${status}, guide ${view.files[0]?.guide ? 'written' : 'missing'}): ` +
      `202 in ${acceptedMs.toFixed(0)} ms; indexed in ${(indexedMs / 1000).toFixed(1)} s; first answer at ${(answerableMs / 1000).toFixed(1)} s ` +
      `(cites page ${answer.message.citations[0]?.page ?? 'none'}: ${answer.message.content.includes('420') ? 'right fact' : 'WRONG'})`,
  );

  // 2. Cleanup of expired sessions while someone else asks questions.
  await sql`
    INSERT INTO notebook_sessions (tenant_id, user_id, title, expires_at, total_size_bytes)
    SELECT ${tenantId}, ${ownerId}, 'expired ' || g, now() - interval '1 hour', 4000 FROM generate_series(1, ${sessionCount}) g`.execute(
    db.kysely,
  );
  await sql`
    INSERT INTO documents (tenant_id, notebook_session_id, title, status, is_active, chunk_count)
    SELECT tenant_id, id, 'notes.md', 'ready', true, 5 FROM notebook_sessions WHERE title LIKE 'expired %'`.execute(
    db.kysely,
  );
  await sql`
    INSERT INTO notebook_files (tenant_id, session_id, document_id, filename, size_bytes)
    SELECT tenant_id, notebook_session_id, id, 'notes.md', 4000 FROM documents WHERE title = 'notes.md'`.execute(
    db.kysely,
  );
  await sql`
    INSERT INTO chunks (tenant_id, document_id, ordinal, text, search_text, token_count)
    SELECT tenant_id, id, o, 'Private notes paragraph ' || o || ' about quarterly planning and budgets.',
      'Private notes paragraph ' || o || ' about quarterly planning and budgets.', 12
    FROM documents, generate_series(0, 4) o WHERE title = 'notes.md'`.execute(db.kysely);
  await sql`
    INSERT INTO document_blobs (document_id, tenant_id, filename, mime_type, size_bytes, content_hash)
    SELECT id, tenant_id, 'notes.md', 'text/markdown', 4000, md5(id::text) FROM documents WHERE title = 'notes.md'`.execute(
    db.kysely,
  );
  await sql`
    INSERT INTO document_blob_parts (document_id, tenant_id, part, bytes)
    SELECT id, tenant_id, 0, convert_to(repeat('notes ', 660), 'UTF8') FROM documents WHERE title = 'notes.md'`.execute(
    db.kysely,
  );
  await sql`
    INSERT INTO conversations (tenant_id, user_id, mode, notebook_session_id)
    SELECT tenant_id, user_id, 'notebook', id FROM notebook_sessions WHERE title LIKE 'expired %'`.execute(
    db.kysely,
  );
  await sql`
    INSERT INTO messages (tenant_id, conversation_id, role, content)
    SELECT tenant_id, id, role, 'a question or its answer' FROM conversations, unnest(ARRAY['user', 'assistant']) role
    WHERE notebook_session_id IS NOT NULL`.execute(db.kysely);
  await db.executeSql('ANALYZE');

  const knowledge = (await call(other, '/api/v1/conversations', { mode: 'rag' })) as { id: string };
  const askOnce = async () => {
    const askStarted = performance.now();
    await call(other, `/api/v1/conversations/${knowledge.id}/messages`, {
      content: 'What is the budget process?',
    });
    return performance.now() - askStarted;
  };
  const idle: number[] = [];
  for (let index = 0; index < 20; index++) idle.push(await askOnce());

  const during: number[] = [];
  let isCleaning = true;
  const asker = (async () => {
    while (isCleaning) during.push(await askOnce());
  })();
  const cleanupStarted = performance.now();
  const removed = await deleteExpiredSessions(db);
  const cleanupSeconds = (performance.now() - cleanupStarted) / 1000;
  isCleaning = false;
  await asker;
  const left = await sql<{
    count: number;
  }>`SELECT count(*)::int AS count FROM chunks WHERE document_id IN (SELECT id FROM documents WHERE title = 'notes.md')`.execute(
    db.kysely,
  );
  console.log(
    `notebook cleanup: ${removed.sessions} expired sessions (${removed.files} files, ${(removed.bytes / 1_000_000).toFixed(1)} MB) deleted in ${cleanupSeconds.toFixed(1)} s = ` +
      `${(removed.sessions / cleanupSeconds).toFixed(0)} sessions/s; ${left.rows[0]!.count} of their passages left`,
  );
  console.log(
    `  knowledge chat (JSON) idle: p50 ${percentile(idle, 50).toFixed(0)} / max ${Math.max(...idle).toFixed(0)} ms (n=${idle.length}); ` +
      `during cleanup: p50 ${percentile(during, 50).toFixed(0)} / p95 ${percentile(during, 95).toFixed(0)} / max ${Math.max(...during).toFixed(0)} ms (n=${during.length})`,
  );
  await close();
  await db.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchNotebook(Number(process.env.NEXUS_BENCH_NOTEBOOK_SESSIONS ?? 1000));
}
