/**
 * Chat figures for `npm run bench`: the server's own overhead to the first streamed token
 * (retrieval, prompt, storage, SSE) over a local OpenAI-compatible model that answers
 * instantly, and many concurrent SSE streams. Runs on the database the retrieval bench
 * filled (SciFact-sized).
 */
import type { AddressInfo } from 'node:net';
import { createUser } from '../src/modules/users/users.service.ts';
import type { Db } from '../src/platform/db/database.ts';
import { startOpenAiCompatibleServer } from '../test/helpers/model-servers.ts';
import { readSse } from '../test/helpers/sse.ts';
import { startBenchApp } from './app.ts';

export async function benchChat(db: Db, tenantId: string, queries: string[]): Promise<void> {
  const model = await startOpenAiCompatibleServer({ kind: 'text', chunks: ['The passages say so ', '[1].'] });
  await db.kysely
    .updateTable('llm_configs')
    .set({ provider: 'openai_compatible', model: 'instant', base_url: `${model.url}/v1`, api_key_env: null })
    .where('tenant_id', '=', tenantId)
    .where('mode', '=', 'rag')
    .execute();
  const { app, close } = await startBenchApp(db);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const password = 'benchmark password 123';
  await db.transaction((trx) =>
    createUser(trx, { tenantId, email: 'chat@bench.example', password, role: 'user' }),
  );
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'chat@bench.example', password }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  async function newConversation(): Promise<string> {
    const response = await fetch(`${base}/api/v1/conversations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ mode: 'rag' }),
    });
    return ((await response.json()) as { id: string }).id;
  }

  /** Milliseconds to the first token event, and whether the stream ended with `done`. */
  async function ask(conversationId: string, question: string) {
    const started = performance.now();
    const response = await fetch(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...headers, accept: 'text/event-stream' },
      body: JSON.stringify({ content: question }),
    });
    let firstToken = Number.NaN;
    let isDone = false;
    if (response.status !== 200) return { firstToken, isDone };
    for await (const frame of readSse(response)) {
      if (frame.event === 'token' && Number.isNaN(firstToken)) firstToken = performance.now() - started;
      if (frame.event === 'done') isDone = true;
    }
    return { firstToken, isDone };
  }

  /** The model's own time to first token, asked directly. */
  async function modelFirstToken(): Promise<number> {
    const started = performance.now();
    const response = await fetch(`${model.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'instant', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    for await (const _frame of readSse(response)) return performance.now() - started;
    return Number.NaN;
  }

  const sample = queries.slice(0, 200);
  const conversation = await newConversation();
  for (const question of sample.slice(0, 10)) await ask(conversation, question); // warm-up
  const chatSamples: number[] = [];
  const modelSamples: number[] = [];
  for (const question of sample) {
    modelSamples.push(await modelFirstToken());
    chatSamples.push((await ask(await newConversation(), question)).firstToken);
  }
  const sorted = (values: number[]) => values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  const at = (values: number[], p: number) =>
    values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
  const chat = sorted(chatSamples);
  const direct = sorted(modelSamples);
  const overhead = sorted(chatSamples.map((value, index) => value - modelSamples[index]!));
  console.log(
    `\nchat first token (SSE, ${chat.length} questions, ${queries.length > 0 ? 'SciFact' : ''} corpus): ` +
      `p50 ${at(chat, 50).toFixed(1)} / p95 ${at(chat, 95).toFixed(1)} ms; model alone p50 ${at(direct, 50).toFixed(1)} / p95 ${at(direct, 95).toFixed(1)} ms; ` +
      `server overhead p50 ${at(overhead, 50).toFixed(1)} / p95 ${at(overhead, 95).toFixed(1)} ms (target p95 < 150)`,
  );

  const streams = 200;
  const conversations = await Promise.all(Array.from({ length: streams }, () => newConversation()));
  const started = performance.now();
  const results = await Promise.all(
    conversations.map((id, index) =>
      ask(id, sample[index % sample.length]!).catch(() => ({ firstToken: Number.NaN, isDone: false })),
    ),
  );
  const wall = performance.now() - started;
  const errors = results.filter((result) => !result.isDone).length;
  const firsts = sorted(results.map((result) => result.firstToken));
  console.log(
    `${streams} concurrent SSE streams: ${errors} errors, all done in ${(wall / 1000).toFixed(1)} s; ` +
      `first token p50 ${at(firsts, 50).toFixed(0)} / p95 ${at(firsts, 95).toFixed(0)} ms`,
  );

  await close();
  await model.close();
}
