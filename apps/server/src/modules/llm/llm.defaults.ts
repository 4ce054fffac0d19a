import type { Executor } from '../../platform/db/database.ts';
import type { LlmMode } from '../../platform/db/schema.ts';

export const LLM_MODES: readonly LlmMode[] = [
  'rag',
  'assistant_summary',
  'assistant_writing',
  'assistant_translate',
  'notebook',
];

/** The built-in extractive answerer: needs no keys and no network. */
export const OFFLINE_MODEL = { provider: 'offline', model: 'nexus-extractive-1' } as const;

export const REFUSAL_TEXT = "I don't have enough information to answer this question.";

const DEFAULT_PROMPTS: Record<LlmMode, string> = {
  rag: [
    'You answer questions for employees using only the numbered passages provided.',
    'Cite every statement with the number of the passage that supports it, like [1] or [2][3].',
    `If the passages do not contain the answer, reply exactly: "${REFUSAL_TEXT}"`,
    'Do not use outside knowledge. Be concise and keep the language of the question.',
  ].join('\n'),
  assistant_summary:
    'Summarise the text the user provides faithfully and concisely: key points first, then details. Do not add facts that are not in the text.',
  assistant_writing:
    'Draft clear, professional text in the tone the user asks for. Ask for missing facts instead of inventing them.',
  assistant_translate:
    'Translate the text into the requested language, preserving meaning, tone, formatting and names. Output only the translation.',
  notebook: [
    "You answer questions about the user's own uploaded files, using only the numbered passages provided.",
    'Cite every statement like [1].',
    `If the passages do not contain the answer, reply exactly: "${REFUSAL_TEXT}"`,
  ].join('\n'),
};

/** Gives a tenant an active offline model config and a first system prompt for every mode. */
export async function insertDefaultModelSettings(executor: Executor, tenantId: string): Promise<void> {
  await executor
    .insertInto('llm_configs')
    .values(
      LLM_MODES.map((mode) => ({
        tenant_id: tenantId,
        mode,
        name: `Offline extractive (${mode})`,
        provider: OFFLINE_MODEL.provider,
        model: OFFLINE_MODEL.model,
        temperature: 0,
        max_tokens: 1024,
        is_active: true,
      })),
    )
    .execute();
  await executor
    .insertInto('system_prompts')
    .values(
      LLM_MODES.map((mode) => ({
        tenant_id: tenantId,
        mode,
        version: 1,
        content: DEFAULT_PROMPTS[mode],
        is_active: true,
      })),
    )
    .execute();
}
