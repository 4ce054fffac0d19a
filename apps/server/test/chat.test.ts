import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSAL_TEXT } from '../src/modules/llm/llm.types.ts';
import { bearer } from './helpers/accounts.ts';
import { describeEachBackend } from './helpers/databases.ts';
import { askQuestion, createDemoApp, type DemoApp, markers, startConversation } from './helpers/demo.ts';
import { collectChatStream, readSse } from './helpers/sse.ts';

const GOLDEN_QUESTION = 'How many days of annual leave do UK employees get?';
const UNANSWERABLE = 'What is the capital of Mars?';
describeEachBackend('grounded chat on the demo documents', (backend) => {
  let demo: DemoApp;
  let employee: string;

  beforeAll(async () => {
    demo = await createDemoApp(backend);
    employee = await demo.tokenFor('employee@northwind.example');
  });
  afterAll(async () => {
    await demo?.close();
  });

  it('answers the golden question with a citation to the leave policy, and titles the conversation', async () => {
    const id = await startConversation(demo, employee);
    const response = await askQuestion(demo, employee, id, GOLDEN_QUESTION);
    expect(response.statusCode, response.body).toBe(200);
    const { message } = response.json();
    expect(message.role).toBe('assistant');
    expect(message.status).toBe('complete');
    expect(message.content).toContain('25 days');
    expect(message.citations.map((citation: { title: string }) => citation.title)).toContain(
      'UK Annual Leave Policy',
    );
    // Every marker in the answer has its citation, and every citation is cited.
    const cited = new Set(markers(message.content));
    expect(cited.size).toBeGreaterThan(0);
    expect(new Set(message.citations.map((citation: { index: number }) => citation.index))).toEqual(cited);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.provider).toBe('offline');

    const conversation = await demo.app.inject({
      method: 'GET',
      url: `/api/v1/conversations/${id}`,
      headers: bearer(employee),
    });
    const detail = conversation.json();
    expect(detail.title).toBe(GOLDEN_QUESTION);
    expect(detail.messages.map((stored: { role: string }) => stored.role)).toEqual(['user', 'assistant']);
    expect(detail.messages[0].content).toBe(GOLDEN_QUESTION);
    expect(detail.messages[1].citations).toEqual(message.citations);
  });

  it('refuses an unanswerable question with the exact text and no citations', async () => {
    const id = await startConversation(demo, employee);
    for (const question of [UNANSWERABLE, 'What is the policy on bringing pets to the office?']) {
      const response = await askQuestion(demo, employee, id, question);
      const { message } = response.json();
      expect(message.content).toBe(REFUSAL_TEXT);
      expect(message.citations).toEqual([]);
    }
  });

  it('streams token, citations and done events whose text is the stored answer', async () => {
    const id = await startConversation(demo, employee);
    const response = await fetch(`${demo.baseUrl}/api/v1/conversations/${id}/messages`, {
      method: 'POST',
      headers: { ...bearer(employee), accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ content: GOLDEN_QUESTION }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const stream = await collectChatStream(response);
    expect(stream.error).toBeNull();
    expect(stream.tokens.length).toBeGreaterThan(1);
    expect(stream.order.at(-2)).toBe('citations');
    expect(stream.order.at(-1)).toBe('done');
    expect(stream.text).toContain('25 days');
    expect(stream.citations!.some((citation) => citation.title === 'UK Annual Leave Policy')).toBe(true);
    expect(stream.done!.usage.output_tokens).toBeGreaterThan(0);

    const detail = (
      await demo.app.inject({ method: 'GET', url: `/api/v1/conversations/${id}`, headers: bearer(employee) })
    ).json();
    const stored = detail.messages.find((message: { id: string }) => message.id === stream.done!.message_id);
    expect(stored.content).toBe(stream.text);
  });

  it('answers over GET /api/v1/chat/stream in the EventSource format of the seeds', async () => {
    const id = await startConversation(demo, employee);
    const query = new URLSearchParams({ conversation_id: id, query: GOLDEN_QUESTION });
    const response = await fetch(`${demo.baseUrl}/api/v1/chat/stream?${query}`, {
      headers: bearer(employee),
    });
    const frames: { token?: string; done?: boolean; message_id?: string }[] = [];
    for await (const frame of readSse(response)) {
      expect(frame.event).toBe('message'); // unnamed frames, for EventSource.onmessage
      frames.push(JSON.parse(frame.data));
    }
    expect(frames.map((frame) => frame.token ?? '').join('')).toContain('25 days');
    expect(frames.at(-1)).toMatchObject({ done: true });
    expect(frames.at(-1)?.message_id).toBeTruthy();
  });

  it('rewrites a follow-up into a stand-alone question using the history', async () => {
    const ask = async (conversationId: string, content: string) =>
      (await askQuestion(demo, employee, conversationId, content)).json().message as {
        content: string;
        citations: { title: string }[];
      };
    const followUp = 'How do I book them?';
    // On its own, "book them" is about booking travel.
    const alone = await ask(await startConversation(demo, employee), followUp);
    expect(alone.citations.map((citation) => citation.title)).toContain('Travel and Expense Policy');
    // After a question about annual leave, it is about booking leave.
    const id = await startConversation(demo, employee);
    await ask(id, GOLDEN_QUESTION);
    const inContext = await ask(id, followUp);
    expect(inContext.content).toMatch(/annual leave/);
    expect(inContext.citations.map((citation) => citation.title)).not.toContain('Travel and Expense Policy');
  });

  it('never cites a document outside the reader’s scope', async () => {
    // The leave policy is for the UK region; a US Finance question from a UK user finds
    // nothing about the US finance close procedure (scoped to US/Finance).
    const id = await startConversation(demo, employee);
    const response = await askQuestion(
      demo,
      employee,
      id,
      'When is the month-end close reporting pack deadline?',
    );
    const { message } = response.json();
    expect(message.citations.map((citation: { title: string }) => citation.title)).not.toContain(
      'US Finance Month-End Close Procedure',
    );
    const admin = await demo.tokenFor('admin@northwind.example');
    const adminConversation = await startConversation(demo, admin);
    const adminAnswer = (
      await askQuestion(
        demo,
        admin,
        adminConversation,
        'When is the month-end close reporting pack deadline?',
      )
    ).json().message;
    expect(adminAnswer.citations.map((citation: { title: string }) => citation.title)).toContain(
      'US Finance Month-End Close Procedure',
    );
  });
});

describe('conversations', () => {
  let demo: DemoApp;
  let employee: string;
  let manager: string;

  beforeAll(async () => {
    demo = await createDemoApp('embedded');
    employee = await demo.tokenFor('employee@northwind.example');
    manager = await demo.tokenFor('manager@northwind.example');
  });
  afterAll(async () => {
    await demo?.close();
  });

  it('lists, filters, renames and deletes only the owner’s conversations', async () => {
    const first = await startConversation(demo, employee);
    const second = await startConversation(demo, employee, 'assistant');
    const others = await startConversation(demo, manager);

    const list = async (query = '') =>
      (
        await demo.app.inject({
          method: 'GET',
          url: `/api/v1/conversations${query}`,
          headers: bearer(employee),
        })
      ).json();
    const all = await list();
    expect(all.conversations.map((conversation: { id: string }) => conversation.id).sort()).toEqual(
      [first, second].sort(),
    );
    expect((await list('?mode=assistant')).conversations.map((c: { id: string }) => c.id)).toEqual([second]);

    const renamed = await demo.app.inject({
      method: 'PATCH',
      url: `/api/v1/conversations/${first}`,
      headers: bearer(employee),
      payload: { title: 'Leave questions' },
    });
    expect(renamed.json().title).toBe('Leave questions');
    expect((await list('?search=leave')).conversations.map((c: { id: string }) => c.id)).toEqual([first]);

    for (const [method, url] of [
      ['GET', `/api/v1/conversations/${others}`],
      ['PATCH', `/api/v1/conversations/${others}`],
      ['DELETE', `/api/v1/conversations/${others}`],
      ['POST', `/api/v1/conversations/${others}/messages`],
    ] as const) {
      const response = await demo.app.inject({
        method,
        url,
        headers: bearer(employee),
        payload: method === 'PATCH' ? { title: 'x' } : method === 'POST' ? { content: 'hello' } : undefined,
      });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
    }

    const deleted = await demo.app.inject({
      method: 'DELETE',
      url: `/api/v1/conversations/${first}`,
      headers: bearer(employee),
    });
    expect(deleted.statusCode).toBe(204);
    const gone = await demo.app.inject({
      method: 'GET',
      url: `/api/v1/conversations/${first}`,
      headers: bearer(employee),
    });
    expect(gone.statusCode).toBe(404);
  });

  it('rejects bad input with clear 400s', async () => {
    const id = await startConversation(demo, employee);
    const empty = await askQuestion(demo, employee, id, '   ');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toContain('content');
    const badMode = await demo.app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers: bearer(employee),
      payload: { mode: 'gossip' },
    });
    expect(badMode.statusCode).toBe(400);
    const notebook = await demo.app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers: bearer(employee),
      payload: { mode: 'notebook' },
    });
    expect(notebook.statusCode).toBe(400);
    expect(notebook.json().error.code).toBe('bad_request:notebook_conversation');
  });

  it('stores feedback on answers, replacing an earlier rating, only for the owner', async () => {
    const id = await startConversation(demo, employee);
    const answer = (await askQuestion(demo, employee, id, GOLDEN_QUESTION)).json().message;
    const rate = (token: string, messageId: string, payload: object) =>
      demo.app.inject({
        method: 'POST',
        url: `/api/v1/messages/${messageId}/feedback`,
        headers: bearer(token),
        payload,
      });
    expect((await rate(employee, answer.id, { rating: -1, comment: 'too short' })).statusCode).toBe(200);
    const again = await rate(employee, answer.id, { rating: 1 });
    expect(again.json()).toMatchObject({ rating: 1, comment: null });
    expect((await rate(manager, answer.id, { rating: 1 })).statusCode).toBe(404);
    expect((await rate(employee, answer.id, { rating: 5 })).statusCode).toBe(400);

    const detail = (
      await demo.app.inject({ method: 'GET', url: `/api/v1/conversations/${id}`, headers: bearer(employee) })
    ).json();
    expect(detail.messages[1].feedback).toEqual({ rating: 1, comment: null });
    expect((await rate(employee, detail.messages[0].id, { rating: 1 })).statusCode).toBe(400);
    const rows = await demo.database.db.kysely.selectFrom('feedback').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sources_snapshot).toEqual(answer.citations);
  });

  it('links each citation to the original: PDFs open at the cited page, other files download', async () => {
    const id = await startConversation(demo, employee);
    const ask = async (content: string) =>
      (await askQuestion(demo, employee, id, content)).json().message as {
        citations: { url: string; page: number | null; title: string; document_id: string }[];
      };
    const pdf = (await ask('How must flights and hotels be booked?')).citations[0]!;
    expect(pdf.title).toBe('Travel and Expense Policy');
    expect(pdf.page).toBeGreaterThan(0);
    expect(pdf.url).toBe(`/api/v1/documents/${pdf.document_id}/file#page=${pdf.page}`);
    const pdfFile = await demo.app.inject({ url: pdf.url.split('#')[0]!, headers: bearer(employee) });
    expect(pdfFile.statusCode).toBe(200);
    expect(pdfFile.headers['content-type']).toBe('application/pdf');
    expect(pdfFile.headers['content-disposition']).toMatch(/^inline;/);
    expect(pdfFile.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    const markdown = (await ask(GOLDEN_QUESTION)).citations[0]!;
    const markdownFile = await demo.app.inject({ url: markdown.url, headers: bearer(employee) });
    expect(markdownFile.headers['content-disposition']).toMatch(
      /^attachment; filename\*=UTF-8''uk-annual-leave-policy\.md/,
    );
    expect(markdownFile.headers['content-security-policy']).toBe('sandbox');
    expect(markdownFile.body).toContain('25 days of paid annual leave');

    // The file of a document outside the reader's scope does not exist for them.
    const finance = await demo.database.db.kysely
      .selectFrom('documents')
      .select('id')
      .where('title', '=', 'US Finance Month-End Close Procedure')
      .executeTakeFirstOrThrow();
    const hidden = await demo.app.inject({
      url: `/api/v1/documents/${finance.id}/file`,
      headers: bearer(employee),
    });
    expect(hidden.statusCode).toBe(404);
  });

  it('says plainly that the offline answerer cannot act as the assistant', async () => {
    const id = await startConversation(demo, employee, 'assistant');
    const { message } = (
      await askQuestion(demo, employee, id, 'Draft a friendly reminder about the quarterly report.')
    ).json();
    expect(message.content).toContain('configure a language model');
    expect(message.citations).toEqual([]);
  });
});
