import type { Message } from '@nexus/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { TooltipProvider } from '../../components/ui/tooltip.tsx';
import type { PendingTurn } from './answer-streams.tsx';
import { MessageThread, REFUSAL } from './message-thread.tsx';

const CONVERSATION = '0b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11';

function message(overrides: Partial<Message>): Message {
  return {
    id: crypto.randomUUID(),
    role: 'assistant',
    content: '',
    citations: [],
    status: 'complete',
    error: null,
    usage: null,
    provider: null,
    model: null,
    latency_ms: null,
    feedback: null,
    created_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

function turn(overrides: Partial<PendingTurn>): PendingTurn {
  return {
    conversationId: CONVERSATION,
    question: 'How many days?',
    answer: '',
    citations: [],
    status: 'streaming',
    failure: null,
    baseMessageCount: 0,
    ...overrides,
  };
}

function wrap(children: ReactNode) {
  return (
    <QueryClientProvider client={new QueryClient()}>
      <TooltipProvider>{children}</TooltipProvider>
    </QueryClientProvider>
  );
}

describe('MessageThread', () => {
  it('shows stored questions and answers, the refusal distinctly, and stopped answers as such', () => {
    const onAsk = vi.fn();
    render(
      wrap(
        <MessageThread
          conversationId={CONVERSATION}
          turn={undefined}
          onAsk={onAsk}
          messages={[
            message({ role: 'user', content: 'What about swallows?' }),
            message({ content: REFUSAL }),
            message({ role: 'user', content: 'And leave?' }),
            message({ content: 'UK staff get 25', status: 'partial' }),
          ]}
        />,
      ),
    );
    expect(screen.getAllByTestId('user-message').map((node) => node.textContent)).toEqual([
      'What about swallows?',
      'And leave?',
    ]);
    expect(screen.getByTestId('refusal').textContent).toContain(REFUSAL);
    const answers = screen.getAllByTestId('assistant-message');
    expect(answers[1]!.getAttribute('data-status')).toBe('partial');
    expect(within(answers[1]!).getByText('Stopped')).toBeTruthy();
    fireEvent.click(within(answers[1]!).getByTestId('retry-answer'));
    expect(onAsk).toHaveBeenCalledWith('And leave?');
  });

  it('hides stored messages after the turn in flight so the question is not shown twice', () => {
    render(
      wrap(
        <MessageThread
          conversationId={CONVERSATION}
          turn={turn({ answer: 'UK staff get', baseMessageCount: 0 })}
          onAsk={vi.fn()}
          messages={[message({ role: 'user', content: 'How many days?' })]}
        />,
      ),
    );
    expect(screen.getAllByTestId('user-message')).toHaveLength(1);
    expect(screen.getByTestId('pending-answer').textContent).toContain('UK staff get');
  });

  it.each([
    ['network', 'Connection lost'],
    ['rate_limited', 'Too many questions at once'],
    ['model', 'The model could not answer'],
  ] as const)('explains a %s failure and offers a retry of the same question', (kind, title) => {
    const onAsk = vi.fn();
    const failure =
      kind === 'model'
        ? { kind, code: 'bad_gateway:model', message: 'The model provider failed.' }
        : { kind, message: 'Details for the reader.' };
    render(
      wrap(
        <MessageThread
          conversationId={CONVERSATION}
          turn={turn({ status: 'failed', failure })}
          onAsk={onAsk}
          messages={[]}
        />,
      ),
    );
    const error = screen.getByTestId('answer-error');
    expect(error.textContent).toContain(title);
    expect(error.textContent).toContain(failure.message);
    fireEvent.click(within(error).getByTestId('retry-answer'));
    expect(onAsk).toHaveBeenCalledWith('How many days?');
  });
});
