import type { ConversationMode } from '@nexus/contracts';
import { BookOpenText, PanelLeft } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { Alert } from '../../components/ui/alert.tsx';
import { Button } from '../../components/ui/button.tsx';
import { Sheet } from '../../components/ui/dialog.tsx';
import { LoadingState } from '../../components/ui/spinner.tsx';
import { ApiError, describeError } from '../../lib/api-client.ts';
import { useAnswerStreams, usePendingTurn } from './answer-streams.tsx';
import { useConversation, useCreateConversation } from './chat-api.ts';
import { ComingSoon } from './coming-soon.tsx';
import { Composer } from './composer.tsx';
import { ConversationSidebar } from './conversation-sidebar.tsx';
import { MessageThread } from './message-thread.tsx';
import { ModeSwitcher } from './mode-switcher.tsx';
import { MODES, parseMode } from './modes.ts';

function EmptyThread() {
  return (
    <div
      className="flex h-full flex-col items-center justify-center px-6 pb-8 text-center"
      data-testid="chat-empty"
    >
      <div className="mb-5 flex size-12 items-center justify-center rounded-2xl bg-accent-soft text-accent-soft-fg">
        <BookOpenText className="size-6" aria-hidden />
      </div>
      <h1 className="text-2xl font-semibold tracking-tight text-balance">What would you like to know?</h1>
      <p className="mt-2 max-w-md text-[15px] text-fg-muted text-balance">
        Ask about the policies, handbooks and reports you have access to. Answers cite the documents they come
        from.
      </p>
    </div>
  );
}

/** Sticks to the bottom while the answer grows, unless the reader scrolled up. */
function useStickToBottom(dependency: unknown) {
  const container = useRef<HTMLDivElement>(null);
  const isPinned = useRef(true);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const onScroll = () => {
      isPinned.current = element.scrollHeight - element.scrollTop - element.clientHeight < 80;
    };
    element.addEventListener('scroll', onScroll, { passive: true });
    return () => element.removeEventListener('scroll', onScroll);
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll whenever the content changes
  useEffect(() => {
    const element = container.current;
    if (element && isPinned.current) element.scrollTop = element.scrollHeight;
  }, [dependency]);
  return { container, pin: () => (isPinned.current = true) };
}

export function ChatPage() {
  const { conversationId } = useParams();
  const [searchParams] = useSearchParams();
  const navigate = useNavigate();
  const streams = useAnswerStreams();
  const detail = useConversation(conversationId);
  const createConversation = useCreateConversation();
  const turn = usePendingTurn(streams, conversationId);
  const mode: ConversationMode = conversationId
    ? (detail.data?.mode ?? 'rag')
    : parseMode(searchParams.get('mode'));
  const modeInfo = MODES.find((item) => item.mode === mode)!;

  const [draft, setDraft] = useState('');
  const [sendError, setSendError] = useState<string | null>(null);
  const [isHistoryOpen, setIsHistoryOpen] = useState(false);
  const { container, pin } = useStickToBottom([detail.data?.messages.length, turn?.answer, turn?.status]);

  // Leaving a conversation: forget its stopped or failed turn (the server has the record).
  useEffect(() => {
    if (!conversationId) return;
    return () => streams.discard(conversationId);
  }, [conversationId, streams]);

  // A failed question goes back into the box so it is never lost.
  const failedQuestion = turn?.status === 'failed' ? turn.question : null;
  useEffect(() => {
    if (failedQuestion) setDraft((current) => current || failedQuestion);
  }, [failedQuestion]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a send error belongs to the conversation it happened in
  useEffect(() => {
    setSendError(null);
  }, [conversationId]);

  const isStreaming = streams.isStreaming(conversationId) || createConversation.isPending;

  const ask = async (question: string) => {
    setSendError(null);
    pin();
    let id = conversationId;
    if (!id) {
      try {
        id = (await createConversation.mutateAsync({ mode })).id;
      } catch (error) {
        setSendError(describeError(error));
        return;
      }
      navigate(`/chat/${id}`);
    }
    setDraft('');
    void streams.start(id, question);
  };

  const changeMode = (next: ConversationMode) => {
    if (next === mode && !conversationId) return;
    // Notebooks have their own page: sessions, files and their chat.
    if (next === 'notebook') navigate('/notebook');
    else navigate(next === 'rag' ? '/chat' : `/chat?mode=${next}`);
  };

  const sidebar = (onNavigate?: () => void) => (
    <ConversationSidebar mode={mode} activeId={conversationId} onNavigate={onNavigate} />
  );

  const isMissing = detail.error instanceof ApiError && detail.error.status === 404;
  const messages = detail.data?.messages ?? [];
  const hasThread = Boolean(conversationId) && (messages.length > 0 || turn);

  return (
    <div className="flex h-full" data-testid="chat-page">
      <aside
        className="hidden w-72 shrink-0 border-r border-line bg-surface/60 md:block"
        aria-label="Conversation history"
      >
        {sidebar()}
      </aside>
      <Sheet open={isHistoryOpen} onOpenChange={setIsHistoryOpen} title="Conversations">
        <div className="flex h-14 shrink-0 items-center border-b border-line px-4 text-sm font-semibold">
          Conversations
        </div>
        <div className="min-h-0 flex-1">{sidebar(() => setIsHistoryOpen(false))}</div>
      </Sheet>

      <section className="flex min-w-0 flex-1 flex-col" aria-label="Chat">
        <div className="flex h-14 shrink-0 items-center gap-3 border-b border-line px-3 sm:px-5">
          <Button
            variant="ghost"
            size="icon"
            className="md:hidden"
            aria-label="Show conversations"
            onClick={() => setIsHistoryOpen(true)}
            data-testid="open-history"
          >
            <PanelLeft className="size-5" />
          </Button>
          <h2
            className="hidden min-w-0 flex-1 truncate text-sm font-medium text-fg-muted sm:block"
            data-testid="conversation-title"
          >
            {conversationId ? (detail.data?.title ?? '') : `New ${modeInfo.label.toLowerCase()} conversation`}
          </h2>
          <div className="ml-auto sm:ml-0">
            <ModeSwitcher mode={mode} onChange={changeMode} />
          </div>
        </div>

        {!modeInfo.isAvailable ? (
          <ComingSoon mode={mode} onBack={() => changeMode('rag')} />
        ) : (
          <>
            <div ref={container} className="min-h-0 flex-1 overflow-y-auto">
              {isMissing ? (
                <div className="mx-auto max-w-xl p-8">
                  <Alert tone="warning" title="Conversation not found">
                    It may have been deleted. Start a new conversation instead.
                  </Alert>
                </div>
              ) : conversationId && detail.isPending ? (
                <LoadingState label="Loading conversation…" />
              ) : detail.isError ? (
                <div className="mx-auto max-w-xl p-8">
                  <Alert
                    tone="danger"
                    title="The conversation could not be loaded"
                    action={
                      <Button size="sm" onClick={() => detail.refetch()}>
                        Retry
                      </Button>
                    }
                  >
                    {describeError(detail.error)}
                  </Alert>
                </div>
              ) : hasThread && conversationId ? (
                <div className="mx-auto w-full max-w-3xl px-4 py-8 sm:px-6">
                  <MessageThread
                    conversationId={conversationId}
                    messages={messages}
                    turn={turn}
                    onAsk={ask}
                  />
                </div>
              ) : (
                <EmptyThread />
              )}
            </div>
            <div className="shrink-0 px-3 pt-2 pb-3 sm:px-6 sm:pb-5">
              <div className="mx-auto w-full max-w-3xl">
                {sendError ? (
                  <Alert tone="danger" className="mb-3" data-testid="send-error">
                    {sendError}
                  </Alert>
                ) : null}
                <Composer
                  value={draft}
                  onChange={setDraft}
                  onSubmit={ask}
                  onStop={() => conversationId && streams.stop(conversationId)}
                  isStreaming={isStreaming}
                  isDisabled={isMissing}
                />
                <p className="mt-2 text-center text-xs text-fg-subtle">
                  Answers use only documents you can access. Check important facts in the sources.
                </p>
              </div>
            </div>
          </>
        )}
      </section>
    </div>
  );
}
