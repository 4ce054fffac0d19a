import type { Message } from '@nexus/contracts';
import { CircleSlash, Info } from 'lucide-react';
import { createContext, type ReactNode, useContext } from 'react';
import { Alert } from '../../components/ui/alert.tsx';
import { Badge } from '../../components/ui/badge.tsx';
import { Button } from '../../components/ui/button.tsx';
import { BrandMark } from '../shell/brand.tsx';
import { AnswerMarkdown } from './answer-markdown.tsx';
import type { PendingTurn } from './answer-streams.tsx';
import type { StreamFailure } from './chat-stream.ts';
import { SourcesList } from './citation-card.tsx';
import { CopyButton, MessageActions } from './message-actions.tsx';

export const REFUSAL = "I don't have enough information to answer this question.";

export function isRefusal(message: { content: string; citations: unknown[] }): boolean {
  return message.citations.length === 0 && message.content.trim() === REFUSAL;
}

function UserBubble({ content }: { content: string }) {
  return (
    <div className="flex justify-end" data-testid="user-message">
      <div className="max-w-[85%] rounded-2xl rounded-br-md bg-accent-soft px-4 py-2.5 text-[15px] leading-relaxed whitespace-pre-wrap text-fg">
        {content}
      </div>
    </div>
  );
}

function AssistantFrame({
  children,
  status,
  testId = 'assistant-message',
}: {
  children: ReactNode;
  status: string;
  testId?: string;
}) {
  return (
    <div className="flex gap-3.5" data-testid={testId} data-status={status}>
      <BrandMark className="mt-0.5 size-7 shrink-0" />
      <div className="min-w-0 flex-1 pt-0.5">{children}</div>
    </div>
  );
}

const KNOWLEDGE_REFUSAL_HINT =
  'No document you can access covers this. Try rephrasing, or ask a content manager to add one.';

/** What a refusal suggests doing next; a notebook says something else than the company library. */
const RefusalHint = createContext(KNOWLEDGE_REFUSAL_HINT);

function RefusalNote({ content }: { content: string }) {
  const hint = useContext(RefusalHint);
  return (
    <div
      className="flex items-start gap-2.5 rounded-xl border border-line bg-surface-muted px-3.5 py-3 text-[15px] text-fg"
      data-testid="refusal"
    >
      <Info className="mt-0.5 size-4 shrink-0 text-fg-subtle" aria-hidden />
      <div>
        <p>{content}</p>
        <p className="mt-1 text-[13px] text-fg-muted">{hint}</p>
      </div>
    </div>
  );
}

const FAILURE_TITLES: Record<StreamFailure['kind'], string> = {
  network: 'Connection lost',
  rate_limited: 'Too many questions at once',
  model: 'The model could not answer',
  request: 'Your question was not sent',
};

export function StoredAssistantMessage({
  conversationId,
  message,
  onRetry,
}: {
  conversationId: string;
  message: Message;
  onRetry?: () => void;
}) {
  if (message.status === 'error' && !message.content) {
    return (
      <AssistantFrame status="error">
        <Alert
          tone="danger"
          title={FAILURE_TITLES.model}
          action={
            onRetry ? (
              <Button size="sm" onClick={onRetry}>
                Retry
              </Button>
            ) : null
          }
        >
          {message.error ?? 'The answer failed.'}
        </Alert>
      </AssistantFrame>
    );
  }
  return (
    <AssistantFrame status={message.status}>
      {isRefusal(message) ? (
        <RefusalNote content={message.content} />
      ) : (
        <AnswerMarkdown content={message.content} citations={message.citations} />
      )}
      {message.status === 'partial' ? (
        <Badge className="mt-2" tone="neutral">
          <CircleSlash className="size-3" /> Stopped
        </Badge>
      ) : null}
      {message.status === 'error' ? (
        <p className="mt-2 text-[13px] text-danger">{message.error ?? 'The answer did not finish.'}</p>
      ) : null}
      <SourcesList citations={message.citations} />
      <MessageActions conversationId={conversationId} message={message} onRetry={onRetry} />
    </AssistantFrame>
  );
}

function TypingDots() {
  return (
    <div className="flex h-7 items-center gap-2 text-sm text-fg-subtle" role="status">
      <span className="flex gap-1" aria-hidden>
        {[0, 1, 2].map((dot) => (
          <span
            key={dot}
            className="size-1.5 animate-bounce rounded-full bg-current"
            style={{ animationDelay: `${dot * 120}ms` }}
          />
        ))}
      </span>
      Searching your documents…
    </div>
  );
}

export function PendingTurnView({ turn, onRetry }: { turn: PendingTurn; onRetry: () => void }) {
  const isStreaming = turn.status === 'streaming' || turn.status === 'finishing';
  return (
    <>
      <UserBubble content={turn.question} />
      <AssistantFrame status={turn.status} testId="pending-answer">
        {turn.answer ? (
          <div aria-live="polite" aria-busy={isStreaming}>
            {isRefusal({ content: turn.answer, citations: turn.citations }) && !isStreaming ? (
              <RefusalNote content={turn.answer} />
            ) : (
              <AnswerMarkdown content={turn.answer} citations={turn.citations} />
            )}
            {isStreaming ? (
              <span
                className="ml-0.5 inline-block h-4 w-[3px] translate-y-0.5 animate-blink rounded-full bg-accent"
                aria-hidden
              />
            ) : null}
          </div>
        ) : isStreaming ? (
          <TypingDots />
        ) : null}
        {turn.status === 'stopped' ? (
          <div className="mt-2 flex items-center gap-2">
            <Badge tone="neutral">
              <CircleSlash className="size-3" /> Stopped
            </Badge>
            <Button size="sm" variant="ghost" onClick={onRetry} data-testid="retry-answer">
              Ask again
            </Button>
          </div>
        ) : null}
        {turn.status === 'failed' && turn.failure ? (
          <Alert
            tone={turn.failure.kind === 'rate_limited' ? 'warning' : 'danger'}
            title={FAILURE_TITLES[turn.failure.kind]}
            className="mt-1"
            data-testid="answer-error"
            action={
              <Button size="sm" onClick={onRetry} data-testid="retry-answer">
                Retry
              </Button>
            }
          >
            {turn.failure.message}
          </Alert>
        ) : null}
        {!isStreaming && turn.answer ? <SourcesList citations={turn.citations} /> : null}
        {turn.status === 'stopped' && turn.answer ? (
          <div className="mt-2 -ml-1.5 text-fg-subtle">
            <CopyButton text={turn.answer} />
          </div>
        ) : null}
      </AssistantFrame>
    </>
  );
}

export function MessageThread({
  conversationId,
  messages,
  turn,
  onAsk,
  refusalHint = KNOWLEDGE_REFUSAL_HINT,
}: {
  conversationId: string;
  messages: Message[];
  turn: PendingTurn | undefined;
  onAsk: (question: string) => void;
  refusalHint?: string;
}) {
  const visible = turn ? messages.slice(0, turn.baseMessageCount) : messages;
  const isBusy = Boolean(turn && (turn.status === 'streaming' || turn.status === 'finishing'));
  return (
    <RefusalHint.Provider value={refusalHint}>
      <div className="space-y-7" data-testid="message-thread">
        {visible.map((message, index) => {
          if (message.role === 'user') return <UserBubble key={message.id} content={message.content} />;
          const question = [...visible.slice(0, index)]
            .reverse()
            .find((candidate) => candidate.role === 'user');
          return (
            <StoredAssistantMessage
              key={message.id}
              conversationId={conversationId}
              message={message}
              onRetry={question && !isBusy ? () => onAsk(question.content) : undefined}
            />
          );
        })}
        {turn ? <PendingTurnView turn={turn} onRetry={() => onAsk(turn.question)} /> : null}
      </div>
    </RefusalHint.Provider>
  );
}
