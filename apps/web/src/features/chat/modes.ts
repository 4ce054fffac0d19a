import type { ConversationMode } from '@nexus/contracts';
import { BookOpenText, NotebookPen, Sparkles } from 'lucide-react';

export const MODES: {
  mode: ConversationMode;
  label: string;
  icon: typeof Sparkles;
  isAvailable: boolean;
  description: string;
}[] = [
  {
    mode: 'rag',
    label: 'Knowledge',
    icon: BookOpenText,
    isAvailable: true,
    description: 'Answers grounded in company documents you can access, with sources.',
  },
  {
    mode: 'assistant',
    label: 'Assistant',
    icon: Sparkles,
    isAvailable: false,
    description: 'Draft, summarise and translate text with an AI assistant.',
  },
  {
    mode: 'notebook',
    label: 'Notebook',
    icon: NotebookPen,
    isAvailable: true,
    description: 'Analyse your own files in a private notebook.',
  },
];

export function parseMode(value: string | null | undefined): ConversationMode {
  return value === 'assistant' || value === 'notebook' ? value : 'rag';
}
