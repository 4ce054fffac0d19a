import type { Citation } from '@nexus/contracts';
import type { ConversationRow, MessageRow } from './chat.repository.ts';

/** The API shapes of conversations and stored messages. */

export function toConversationResponse(conversation: ConversationRow) {
  return {
    id: conversation.id,
    mode: conversation.mode,
    title: conversation.title,
    created_at: conversation.created_at.toISOString(),
    updated_at: conversation.updated_at.toISOString(),
  };
}

export function toMessageResponse(message: MessageRow) {
  return {
    id: message.id,
    role: message.role as 'user' | 'assistant',
    content: message.content,
    citations: message.citations as Citation[],
    status: message.status,
    error: message.error,
    usage:
      message.role === 'assistant'
        ? {
            input_tokens: message.input_tokens ?? 0,
            output_tokens: message.output_tokens ?? 0,
            cost_usd: message.cost_usd ?? 0,
          }
        : null,
    provider: message.provider,
    model: message.model,
    latency_ms: message.latency_ms,
    feedback: message.feedback_rating
      ? { rating: message.feedback_rating, comment: message.feedback_comment }
      : null,
    created_at: message.created_at.toISOString(),
  };
}
