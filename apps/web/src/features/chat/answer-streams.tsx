import type { Citation, ConversationDetail } from '@nexus/contracts';
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useState,
  useSyncExternalStore,
} from 'react';
import { chatKeys, fetchConversation } from './chat-api.ts';
import { type AskTarget, StreamError, type StreamFailure, sendMessageStream } from './chat-stream.ts';

/**
 * The answer being streamed (or that just stopped or failed) per conversation. It lives
 * outside React components so an answer keeps streaming while the user looks at another
 * conversation. While a turn exists, the thread shows the server's messages up to
 * `baseMessageCount` and then this turn, so the stored question is never shown twice.
 */
export interface PendingTurn {
  conversationId: string;
  question: string;
  answer: string;
  citations: Citation[];
  status: 'streaming' | 'finishing' | 'stopped' | 'failed';
  failure: StreamFailure | null;
  baseMessageCount: number;
}

export function isTurnSettled(turn: PendingTurn): boolean {
  return turn.status === 'stopped' || turn.status === 'failed';
}

export class AnswerStreams {
  private readonly turns = new Map<string, PendingTurn>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly queryClient: QueryClient,
    private readonly send: typeof sendMessageStream = sendMessageStream,
    private readonly fetchDetail: typeof fetchConversation = fetchConversation,
  ) {}

  /** Reloads the stored conversation (one retry; failures leave the cache as it was). */
  private reloadDetail(conversationId: string): Promise<unknown> {
    return this.queryClient
      .fetchQuery({
        queryKey: chatKeys.detail(conversationId),
        queryFn: ({ signal }) => this.fetchDetail(conversationId, signal),
        staleTime: 0,
        retry: 1,
      })
      .catch(() => undefined);
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  get(conversationId: string | undefined): PendingTurn | undefined {
    return conversationId ? this.turns.get(conversationId) : undefined;
  }

  isStreaming(conversationId: string | undefined): boolean {
    const turn = this.get(conversationId);
    return turn?.status === 'streaming' || turn?.status === 'finishing';
  }

  private update(conversationId: string, change: Partial<PendingTurn> | null): void {
    const current = this.turns.get(conversationId);
    if (change === null) this.turns.delete(conversationId);
    else if (current) this.turns.set(conversationId, { ...current, ...change });
    for (const listener of this.listeners) listener();
  }

  /** Asks a question in a conversation and streams the answer into the store. */
  async start(conversationId: string, question: string, target?: AskTarget): Promise<void> {
    const detailKey = chatKeys.detail(conversationId);
    const previous = this.turns.get(conversationId);
    if (previous && !isTurnSettled(previous)) return;
    if (previous) {
      // The stopped or failed turn is stored on the server now: show it from there.
      this.turns.delete(conversationId);
      await this.reloadDetail(conversationId);
    }
    const detail = this.queryClient.getQueryData<ConversationDetail>(detailKey);
    const controller = new AbortController();
    this.controllers.set(conversationId, controller);
    this.turns.set(conversationId, {
      conversationId,
      question,
      answer: '',
      citations: [],
      status: 'streaming',
      failure: null,
      baseMessageCount: detail?.messages.length ?? 0,
    });
    this.update(conversationId, {});

    try {
      await this.send({
        conversationId,
        content: question,
        target,
        signal: controller.signal,
        onEvent: (event) => {
          const turn = this.turns.get(conversationId);
          if (!turn) return;
          if (event.type === 'token') this.update(conversationId, { answer: turn.answer + event.text });
          else if (event.type === 'citations') this.update(conversationId, { citations: event.citations });
        },
      });
      this.update(conversationId, { status: 'finishing' });
      await Promise.all([
        this.reloadDetail(conversationId),
        this.queryClient.invalidateQueries({ queryKey: ['conversations', 'list'] }).catch(() => undefined),
      ]);
      this.update(conversationId, null);
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') {
        this.update(conversationId, { status: 'stopped' });
      } else {
        const failure: StreamFailure =
          error instanceof StreamError
            ? error.failure
            : { kind: 'network', message: error instanceof Error ? error.message : 'The answer failed.' };
        this.update(conversationId, { status: 'failed', failure });
      }
      void this.queryClient.invalidateQueries({ queryKey: ['conversations', 'list'] });
    } finally {
      if (this.controllers.get(conversationId) === controller) this.controllers.delete(conversationId);
    }
  }

  /** Stops generation: the server keeps the partial answer. */
  stop(conversationId: string): void {
    this.controllers.get(conversationId)?.abort();
  }

  /** Forgets a stopped or failed turn (the conversation was left); the server has the record. */
  discard(conversationId: string): void {
    const turn = this.turns.get(conversationId);
    if (!turn || !isTurnSettled(turn)) return;
    this.update(conversationId, null);
    void this.queryClient.invalidateQueries({ queryKey: chatKeys.detail(conversationId) });
  }
}

export function usePendingTurn(streams: AnswerStreams, conversationId: string | undefined) {
  const getSnapshot = useCallback(() => streams.get(conversationId), [streams, conversationId]);
  return useSyncExternalStore(streams.subscribe, getSnapshot, getSnapshot);
}

const AnswerStreamsContext = createContext<AnswerStreams | null>(null);

export function AnswerStreamsProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [streams] = useState(() => new AnswerStreams(queryClient));
  return <AnswerStreamsContext.Provider value={streams}>{children}</AnswerStreamsContext.Provider>;
}

export function useAnswerStreams(): AnswerStreams {
  const streams = useContext(AnswerStreamsContext);
  if (!streams) throw new Error('useAnswerStreams needs an AnswerStreamsProvider');
  return streams;
}
