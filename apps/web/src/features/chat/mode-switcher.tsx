import type { ConversationMode } from '@nexus/contracts';
import { type KeyboardEvent, useRef } from 'react';
import { cn } from '../../lib/cn.ts';
import { MODES } from './modes.ts';

/** Knowledge / Assistant / Notebook, as a radio group (arrow keys move between modes). */
export function ModeSwitcher({
  mode,
  onChange,
}: {
  mode: ConversationMode;
  onChange: (mode: ConversationMode) => void;
}) {
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const step =
      event.key === 'ArrowRight' || event.key === 'ArrowDown'
        ? 1
        : event.key === 'ArrowLeft' || event.key === 'ArrowUp'
          ? -1
          : 0;
    if (!step) return;
    event.preventDefault();
    const next = (index + step + MODES.length) % MODES.length;
    buttons.current[next]?.focus();
    onChange(MODES[next]!.mode);
  };
  return (
    <div
      role="radiogroup"
      aria-label="Mode"
      className="inline-flex rounded-xl border border-line bg-surface-muted p-0.5"
      data-testid="mode-switcher"
    >
      {MODES.map((item, index) => {
        const isSelected = item.mode === mode;
        return (
          // biome-ignore lint/a11y/useSemanticElements: a segmented control: buttons with radio semantics and a roving tab stop
          <button
            key={item.mode}
            ref={(element) => {
              buttons.current[index] = element;
            }}
            type="button"
            role="radio"
            aria-checked={isSelected}
            tabIndex={isSelected ? 0 : -1}
            onClick={() => onChange(item.mode)}
            onKeyDown={(event) => onKeyDown(event, index)}
            data-testid={`mode-${item.mode}`}
            className={cn(
              'flex h-8 items-center gap-1.5 rounded-[10px] px-2.5 text-[13px] font-medium transition-all sm:px-3',
              isSelected
                ? 'bg-surface text-fg shadow-card dark:bg-surface-hover'
                : 'text-fg-muted hover:text-fg',
            )}
          >
            <item.icon className="hidden size-3.5 sm:block" aria-hidden />
            {item.label}
            {item.isAvailable ? null : <span className="sr-only"> (coming soon)</span>}
          </button>
        );
      })}
    </div>
  );
}
