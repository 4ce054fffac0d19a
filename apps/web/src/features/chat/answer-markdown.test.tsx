import type { Citation } from '@nexus/contracts';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { TooltipProvider } from '../../components/ui/tooltip.tsx';
import { AnswerMarkdown } from './answer-markdown.tsx';
import { SourcesList, safeSourceUrl } from './citation-card.tsx';
import { splitCitationMarkers } from './citations.ts';

const CITATIONS: Citation[] = [
  {
    index: 1,
    document_id: '3b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11',
    title: 'UK Annual Leave Policy',
    url: 'https://intranet.example/policies/leave.pdf',
    page: 3,
    section: 'Entitlement',
    snippet: 'Full-time UK employees are entitled to 25 days of paid annual leave.',
    score: 7.7,
  },
  {
    index: 2,
    document_id: '4b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11',
    title: 'Company Holidays 2027',
    url: null,
    page: null,
    section: null,
    snippet: 'Eight bank holidays.',
    score: 5.1,
  },
];

function renderAnswer(content: string, citations = CITATIONS) {
  return render(
    <TooltipProvider>
      <AnswerMarkdown content={content} citations={citations} />
    </TooltipProvider>,
  );
}

describe('splitCitationMarkers', () => {
  it('splits known markers out of text and leaves unknown ones', () => {
    expect(splitCitationMarkers('25 days [1][2], see [9].', new Set([1, 2]))).toEqual([
      '25 days ',
      1,
      2,
      ', see [9].',
    ]);
    expect(splitCitationMarkers('no markers', new Set([1]))).toEqual(['no markers']);
  });
});

describe('AnswerMarkdown', () => {
  it('renders Markdown with citation markers as buttons for the known sources only', () => {
    renderAnswer('UK staff get **25 days** [1] plus bank holidays [2]. Unknown [7].\n\n- one\n- two');
    const markers = screen.getAllByTestId('citation-marker');
    expect(markers.map((marker) => marker.textContent)).toEqual(['1', '2']);
    expect(markers[0]!.getAttribute('aria-label')).toBe('Source 1: UK Annual Leave Policy');
    expect(screen.getByText('25 days').tagName).toBe('STRONG');
    expect(screen.getByTestId('answer-content').textContent).toContain('Unknown [7].');
    expect(screen.getAllByRole('listitem')).toHaveLength(2);
  });

  it('does not turn markers in code into citations', () => {
    renderAnswer('Use `array[1]` and\n\n```\nx = y[2]\n```');
    expect(screen.queryAllByTestId('citation-marker')).toHaveLength(0);
  });

  it('never renders raw HTML or script links from model output', () => {
    const { container } = renderAnswer(
      'Hi <img src=x onerror="alert(1)"> <script>alert(2)</script> [click](javascript:alert(3)) <b>bold</b> [1]',
    );
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    for (const link of container.querySelectorAll('a'))
      expect(link.getAttribute('href') ?? '').not.toMatch(/javascript/i);
    expect(screen.getAllByTestId('citation-marker')).toHaveLength(1);
  });

  it('shows the source (title, page, section, snippet, link) when a marker is clicked', async () => {
    renderAnswer('25 days [1].');
    await act(async () => {
      fireEvent.click(screen.getByTestId('citation-marker'));
    });
    const popover = await screen.findByTestId('citation-popover');
    expect(within(popover).getByTestId('citation-title').textContent).toBe('UK Annual Leave Policy');
    expect(popover.textContent).toContain('Page 3 · Entitlement');
    expect(popover.textContent).toContain('entitled to 25 days');
    const link = within(popover).getByRole('link', { name: /open original/i });
    expect(link.getAttribute('href')).toBe('https://intranet.example/policies/leave.pdf');
    expect(link.getAttribute('rel')).toContain('noopener');
  });
});

describe('SourcesList', () => {
  it('lists every source in order, linking those with a safe URL', () => {
    render(<SourcesList citations={[CITATIONS[1]!, CITATIONS[0]!]} />);
    const titles = screen.getAllByTestId('source-title').map((title) => title.textContent);
    expect(titles).toEqual(['UK Annual Leave Policy', 'Company Holidays 2027']);
    expect(screen.getAllByRole('link')).toHaveLength(1);
  });

  it('accepts only web and same-site source links', () => {
    expect(safeSourceUrl('https://x.example/a')).toBe('https://x.example/a');
    expect(safeSourceUrl('/api/v1/documents/1')).toBe('/api/v1/documents/1');
    expect(safeSourceUrl('javascript:alert(1)')).toBeNull();
    expect(safeSourceUrl('//evil.example')).toBeNull();
    expect(safeSourceUrl(null)).toBeNull();
  });
});
