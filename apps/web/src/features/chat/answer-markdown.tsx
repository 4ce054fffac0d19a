import type { Citation } from '@nexus/contracts';
import { memo, type ReactNode, useMemo } from 'react';
import Markdown, { type Components } from 'react-markdown';
import rehypeSanitize from 'rehype-sanitize';
import remarkGfm from 'remark-gfm';
import { CitationMarker } from './citation-card.tsx';
import { CITATION_TAG, rehypeCitationMarkers } from './citations.ts';

interface CitationRefProps {
  node?: { properties?: Record<string, unknown> };
  children?: ReactNode;
}

/**
 * An answer as Markdown. Raw HTML in model output is never rendered: react-markdown
 * ignores it and rehype-sanitize strips anything unsafe; `[n]` markers become source
 * popovers for the citations given.
 */
export const AnswerMarkdown = memo(function AnswerMarkdown({
  content,
  citations,
}: {
  content: string;
  citations: Citation[];
}) {
  const byIndex = useMemo(
    () => new Map(citations.map((citation) => [citation.index, citation])),
    [citations],
  );
  const rehypePlugins = useMemo(
    () => [rehypeSanitize, [rehypeCitationMarkers, { indexes: [...byIndex.keys()] }]] as const,
    [byIndex],
  );
  const components = useMemo(
    () =>
      ({
        a: ({ href, children }) => (
          <a href={href} target="_blank" rel="noopener noreferrer">
            {children}
          </a>
        ),
        [CITATION_TAG]: ({ node, children }: CitationRefProps) => {
          const index = Number(node?.properties?.dataIndex);
          const citation = byIndex.get(index);
          return citation ? <CitationMarker citation={citation} /> : <>[{children}]</>;
        },
      }) as Components,
    [byIndex],
  );
  return (
    <div className="prose-answer" data-testid="answer-content">
      <Markdown
        remarkPlugins={[remarkGfm]}
        rehypePlugins={rehypePlugins as unknown as Parameters<typeof Markdown>[0]['rehypePlugins']}
        components={components}
      >
        {content}
      </Markdown>
    </div>
  );
});
