import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { TooltipProvider } from '../../components/ui/tooltip.tsx';
import { Composer } from './composer.tsx';

function Harness({ isStreaming = false, onSubmit = vi.fn(), onStop = vi.fn() }) {
  const [value, setValue] = useState('');
  return (
    <TooltipProvider>
      <Composer
        value={value}
        onChange={setValue}
        onSubmit={onSubmit}
        onStop={onStop}
        isStreaming={isStreaming}
      />
    </TooltipProvider>
  );
}

describe('Composer', () => {
  it('sends the trimmed question on Enter, adds a line on Shift+Enter, and ignores blank input', () => {
    const onSubmit = vi.fn();
    render(<Harness onSubmit={onSubmit} />);
    const input = screen.getByLabelText('Your question');
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSubmit).not.toHaveBeenCalled();
    expect((screen.getByTestId('send-question') as HTMLButtonElement).disabled).toBe(true);

    fireEvent.change(input, { target: { value: '  How many days?  ' } });
    fireEvent.keyDown(input, { key: 'Enter', shiftKey: true });
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSubmit).toHaveBeenCalledWith('How many days?');
  });

  it('offers Stop instead of Send while an answer streams', () => {
    const onStop = vi.fn();
    render(<Harness isStreaming onStop={onStop} />);
    expect(screen.queryByTestId('send-question')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Stop generating' }));
    expect(onStop).toHaveBeenCalled();
  });

  it('says when a question is too long', () => {
    render(<Harness />);
    fireEvent.change(screen.getByLabelText('Your question'), { target: { value: 'x'.repeat(8001) } });
    expect(screen.getByRole('alert').textContent).toContain('8,000');
    expect((screen.getByTestId('send-question') as HTMLButtonElement).disabled).toBe(true);
  });
});
