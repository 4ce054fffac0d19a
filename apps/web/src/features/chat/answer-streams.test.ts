import type { ConversationDetail } from '@nexus/contracts';
import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it, vi } from 'vitest';
import { AnswerStreams } from './answer-streams.tsx';
import { chatKeys } from './chat-api.ts';
import { type SendMessageStreamOptions, StreamError } from './chat-stream.ts';

const ID = '0b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11';
const DONE = {
  type: 'done' as const,
  message_id: '2b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11',
  usage: { input_tokens: 1, output_tokens: 1, cost_usd: 0 },
};

function setup(send: (options: SendMessageStreamOptions) => Promise<typeof DONE>) {
  const client = new QueryClient();
  const detail = {
    id: ID,
    mode: 'rag',
    title: 't',
    created_at: '',
    updated_at: '',
    messages: [],
  } as ConversationDetail;
  client.setQueryData(chatKeys.detail(ID), detail);
  const streams = new AnswerStreams(client, vi.fn(send), async () => detail);
  return { client, streams };
}

describe('AnswerStreams', () => {
  it('accumulates tokens and citations while streaming, then hands over to the stored messages', async () => {
    let release!: () => void;
    const { streams } = setup(async ({ onEvent }) => {
      onEvent({ type: 'token', text: 'UK staff get ' });
      onEvent({ type: 'token', text: '25 days [1].' });
      await new Promise<void>((done) => {
        release = done;
      });
      return DONE;
    });
    const started = streams.start(ID, 'How many days?');
    await vi.waitFor(() => expect(streams.get(ID)?.answer).toBe('UK staff get 25 days [1].'));
    expect(streams.get(ID)).toMatchObject({
      status: 'streaming',
      question: 'How many days?',
      baseMessageCount: 0,
    });
    expect(streams.isStreaming(ID)).toBe(true);
    release();
    await started;
    expect(streams.get(ID)).toBeUndefined();
  });

  it('keeps the partial answer when stopped, and the failure when it fails', async () => {
    const stopping = setup(
      ({ signal, onEvent }) =>
        new Promise((_resolve, reject) => {
          onEvent({ type: 'token', text: 'Half an answer' });
          signal.addEventListener('abort', () => reject(new DOMException('stopped', 'AbortError')));
        }),
    );
    const started = stopping.streams.start(ID, 'Q');
    await vi.waitFor(() => expect(stopping.streams.get(ID)?.answer).toBe('Half an answer'));
    stopping.streams.stop(ID);
    await started;
    expect(stopping.streams.get(ID)).toMatchObject({ status: 'stopped', answer: 'Half an answer' });

    const failing = setup(async () => {
      throw new StreamError({ kind: 'rate_limited', message: 'Too many questions.' });
    });
    await failing.streams.start(ID, 'Q');
    expect(failing.streams.get(ID)).toMatchObject({
      status: 'failed',
      question: 'Q',
      failure: { kind: 'rate_limited', message: 'Too many questions.' },
    });
    failing.streams.discard(ID);
    expect(failing.streams.get(ID)).toBeUndefined();
  });

  it('notifies subscribers on every change', async () => {
    const { streams } = setup(async ({ onEvent }) => {
      onEvent({ type: 'token', text: 'a' });
      return DONE;
    });
    const listener = vi.fn();
    streams.subscribe(listener);
    await streams.start(ID, 'Q');
    expect(listener.mock.calls.length).toBeGreaterThanOrEqual(3); // start, token, finishing, done
  });
});
