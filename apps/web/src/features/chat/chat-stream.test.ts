import type { ChatStreamEvent } from '@nexus/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorResponse, mockFetch, sseEvent, sseResponse } from '../../test/fetch-mock.ts';
import { parseChatStreamEvent, StreamError, sendMessageStream } from './chat-stream.ts';

const CONVERSATION = '0b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11';
const MESSAGE = '2b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11';
const CITATION = {
  index: 1,
  document_id: '3b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11',
  title: 'UK Annual Leave Policy',
  url: null,
  page: 2,
  section: 'Entitlement',
  snippet: 'Full-time UK employees are entitled to 25 days.',
  score: 7.7,
};
const DONE = { message_id: MESSAGE, usage: { input_tokens: 10, output_tokens: 5, cost_usd: 0 } };

afterEach(() => {
  vi.unstubAllGlobals();
});

async function run(signal = new AbortController().signal) {
  const events: ChatStreamEvent[] = [];
  const result = await sendMessageStream({
    conversationId: CONVERSATION,
    content: 'How many days?',
    signal,
    onEvent: (event) => events.push(event),
  }).catch((error: unknown) => error);
  return { events, result };
}

describe('sendMessageStream', () => {
  it('POSTs the question for an event stream and delivers tokens, citations and done in order', async () => {
    const stream = [
      ': ping\n\n',
      sseEvent('token', { text: 'UK staff get ' }),
      sseEvent('token', { text: '25 days [1].' }),
      sseEvent('citations', { citations: [CITATION] }),
      sseEvent('done', DONE),
    ].join('');
    const { calls } = mockFetch(() => sseResponse(stream.match(/[\s\S]{1,9}/g)!));
    const { events, result } = await run();
    expect(calls[0]).toMatchObject({
      url: `/api/v1/conversations/${CONVERSATION}/messages`,
      method: 'POST',
      body: { content: 'How many days?' },
    });
    expect(calls[0]!.headers.get('accept')).toBe('text/event-stream');
    expect(events.map((event) => event.type)).toEqual(['token', 'token', 'citations', 'done']);
    expect(result).toMatchObject({ type: 'done', message_id: MESSAGE });
  });

  it('reports a model failure from an error event', async () => {
    mockFetch(() =>
      sseResponse([
        sseEvent('token', { text: 'Partial' }),
        sseEvent('error', { code: 'bad_gateway:model', message: 'The model failed.' }),
      ]),
    );
    const { events, result } = await run();
    expect(events[0]).toEqual({ type: 'token', text: 'Partial' });
    expect(result).toBeInstanceOf(StreamError);
    expect((result as StreamError).failure).toEqual({
      kind: 'model',
      code: 'bad_gateway:model',
      message: 'The model failed.',
    });
  });

  it('reports rate limits with the wait, refused requests, and lost connections', async () => {
    mockFetch(() => errorResponse(429, 'rate_limited', 'Too many.', { 'retry-after': '30' }));
    expect(((await run()).result as StreamError).failure).toMatchObject({
      kind: 'rate_limited',
      retryAfterSeconds: 30,
    });

    mockFetch(() => errorResponse(404, 'not_found:conversation', 'No such conversation.'));
    expect(((await run()).result as StreamError).failure).toMatchObject({ kind: 'request', status: 404 });

    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')));
    expect(((await run()).result as StreamError).failure.kind).toBe('network');

    mockFetch(() => sseResponse([sseEvent('token', { text: 'cut' })], { breakAfter: true }));
    expect(((await run()).result as StreamError).failure.kind).toBe('network');

    mockFetch(() => sseResponse([sseEvent('token', { text: 'no done event' })]));
    expect(((await run()).result as StreamError).failure.kind).toBe('network');
  });

  it('rejects with an AbortError when stopped', async () => {
    const controller = new AbortController();
    controller.abort();
    mockFetch(() => sseResponse([]));
    const { result } = await run(controller.signal);
    expect(result).toBeInstanceOf(DOMException);
    expect((result as DOMException).name).toBe('AbortError');
  });
});

describe('parseChatStreamEvent', () => {
  it('validates events against the contract and ignores unknown or malformed ones', () => {
    expect(parseChatStreamEvent({ event: 'token', data: '{"text":"a"}' })).toEqual({
      type: 'token',
      text: 'a',
    });
    expect(parseChatStreamEvent({ event: 'token', data: '{"text":1}' })).toBeNull();
    expect(parseChatStreamEvent({ event: 'progress', data: '{}' })).toBeNull();
    expect(parseChatStreamEvent({ event: 'token', data: 'not json' })).toBeNull();
  });
});
