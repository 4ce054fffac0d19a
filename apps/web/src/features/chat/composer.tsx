import { ArrowUp, Square } from 'lucide-react';
import { type FormEvent, type KeyboardEvent, useEffect, useRef } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Tooltip } from '../../components/ui/tooltip.tsx';

export const MAX_QUESTION_LENGTH = 8000;

/** The question box: Enter sends, Shift+Enter adds a line; Stop replaces Send while answering. */
export function Composer({
  value,
  onChange,
  onSubmit,
  onStop,
  isStreaming,
  isDisabled = false,
  placeholder = 'Ask about company documents…',
}: {
  value: string;
  onChange: (value: string) => void;
  onSubmit: (question: string) => void;
  onStop: () => void;
  isStreaming: boolean;
  isDisabled?: boolean;
  placeholder?: string;
}) {
  const textarea = useRef<HTMLTextAreaElement>(null);

  // Grow with the text up to a limit, then scroll.
  // biome-ignore lint/correctness/useExhaustiveDependencies: resize whenever the text changes
  useEffect(() => {
    const element = textarea.current;
    if (!element) return;
    element.style.height = 'auto';
    element.style.height = `${Math.min(element.scrollHeight, 220)}px`;
  }, [value]);

  const question = value.trim();
  const canSend =
    question.length > 0 && question.length <= MAX_QUESTION_LENGTH && !isStreaming && !isDisabled;
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (canSend) onSubmit(question);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  return (
    <form onSubmit={submit} className="relative" data-testid="composer">
      <div className="flex items-end gap-2 rounded-2xl border border-line bg-surface p-2 pl-4 shadow-card transition-colors focus-within:border-accent/60 focus-within:shadow-pop">
        <textarea
          ref={textarea}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          onKeyDown={onKeyDown}
          rows={1}
          placeholder={placeholder}
          aria-label="Your question"
          maxLength={MAX_QUESTION_LENGTH + 500}
          disabled={isDisabled}
          className="max-h-[220px] min-h-[40px] flex-1 resize-none bg-transparent py-2 text-[15px] leading-6 text-fg placeholder:text-fg-subtle focus-visible:outline-none"
          data-testid="composer-input"
        />
        {isStreaming ? (
          <Tooltip content="Stop generating">
            <Button
              variant="secondary"
              size="icon"
              aria-label="Stop generating"
              onClick={onStop}
              data-testid="stop-generation"
            >
              <Square className="size-3.5 fill-current" />
            </Button>
          </Tooltip>
        ) : (
          <Tooltip content="Send (Enter)">
            <Button
              type="submit"
              variant="primary"
              size="icon"
              aria-label="Send question"
              disabled={!canSend}
              data-testid="send-question"
            >
              <ArrowUp className="size-[18px]" />
            </Button>
          </Tooltip>
        )}
      </div>
      {question.length > MAX_QUESTION_LENGTH ? (
        <p className="mt-1.5 text-xs text-danger" role="alert">
          Questions can be up to {MAX_QUESTION_LENGTH.toLocaleString()} characters (
          {question.length.toLocaleString()} now).
        </p>
      ) : null}
    </form>
  );
}
