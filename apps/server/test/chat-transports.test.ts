import {
  type ChatStreamEvent,
  chatCompletionChunkSchema,
  chatCompletionSchema,
  chatStreamEventSchema,
  eventSourceFrameSchema,
  publicChatResponseSchema,
  sendMessageResponseSchema,
} from '@nexus/contracts';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { z } from 'zod';
import { bearer } from './helpers/accounts.ts';
import { createDemoApp, DEMO_PASSWORD, type DemoApp, startConversation } from './helpers/demo.ts';
import { readSse } from './helpers/sse.ts';

/**
 * Every transport of the one answer stream, frame by frame against the contracts schemas:
 * SSE with named events, the seeds' EventSource format (through a real EventSource
 * client), WebSocket frames, JSON, /v1/chat (JSON and SSE) and OpenAI chat completions
 * (chunks and whole). A model that cannot be reached gives each transport its error frame.
 */

const GOLDEN_QUESTION = 'How many days of annual leave do UK employees get?';

function expectFrames<T extends z.ZodType>(schema: T, frames: unknown[]): z.infer<T>[] {
  return frames.map((frame, index) => {
    const parsed = schema.safeParse(frame);
    expect(parsed.success, `frame ${index}: ${JSON.stringify(frame)} — ${parsed.error?.message}`).toBe(true);
    return parsed.data as z.infer<T>;
  });
}

/** Named SSE events as `{type, …data}`, and the heartbeat comments seen. */
async function namedEvents(response: Response) {
  const comments: string[] = [];
  const frames: unknown[] = [];
  for await (const frame of readSse(response, comments))
    frames.push({ type: frame.event, ...JSON.parse(frame.data) });
  return { frames, comments };
}

/** The `data:` frames of an SSE stream (JSON, or the raw text such as `[DONE]`). */
async function dataFrames(response: Response): Promise<unknown[]> {
  const frames: unknown[] = [];
  for await (const frame of readSse(response)) {
    expect(frame.event).toBe('message');
    frames.push(frame.data === '[DONE]' ? frame.data : JSON.parse(frame.data));
  }
  return frames;
}

async function webSocketFrames(demo: DemoApp, token: string, conversationId: string, content: string) {
  const socket = new WebSocket(
    `${demo.baseUrl.replace('http', 'ws')}/ws/chat/${conversationId}?access_token=${token}`,
  );
  const frames: { type: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on('open', () => socket.send(JSON.stringify({ type: 'message', content })));
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data));
      frames.push(frame);
      if (frame.type === 'done' || frame.type === 'error') resolve();
    });
    socket.on('error', reject);
  });
  socket.close();
  return frames;
}

/** Signs in as a browser would, for the cookie-authenticated EventSource. */
async function browserCookies(demo: DemoApp, email: string): Promise<string> {
  const response = await fetch(`${demo.baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** What the seeds' browser client sees: `EventSource.onmessage` frames until done or error. */
function eventSourceFrames(url: string, cookies: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const frames: unknown[] = [];
    const source = new EventSource(url, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, cookie: cookies } }),
    });
    source.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      frames.push(frame);
      if ('done' in frame || 'error' in frame) {
        source.close();
        resolve(frames);
      }
    };
    source.onerror = (error) => {
      source.close();
      reject(
        new Error(`EventSource failed: ${String((error as { message?: string }).message ?? error.type)}`),
      );
    };
  });
}

/** Answered from a tenant-wide document, which an API key without a bot may read. */
const PUBLIC_QUESTION = 'How must flights and hotels be booked?';
const MODEL_ERROR = /^(unavailable|bad_gateway):model/;

describe.each(['answers', 'a model that cannot be reached'] as const)('chat transports: %s', (situation) => {
  let demo: DemoApp;
  let employee: string;
  let apiKey: string;
  const isFailing = situation === 'a model that cannot be reached';

  beforeAll(async () => {
    demo = await createDemoApp('embedded', { NEXUS_STREAM_HEARTBEAT_SECONDS: '0.05' });
    employee = await demo.tokenFor('employee@northwind.example');
    const admin = await demo.tokenFor('admin@northwind.example');
    apiKey = (
      await demo.app.inject({
        method: 'POST',
        url: '/api/v1/admin/api-keys',
        headers: bearer(admin),
        payload: { name: 'transports' },
      })
    ).json().key;
    if (isFailing) {
      // Port 9 (discard) refuses connections: every answer fails with a model error.
      const created = await demo.app.inject({
        method: 'POST',
        url: '/api/v1/admin/llm-configs',
        headers: bearer(admin),
        payload: {
          mode: 'rag',
          name: 'unreachable',
          provider: 'openai_compatible',
          model: 'nowhere',
          base_url: 'http://127.0.0.1:9/v1',
          is_active: true,
          options: { max_retries: 0, timeout_ms: 2000 },
        },
      });
      expect(created.statusCode, created.body).toBe(201);
    }
  });
  afterAll(async () => {
    await demo?.close();
  });

  function expectOutcome(events: ChatStreamEvent[]) {
    const last = events.at(-1)!;
    expect(last.type).toBe(isFailing ? 'error' : 'done');
    if (!isFailing) {
      const text = events.flatMap((event) => (event.type === 'token' ? [event.text] : [])).join('');
      expect(text).toContain('25 days');
      expect(events.map((event) => event.type).slice(-2)).toEqual(['citations', 'done']);
    }
  }

  it('SSE (POST …/messages, Accept: text/event-stream): named events, each a ChatStreamEvent', async () => {
    const id = await startConversation(demo, employee);
    const response = await fetch(`${demo.baseUrl}/api/v1/conversations/${id}/messages`, {
      method: 'POST',
      headers: { ...bearer(employee), accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ content: GOLDEN_QUESTION }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const { frames } = await namedEvents(response);
    expectOutcome(expectFrames(chatStreamEventSchema, frames));
  });

  it('EventSource (GET /api/v1/chat/stream, session cookie): unnamed data frames, each an EventSourceFrame', async () => {
    const id = await startConversation(demo, employee);
    const cookies = await browserCookies(demo, 'employee@northwind.example');
    const query = new URLSearchParams({ conversation_id: id, query: GOLDEN_QUESTION });
    const frames = expectFrames(
      eventSourceFrameSchema,
      await eventSourceFrames(`${demo.baseUrl}/api/v1/chat/stream?${query}`, cookies),
    );
    const last = frames.at(-1)!;
    if (isFailing) {
      expect('code' in last && last.code).toMatch(MODEL_ERROR);
      expect('error' in last && last.error.length > 0).toBe(true);
    } else {
      const text = frames.flatMap((frame) => ('token' in frame ? [frame.token] : [])).join('');
      expect(text).toContain('25 days');
      expect(last).toMatchObject({ done: true });
      expect('done' in last && last.citations.map((citation) => citation.title)).toContain(
        'UK Annual Leave Policy',
      );
    }
  });

  it('WebSocket: frames, each a ChatStreamEvent', async () => {
    const id = await startConversation(demo, employee);
    expectOutcome(
      expectFrames(chatStreamEventSchema, await webSocketFrames(demo, employee, id, GOLDEN_QUESTION)),
    );
  });

  it('JSON (POST …/messages): the stored message, or the error in the error shape', async () => {
    const id = await startConversation(demo, employee);
    const response = await demo.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${id}/messages`,
      headers: bearer(employee),
      payload: { content: GOLDEN_QUESTION },
    });
    if (isFailing) {
      expect([502, 503]).toContain(response.statusCode);
      expect(response.json().error.code).toMatch(MODEL_ERROR);
      expect(response.json().error.details.message_id).toBeTruthy();
    } else {
      const body = sendMessageResponseSchema.parse(response.json());
      expect(body.message.content).toContain('25 days');
    }
  });

  it('POST /v1/chat: JSON and SSE (with the new conversation in done)', async () => {
    const json = await demo.app.inject({
      method: 'POST',
      url: '/v1/chat',
      headers: bearer(apiKey),
      payload: { message: PUBLIC_QUESTION },
    });
    if (isFailing) expect([502, 503]).toContain(json.statusCode);
    else publicChatResponseSchema.parse(json.json());
    const stream = await fetch(`${demo.baseUrl}/v1/chat`, {
      method: 'POST',
      headers: { ...bearer(apiKey), 'content-type': 'application/json' },
      body: JSON.stringify({ message: PUBLIC_QUESTION, stream: true }),
    });
    const events = expectFrames(chatStreamEventSchema, (await namedEvents(stream)).frames);
    const last = events.at(-1)!;
    expect(last.type).toBe(isFailing ? 'error' : 'done');
    if (last.type === 'done') expect(last.conversation_id).toBeTruthy();
  });

  it('POST /v1/chat/completions: OpenAI chunks (then [DONE]) and the whole completion', async () => {
    const stream = await fetch(`${demo.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(apiKey), 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'nexus-rag',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: PUBLIC_QUESTION }],
      }),
    });
    const frames = await dataFrames(stream);
    if (isFailing) {
      const chunks = expectFrames(chatCompletionChunkSchema, frames);
      const last = chunks.at(-1)!;
      expect('error' in last && last.error.code).toMatch(MODEL_ERROR);
    } else {
      expect(frames.at(-1)).toBe('[DONE]');
      const chunks = expectFrames(chatCompletionChunkSchema, frames.slice(0, -1));
      const deltas = chunks.flatMap((chunk) =>
        'choices' in chunk ? chunk.choices.map((c) => c.delta.content ?? '') : [],
      );
      expect(deltas.join('')).toMatch(/Travel Desk|book/i);
      expect(chunks.some((chunk) => 'usage' in chunk && chunk.usage)).toBe(true);
    }
    const whole = await demo.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: bearer(apiKey),
      payload: { model: 'nexus-rag', messages: [{ role: 'user', content: PUBLIC_QUESTION }] },
    });
    if (isFailing) expect([502, 503]).toContain(whole.statusCode);
    else expect(chatCompletionSchema.parse(whole.json()).citations.length).toBeGreaterThan(0);
  });
});
