import type { Message } from '@nexus/contracts';
import * as Popover from '@radix-ui/react-popover';
import { Check, Copy, RotateCcw, ThumbsDown, ThumbsUp } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Textarea } from '../../components/ui/field.tsx';
import { Tooltip } from '../../components/ui/tooltip.tsx';
import { describeError } from '../../lib/api-client.ts';
import { copyText } from '../../lib/clipboard.ts';
import { cn } from '../../lib/cn.ts';
import { useSendFeedback } from './chat-api.ts';

export function CopyButton({ text }: { text: string }) {
  const [isCopied, setIsCopied] = useState(false);
  return (
    <Tooltip content={isCopied ? 'Copied' : 'Copy'}>
      <Button
        variant="ghost"
        size="icon-sm"
        aria-label={isCopied ? 'Copied' : 'Copy answer'}
        data-testid="copy-answer"
        onClick={async () => {
          await copyText(text).catch(() => undefined);
          setIsCopied(true);
          setTimeout(() => setIsCopied(false), 1500);
        }}
      >
        {isCopied ? <Check className="size-4 text-success" /> : <Copy className="size-4" />}
      </Button>
    </Tooltip>
  );
}

function FeedbackButtons({ conversationId, message }: { conversationId: string; message: Message }) {
  const feedback = useSendFeedback(conversationId);
  const [openFor, setOpenFor] = useState<1 | -1 | null>(null);
  const [comment, setComment] = useState('');
  const [isThanked, setIsThanked] = useState(false);
  const current = feedback.variables?.rating ?? message.feedback?.rating ?? null;

  const rate = (rating: 1 | -1) => {
    setIsThanked(false);
    setComment('');
    feedback.mutate({ messageId: message.id, rating }, { onSuccess: () => setOpenFor(rating) });
  };
  const submitComment = (event: FormEvent) => {
    event.preventDefault();
    if (!openFor) return;
    feedback.mutate(
      { messageId: message.id, rating: openFor, comment: comment.trim() },
      {
        onSuccess: () => {
          setIsThanked(true);
          setTimeout(() => setOpenFor(null), 900);
        },
      },
    );
  };

  const button = (rating: 1 | -1) => {
    const Icon = rating === 1 ? ThumbsUp : ThumbsDown;
    const label = rating === 1 ? 'Helpful' : 'Not helpful';
    return (
      <Tooltip content={label}>
        <Button
          variant="ghost"
          size="icon-sm"
          aria-label={label}
          aria-pressed={current === rating}
          onClick={() => rate(rating)}
          data-testid={rating === 1 ? 'feedback-up' : 'feedback-down'}
          className={cn(current === rating && 'text-accent')}
        >
          <Icon className={cn('size-4', current === rating && 'fill-current/20')} />
        </Button>
      </Tooltip>
    );
  };

  return (
    <Popover.Root open={openFor !== null} onOpenChange={(open) => !open && setOpenFor(null)}>
      <Popover.Anchor asChild>
        <div className="flex items-center">
          {button(1)}
          {button(-1)}
        </div>
      </Popover.Anchor>
      <Popover.Portal>
        <Popover.Content
          side="bottom"
          align="start"
          sideOffset={6}
          collisionPadding={12}
          className="z-50 w-80 max-w-[calc(100vw-24px)] rounded-xl border border-line bg-surface p-4 shadow-pop animate-pop-in"
          data-testid="feedback-popover"
        >
          {isThanked ? (
            <p className="flex items-center gap-2 text-sm font-medium text-success" role="status">
              <Check className="size-4" /> Thanks for the feedback.
            </p>
          ) : (
            <form onSubmit={submitComment} className="space-y-3">
              <label htmlFor={`feedback-${message.id}`} className="block text-sm font-medium">
                {openFor === 1 ? 'Thanks! What was helpful?' : 'Thanks. What could be better?'}
                <span className="ml-1 font-normal text-fg-subtle">(optional)</span>
              </label>
              <Textarea
                id={`feedback-${message.id}`}
                value={comment}
                maxLength={2000}
                onChange={(event) => setComment(event.target.value)}
                className="min-h-20 text-[13px]"
                data-testid="feedback-comment"
              />
              {feedback.error ? <p className="text-xs text-danger">{describeError(feedback.error)}</p> : null}
              <div className="flex justify-end gap-2">
                <Button size="sm" variant="ghost" onClick={() => setOpenFor(null)}>
                  Skip
                </Button>
                <Button
                  size="sm"
                  type="submit"
                  variant="primary"
                  disabled={!comment.trim()}
                  isLoading={feedback.isPending}
                  data-testid="feedback-submit"
                >
                  Send
                </Button>
              </div>
            </form>
          )}
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

export function MessageActions({
  conversationId,
  message,
  onRetry,
}: {
  conversationId: string;
  message: Message;
  onRetry?: () => void;
}) {
  return (
    <div className="mt-2 -ml-1.5 flex items-center gap-0.5 text-fg-subtle" data-testid="message-actions">
      <CopyButton text={message.content} />
      {onRetry ? (
        <Tooltip content="Ask again">
          <Button
            variant="ghost"
            size="icon-sm"
            aria-label="Ask again"
            onClick={onRetry}
            data-testid="retry-answer"
          >
            <RotateCcw className="size-4" />
          </Button>
        </Tooltip>
      ) : null}
      <FeedbackButtons conversationId={conversationId} message={message} />
    </div>
  );
}
