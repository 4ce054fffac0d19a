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

/** What a grounded answer says, exactly, when the passages do not answer the question. */
export const REFUSAL_TEXT = "I don't have enough information to answer this question.";

/**
 * The one interface every answer model implements — the offline extractive answerer and
 * every hosted provider behind the AI SDK alike. Chat builds a GenerateRequest, streams the
 * text, validates citations and stores usage; it never knows which provider answered.
 */

export interface ModelPassage {
  /** The `[n]` number the model must use to cite this passage. */
  index: number;
  title: string;
  text: string;
  page: number | null;
  section: string | null;
}

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  /** The system prompt (from `system_prompts`), passages excluded. */
  system: string;
  /**
   * The conversation so far, ending with the user's turn as the model should see it
   * (for grounded modes: the numbered passages followed by the question).
   */
  messages: ChatTurn[];
  /** The stand-alone question (follow-ups already rewritten). */
  question: string;
  /** The question as the user wrote it, when `question` adds words from the conversation. */
  asked?: string;
  /** Numbered passages supplied to the model; empty for ungrounded modes. */
  passages: ModelPassage[];
  signal: AbortSignal;
}

export interface GenerationUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface Generation {
  /** Which provider/model actually answered (the fallback's, when it was used). */
  readonly provider: string;
  readonly model: string;
  /** Text deltas; throws ModelError when the provider fails (before or during the stream). */
  readonly textStream: AsyncIterable<string>;
  /** Resolves once the stream has ended normally. */
  usage(): Promise<GenerationUsage>;
}

export interface AnswerModel {
  readonly provider: string;
  readonly model: string;
  generate(request: GenerateRequest): Generation;
}

export type ModelErrorCode =
  | 'rate_limited'
  | 'timeout'
  | 'unavailable'
  | 'bad_response'
  | 'not_configured'
  | 'aborted';

/** A provider failure, already classified; `message` is safe to show users (no keys, no bodies). */
export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelError';
  }
}
