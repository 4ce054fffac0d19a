import type { ChatStreamEvent, Citation, EventSourceFrame } from '@nexus/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { AppError, type ErrorCode } from '../../platform/errors.ts';
import { type EventStream, openEventStream, wantsEventStream } from '../../platform/http/event-stream.ts';
import type { AnswerRun } from './answer-stream.ts';
import type { AnswerOutcome } from './answering.ts';
import { toMessageResponse } from './responses.ts';

/**
 * The transports of one answer stream (answer-stream.ts). Each adapter maps the typed
 * events onto its wire format and tells the run when its client went away; nothing else.
 */

/**
 * Runs an answer over a server-sent event stream: the client going away cancels the run,
 * heartbeats become `: ping` comments, each event goes to `send` in the adapter's format.
 */
async function pipeToEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  run: AnswerRun,
  send: (stream: EventStream, event: ChatStreamEvent) => void,
  start?: (stream: EventStream) => void,
): Promise<void> {
  const stream = openEventStream(request, reply);
  stream.signal.addEventListener('abort', () => run.cancel(), { once: true });
  try {
    start?.(stream);
    for await (const item of run) {
      if (item.type === 'heartbeat') stream.comment('ping');
      else send(stream, item);
    }
  } finally {
    stream.end();
  }
}

/** SSE with named events (`event: token` + `data: {text}` …); heartbeats as `: ping` comments. */
export function sendNamedEvents(request: FastifyRequest, reply: FastifyReply, run: AnswerRun): Promise<void> {
  return pipeToEventStream(request, reply, run, (stream, { type, ...data }) => stream.send(type, data));
}

/**
 * The seeds' EventSource format: unnamed `data:` frames — `{token}` …, then
 * `{done: true, message_id, citations, usage}` or `{error, code}` (eventSourceFrameSchema).
 */
export function sendEventSourceFrames(
  request: FastifyRequest,
  reply: FastifyReply,
  run: AnswerRun,
): Promise<void> {
  let citations: Citation[] = [];
  return pipeToEventStream(request, reply, run, (stream, event) => {
    const frame = (data: EventSourceFrame) => stream.data(data);
    switch (event.type) {
      case 'token':
        frame({ token: event.text });
        break;
      case 'citations':
        citations = event.citations;
        break;
      case 'done':
        frame({ done: true, message_id: event.message_id, citations, usage: event.usage });
        break;
      case 'error':
        frame({
          error: event.message,
          code: event.code,
          ...(event.message_id ? { message_id: event.message_id } : {}),
        });
        break;
    }
  });
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

/**
 * The answer of `POST …/messages` and `POST …/notebook/sessions/:id/chat`: named SSE events
 * with `Accept: text/event-stream`, otherwise the stored answer as JSON once it is complete.
 */
export async function respondWithAnswer(request: FastifyRequest, reply: FastifyReply, run: AnswerRun) {
  if (wantsEventStream(request)) {
    await sendNamedEvents(request, reply, run);
    return reply;
  }
  const outcome = await collectAnswer(reply, run);
  return { message: toMessageResponse(outcome.answer) };
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
export function sendCompletionChunks(
  request: FastifyRequest,
  reply: FastifyReply,
  run: AnswerRun,
  meta: CompletionMeta,
): Promise<void> {
  const chunk = (stream: EventStream, choices: unknown[], extra: Record<string, unknown> = {}) =>
    stream.data({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      choices,
      ...extra,
    });
  const delta = (
    stream: EventStream,
    content: Record<string, unknown>,
    finish: 'stop' | null,
    extra?: Record<string, unknown>,
  ) => chunk(stream, [{ index: 0, delta: content, finish_reason: finish, logprobs: null }], extra);
  let citations: Citation[] = [];
  return pipeToEventStream(
    request,
    reply,
    run,
    (stream, event) => {
      switch (event.type) {
        case 'token':
          delta(stream, { content: event.text }, null);
          break;
        case 'citations':
          citations = event.citations;
          break;
        case 'done':
          delta(stream, {}, 'stop', { citations });
          if (meta.includeUsage) chunk(stream, [], { usage: completionUsage(event.usage) });
          stream.write('data: [DONE]\n\n');
          break;
        case 'error':
          stream.data({
            error: {
              code: event.code,
              message: event.message,
              type: event.code === 'internal' ? 'server_error' : 'model_error',
            },
          });
          break;
      }
    },
    (stream) => delta(stream, { role: 'assistant', content: '' }, null),
  );
}

/** OpenAI's usage object from Nexus's. */
export function completionUsage(usage: { input_tokens: number; output_tokens: number }) {
  return {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.input_tokens + usage.output_tokens,
  };
}
