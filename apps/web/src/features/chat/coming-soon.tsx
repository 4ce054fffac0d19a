import type { ConversationMode } from '@nexus/contracts';
import { Button } from '../../components/ui/button.tsx';
import { MODES } from './modes.ts';

export function ComingSoon({ mode, onBack }: { mode: ConversationMode; onBack: () => void }) {
  const item = MODES.find((candidate) => candidate.mode === mode)!;
  return (
    <div className="flex h-full items-center justify-center px-6" data-testid="coming-soon">
      <div className="max-w-sm text-center">
        <div className="mx-auto mb-5 flex size-12 items-center justify-center rounded-2xl bg-accent-soft text-accent-soft-fg">
          <item.icon className="size-6" aria-hidden />
        </div>
        <p className="mb-2 inline-flex rounded-full bg-surface-muted px-2.5 py-0.5 text-xs font-medium text-fg-muted">
          Coming soon
        </p>
        <h2 className="text-lg font-semibold tracking-tight">{item.label}</h2>
        <p className="mt-1.5 text-sm text-fg-muted">{item.description}</p>
        <p className="mt-1 text-sm text-fg-muted">
          Until then, Knowledge answers questions from company documents.
        </p>
        <Button variant="secondary" className="mt-6" onClick={onBack}>
          Switch to Knowledge
        </Button>
      </div>
    </div>
  );
}
