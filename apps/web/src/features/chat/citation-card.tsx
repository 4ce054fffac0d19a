import type { Citation } from '@nexus/contracts';
import * as Popover from '@radix-ui/react-popover';
import { ExternalLink, FileText } from 'lucide-react';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { cn } from '../../lib/cn.ts';

/** Only web and same-site links are followed; anything else (javascript:, data:) is dropped. */
export function safeSourceUrl(url: string | null): string | null {
  if (!url) return null;
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** The section path without a leading repeat of the document title ("Policy › 3. Leave" → "3. Leave"). */
export function citationSection(citation: Citation): string | null {
  if (!citation.section) return null;
  const prefix = `${citation.title} › `;
  const section = citation.section.startsWith(prefix)
    ? citation.section.slice(prefix.length)
    : citation.section;
  return section && section !== citation.title ? section : null;
}

export function citationLocation(citation: Citation): string | null {
  const parts = [citation.page !== null ? `Page ${citation.page}` : null, citationSection(citation)].filter(
    Boolean,
  );
  return parts.length ? parts.join(' · ') : null;
}

/** Title, page/section, snippet and a link to the original: shown in the popover. */
export function CitationDetails({ citation }: { citation: Citation }) {
  const url = safeSourceUrl(citation.url);
  const location = citationLocation(citation);
  return (
    <div className="space-y-2.5">
      <div className="flex items-start gap-2.5">
        <span className="mt-0.5 flex size-6 shrink-0 items-center justify-center rounded-md bg-accent-soft text-xs font-semibold text-accent-soft-fg">
          {citation.index}
        </span>
        <div className="min-w-0">
          <p className="text-sm leading-snug font-semibold text-fg" data-testid="citation-title">
            {citation.title}
          </p>
          {location ? <p className="mt-0.5 text-xs text-fg-subtle">{location}</p> : null}
        </div>
      </div>
      {citation.snippet ? (
        <blockquote className="line-clamp-6 border-l-2 border-accent/40 pl-3 text-[13px] leading-relaxed text-fg-muted">
          {citation.snippet}
        </blockquote>
      ) : null}
      {url ? (
        <a
          href={url}
          target="_blank"
          rel="noopener noreferrer"
          className="inline-flex items-center gap-1.5 text-[13px] font-medium text-accent hover:underline"
        >
          Open original <ExternalLink className="size-3.5" aria-hidden />
        </a>
      ) : null}
    </div>
  );
}

/** The `[n]` marker in an answer: opens the source on hover, focus-and-Enter or click. */
export function CitationMarker({ citation }: { citation: Citation }) {
  const [isOpen, setIsOpen] = useState(false);
  const closeTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const openTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(
    () => () => {
      clearTimeout(closeTimer.current);
      clearTimeout(openTimer.current);
    },
    [],
  );
  const hoverOpen = () => {
    clearTimeout(closeTimer.current);
    openTimer.current = setTimeout(() => setIsOpen(true), 150);
  };
  const hoverClose = () => {
    clearTimeout(openTimer.current);
    closeTimer.current = setTimeout(() => setIsOpen(false), 200);
  };
  return (
    <Popover.Root open={isOpen} onOpenChange={setIsOpen}>
      <Popover.Trigger asChild>
        <button
          type="button"
          className={cn(
            'mx-0.5 inline-flex h-[18px] min-w-[18px] -translate-y-px items-center justify-center rounded-[5px] px-1 align-middle text-[11px] leading-none font-semibold tabular-nums transition-colors',
            isOpen
              ? 'bg-accent text-accent-fg'
              : 'bg-accent-soft text-accent-soft-fg hover:bg-accent hover:text-accent-fg',
          )}
          aria-label={`Source ${citation.index}: ${citation.title}`}
          data-testid="citation-marker"
          data-citation-index={citation.index}
          onPointerEnter={(event) => event.pointerType === 'mouse' && hoverOpen()}
          onPointerLeave={(event) => event.pointerType === 'mouse' && hoverClose()}
        >
          {citation.index}
        </button>
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content
          side="bottom"
          align="center"
          sideOffset={6}
          collisionPadding={12}
          className="z-50 w-80 max-w-[calc(100vw-24px)] rounded-xl border border-line bg-surface p-4 shadow-pop animate-pop-in"
          onPointerEnter={() => clearTimeout(closeTimer.current)}
          onPointerLeave={hoverClose}
          onOpenAutoFocus={(event) => event.preventDefault()}
          data-testid="citation-popover"
        >
          <CitationDetails citation={citation} />
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

/** The numbered list of sources under an answer. */
export function SourcesList({ citations }: { citations: Citation[] }): ReactNode {
  if (citations.length === 0) return null;
  const sorted = [...citations].sort((left, right) => left.index - right.index);
  return (
    <div className="mt-4" data-testid="sources-list">
      <p className="mb-2 text-xs font-semibold tracking-wide text-fg-subtle uppercase">Sources</p>
      <ol className="grid gap-2 sm:grid-cols-2">
        {sorted.map((citation) => {
          const url = safeSourceUrl(citation.url);
          const location = citationLocation(citation);
          const body = (
            <>
              <span className="flex size-5 shrink-0 items-center justify-center rounded-md bg-accent-soft text-[11px] font-semibold text-accent-soft-fg">
                {citation.index}
              </span>
              <span className="min-w-0 flex-1">
                <span className="block truncate text-[13px] font-medium text-fg" data-testid="source-title">
                  {citation.title}
                </span>
                <span className="flex items-center gap-1 truncate text-xs text-fg-subtle">
                  <FileText className="size-3 shrink-0" aria-hidden />
                  {location ?? 'Document'}
                </span>
              </span>
              {url ? <ExternalLink className="size-3.5 shrink-0 text-fg-subtle" aria-hidden /> : null}
            </>
          );
          const className =
            'flex items-center gap-2.5 rounded-xl border border-line bg-surface px-3 py-2 transition-colors';
          return (
            <li
              key={`${citation.index}-${citation.document_id}`}
              className="min-w-0"
              title={citation.snippet}
            >
              {url ? (
                <a
                  href={url}
                  target="_blank"
                  rel="noopener noreferrer"
                  className={cn(className, 'hover:border-line-strong hover:bg-surface-hover')}
                >
                  {body}
                </a>
              ) : (
                <div className={className}>{body}</div>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
