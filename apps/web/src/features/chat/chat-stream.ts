import { type ChatStreamEvent, chatStreamEventSchema } from '@nexus/contracts';
import { ApiError, apiFetch } from '../../lib/api-client.ts';
import { readServerSentEvents } from '../../lib/sse.ts';

/** Why an answer stream ended without a `done` event. */
export type StreamFailure =
  | { kind: 'network'; message: string }
  | { kind: 'rate_limited'; message: string; retryAfterSeconds?: number }
  | { kind: 'model'; code: string; message: string }
  | { kind: 'request'; status: number; code: string; message: string };

export class StreamError extends Error {
  override name = 'StreamError';
  constructor(readonly failure: StreamFailure) {
    super(failure.message);
  }
}

const CONNECTION_LOST =
  'The connection was lost before the answer finished. Check your network and try again.';

/** Turns one SSE event into a typed stream event; unknown or malformed events give null. */
export function parseChatStreamEvent(event: { event: string; data: string }): ChatStreamEvent | null {
  let payload: unknown;
  try {
    payload = JSON.parse(event.data);
  } catch {
    return null;
  }
  if (typeof payload !== 'object' || payload === null) return null;
  const parsed = chatStreamEventSchema.safeParse({ ...payload, type: event.event });
  return parsed.success ? parsed.data : null;
}

/** Where a question goes, when not to its conversation's messages (a notebook's chat, with the files chosen). */
export interface AskTarget {
  path: string;
  body?: Record<string, unknown>;
}

export interface SendMessageStreamOptions {
  conversationId: string;
  content: string;
  target?: AskTarget | undefined;
  signal: AbortSignal;
  onEvent: (event: ChatStreamEvent) => void;
}

/**
 * POSTs a question and reads the answer as SSE. Resolves with the `done` event; rejects
 * with StreamError (network, rate limit, model failure, refused request) or with the
 * AbortError when the caller stopped it.
 */
export async function sendMessageStream(
  options: SendMessageStreamOptions,
): Promise<Extract<ChatStreamEvent, { type: 'done' }>> {
  let response: Response;
  try {
    response = await apiFetch(
      options.target?.path ?? `/api/v1/conversations/${options.conversationId}/messages`,
      {
        method: 'POST',
        json: { ...options.target?.body, content: options.content },
        headers: { Accept: 'text/event-stream' },
        signal: options.signal,
      },
    );
  } catch (error) {
    if (error instanceof ApiError) {
      if (error.isNetwork) throw new StreamError({ kind: 'network', message: error.message });
      if (error.isRateLimited) {
        throw new StreamError({
          kind: 'rate_limited',
          message: error.retryAfterSeconds
            ? `You are sending questions too quickly. Try again in ${error.retryAfterSeconds} s.`
            : 'You are sending questions too quickly. Try again in a moment.',
          ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
        });
      }
      throw new StreamError({
        kind: 'request',
        status: error.status,
        code: error.code,
        message: error.message,
      });
    }
    throw error;
  }
  if (!response.body) throw new StreamError({ kind: 'network', message: CONNECTION_LOST });

  try {
    for await (const raw of readServerSentEvents(response.body)) {
      const event = parseChatStreamEvent(raw);
      if (!event) continue;
      options.onEvent(event);
      if (event.type === 'done') return event;
      if (event.type === 'error') {
        throw new StreamError(
          event.code.startsWith('rate_limited')
            ? { kind: 'rate_limited', message: event.message }
            : { kind: 'model', code: event.code, message: event.message },
        );
      }
    }
  } catch (error) {
    if (error instanceof StreamError) throw error;
    if (options.signal.aborted) throw new DOMException('The answer was stopped.', 'AbortError');
    throw new StreamError({ kind: 'network', message: CONNECTION_LOST });
  }
  if (options.signal.aborted) throw new DOMException('The answer was stopped.', 'AbortError');
  throw new StreamError({ kind: 'network', message: CONNECTION_LOST });
}
