import type { ChatStreamEvent, Citation, EventSourceFrame } from '@nexus/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { AppError, type ErrorCode } from '../../platform/errors.ts';
import { openEventStream } from '../../platform/http/event-stream.ts';
import type { AnswerRun } from './answer-stream.ts';
import type { AnswerOutcome } from './answering.ts';

/**
 * The transports of one answer stream (answer-stream.ts). Each adapter maps the typed
 * events onto its wire format and tells the run when its client went away; nothing else.
 */

/** SSE with named events (`event: token` + `data: {text}` …); heartbeats as `: ping` comments. */
export async function sendNamedEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  run: AnswerRun,
): Promise<void> {
  const stream = openEventStream(request, reply);
  stream.signal.addEventListener('abort', () => run.cancel(), { once: true });
  try {
    for await (const item of run) {
      if (item.type === 'heartbeat') stream.comment('ping');
      else {
        const { type, ...data } = item;
        stream.send(type, data);
      }
    }
  } finally {
    stream.end();
  }
}

/**
 * The seeds' EventSource format: unnamed `data:` frames — `{token}` …, then
 * `{done: true, message_id, citations, usage}` or `{error, code}` (eventSourceFrameSchema).
 */
export async function sendEventSourceFrames(
  request: FastifyRequest,
  reply: FastifyReply,
  run: AnswerRun,
): Promise<void> {
  const stream = openEventStream(request, reply);
  stream.signal.addEventListener('abort', () => run.cancel(), { once: true });
  let citations: Citation[] = [];
  const frame = (data: EventSourceFrame) => stream.data(data);
  try {
    for await (const item of run) {
      switch (item.type) {
        case 'heartbeat':
          stream.comment('ping');
          break;
        case 'token':
          frame({ token: item.text });
          break;
        case 'citations':
          citations = item.citations;
          break;
        case 'done':
          frame({ done: true, message_id: item.message_id, citations, usage: item.usage });
          break;
        case 'error':
          frame({
            error: item.message,
            code: item.code,
            ...(item.message_id ? { message_id: item.message_id } : {}),
          });
          break;
      }
    }
  } finally {
    stream.end();
  }
}

/** WebSocket frames `{type, …}` (chatStreamEventSchema); heartbeats as WebSocket pings. */
export async function sendWebSocketFrames(socket: WebSocket, run: AnswerRun): Promise<void> {
  const onClose = () => run.cancel();
  socket.once('close', onClose);
  try {
    for await (const item of run) {
      if (socket.readyState !== socket.OPEN) continue;
      if (item.type === 'heartbeat') socket.ping();
      else socket.send(JSON.stringify(item satisfies ChatStreamEvent));
    }
  } finally {
    socket.off('close', onClose);
  }
}

/**
 * The whole answer at once: waits for the stored outcome; a client that disconnects leaves a
 * `partial` answer. A model failure becomes the matching HTTP error, naming the stored message.
 */
export async function collectAnswer(reply: FastifyReply, run: AnswerRun): Promise<AnswerOutcome> {
  const onClose = () => {
    if (!reply.raw.writableFinished) run.cancel();
  };
  reply.raw.on('close', onClose);
  try {
    let failure: Extract<ChatStreamEvent, { type: 'error' }> | null = null;
    for await (const item of run) if (item.type === 'error') failure = item;
    const outcome = await run.outcome;
    if (failure || !outcome) {
      throw new AppError(
        (failure?.code ?? 'internal') as ErrorCode,
        failure?.message ?? 'The answer failed.',
        {
          ...(outcome ? { message_id: outcome.answer.id, question_message_id: outcome.question.id } : {}),
        },
      );
    }
    return outcome;
  } finally {
    reply.raw.off('close', onClose);
  }
}

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
  includeUsage: boolean;
}

/**
 * OpenAI `chat.completion.chunk`s: a first chunk with the role, one per piece of text, a
 * last one with `finish_reason: stop` and Nexus's `citations`, usage when asked, then
 * `data: [DONE]` (or an `{error}` chunk).
 */
export async function sendCompletionChunks(
  request: FastifyRequest,
  reply: FastifyReply,
  run: AnswerRun,
  meta: CompletionMeta,
): Promise<void> {
  const stream = openEventStream(request, reply);
  stream.signal.addEventListener('abort', () => run.cancel(), { once: true });
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    stream.data({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      choices,
      ...extra,
    });
  const delta = (content: Record<string, unknown>, finish: 'stop' | null, extra?: Record<string, unknown>) =>
    chunk([{ index: 0, delta: content, finish_reason: finish, logprobs: null }], extra);
  let citations: Citation[] = [];
  try {
    delta({ role: 'assistant', content: '' }, null);
    for await (const item of run) {
      switch (item.type) {
        case 'heartbeat':
          stream.comment('ping');
          break;
        case 'token':
          delta({ content: item.text }, null);
          break;
        case 'citations':
          citations = item.citations;
          break;
        case 'done':
          delta({}, 'stop', { citations });
          if (meta.includeUsage) chunk([], { usage: completionUsage(item.usage) });
          stream.write('data: [DONE]\n\n');
          break;
        case 'error':
          stream.data({
            error: {
              code: item.code,
              message: item.message,
              type: item.code === 'internal' ? 'server_error' : 'model_error',
            },
          });
          break;
      }
    }
  } finally {
    stream.end();
  }
}

/** OpenAI's usage object from Nexus's. */
export function completionUsage(usage: { input_tokens: number; output_tokens: number }) {
  return {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.input_tokens + usage.output_tokens,
  };
}
