import type { ChatStreamEvent } from '@nexus/contracts';
import { AppError } from '../../platform/errors.ts';
import type { Principal, Reader } from '../access/access.types.ts';
import type { ChatTurn } from '../llm/llm.types.ts';
import { type AnswerOutcome, answerQuestion, type ChatDependencies } from './answering.ts';
import type { ConversationRow } from './chat.repository.ts';
import { ownerFromPrincipal, readerForConversation } from './chat.service.ts';

/**
 * One answer, produced once as typed events — `token`…, then `citations` and `done`, or
 * `error` (chatStreamEventSchema) — with `heartbeat`s while it is quiet. Every transport
 * (SSE, the EventSource format, WebSocket, JSON, /v1/chat, OpenAI chunks) is a thin
 * adapter over this stream (transports.ts): cancelling, heartbeats and storing the outcome
 * (`complete`, `partial` when cancelled, `error` when the model failed) happen here, once.
 */

export type HeartbeatItem = { type: 'heartbeat' };
export type StreamItem = ChatStreamEvent | HeartbeatItem;

export interface AskInput {
  principal: Principal;
  conversation: ConversationRow;
  content: string;
  /** The conversation so far, when the caller holds it (OpenAI-style stateless requests). */
  history?: ChatTurn[];
  /**
   * Who the question reads as, when the caller narrowed it (a notebook question over some
   * of its files); otherwise the conversation decides (readerForConversation).
   */
  reader?: Reader;
}

export interface AnswerRun extends AsyncIterable<StreamItem> {
  /** Stops the answer: what streamed so far is stored as a `partial` answer. */
  cancel(): void;
  /** The stored question and answer; null when answering itself failed (an `error` event says so). */
  readonly outcome: Promise<AnswerOutcome | null>;
}

export interface StartOptions {
  /** Added to the `done` event (POST /v1/chat tells the conversation it created). */
  conversationIdInDone?: boolean;
  /** Named in the message of an unexpected failure, and its log line. */
  requestId: string;
  log: { error(details: object, message: string): void };
}

export function startAnswer(deps: ChatDependencies, ask: AskInput, options: StartOptions): AnswerRun {
  const queue = new ItemQueue<StreamItem>();
  const controller = new AbortController();
  const heartbeat = setInterval(() => queue.push({ type: 'heartbeat' }), deps.heartbeatMs);
  heartbeat.unref();

  const outcome = (async (): Promise<AnswerOutcome | null> => {
    try {
      const reader = ask.reader ?? (await readerForConversation(deps.db, ask.principal, ask.conversation));
      const result = await answerQuestion(deps, {
        owner: ownerFromPrincipal(ask.principal),
        reader,
        conversation: ask.conversation,
        content: ask.content,
        signal: controller.signal,
        events: { token: (text) => queue.push({ type: 'token', text }) },
        ...(ask.history ? { history: ask.history } : {}),
      });
      if (result.error) {
        queue.push({ type: 'error', ...result.error, message_id: result.answer.id });
      } else {
        queue.push({ type: 'citations', citations: result.citations });
        queue.push({
          type: 'done',
          message_id: result.answer.id,
          ...(options.conversationIdInDone ? { conversation_id: ask.conversation.id } : {}),
          usage: result.usage,
        });
      }
      return result;
    } catch (error) {
      if (error instanceof AppError && error.statusCode < 500) {
        // Refused before answering (e.g. the notebook expired meanwhile): say why.
        queue.push({ type: 'error', code: error.code, message: error.message });
        return null;
      }
      options.log.error({ err: error }, 'answering failed');
      queue.push({
        type: 'error',
        code: 'internal',
        message: `The answer failed (request id ${options.requestId}).`,
      });
      return null;
    } finally {
      clearInterval(heartbeat);
      queue.close();
    }
  })();

  return {
    [Symbol.asyncIterator]: () => queue.drain(),
    cancel: () => controller.abort(),
    outcome,
  };
}

/** An unbounded queue read by one consumer as an async iterator; ends when closed and empty. */
class ItemQueue<T> {
  private readonly items: T[] = [];
  private waiting: (() => void) | null = null;
  private isClosed = false;

  push(item: T): void {
    if (this.isClosed) return;
    this.items.push(item);
    this.wake();
  }

  close(): void {
    this.isClosed = true;
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.isClosed) return;
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }
}
