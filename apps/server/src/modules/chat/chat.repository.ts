import type { Citation } from '@nexus/contracts';
import { type Selectable, sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { containsPattern } from '../../platform/db/like.ts';
import type { ConversationMode, ConversationsTable, MessagesTable } from '../../platform/db/schema.ts';

/** Who owns a conversation: a signed-in user, or an API key (the developer API). */
export type ConversationOwner = { tenantId: string } & ({ userId: string } | { apiKeyId: string });

export type ConversationRow = Selectable<ConversationsTable>;
export type MessageRow = Selectable<MessagesTable> & {
  feedback_rating: -1 | 1 | null;
  feedback_comment: string | null;
};

export const DEFAULT_TITLE = 'New conversation';

function ownedBy(owner: ConversationOwner) {
  return 'userId' in owner
    ? sql<boolean>`conversations.tenant_id = ${owner.tenantId} AND conversations.user_id = ${owner.userId}`
    : sql<boolean>`conversations.tenant_id = ${owner.tenantId} AND conversations.api_key_id = ${owner.apiKeyId}`;
}

export async function insertConversation(
  executor: Executor,
  owner: ConversationOwner,
  values: {
    mode: ConversationMode;
    title?: string | undefined;
    botId?: string | null;
  },
): Promise<ConversationRow> {
  return executor
    .insertInto('conversations')
    .values({
      tenant_id: owner.tenantId,
      user_id: 'userId' in owner ? owner.userId : null,
      api_key_id: 'apiKeyId' in owner ? owner.apiKeyId : null,
      bot_id: values.botId ?? null,
      mode: values.mode,
      title: values.title ?? DEFAULT_TITLE,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findConversation(
  executor: Executor,
  owner: ConversationOwner,
  id: string,
): Promise<ConversationRow | undefined> {
  return executor
    .selectFrom('conversations')
    .selectAll()
    .where('id', '=', id)
    .where(ownedBy(owner))
    .executeTakeFirst();
}

/** Starts a notebook session's conversation unless it exists (conversations_notebook_session_key). */
export async function insertNotebookConversation(
  executor: Executor,
  owner: { tenantId: string; userId: string },
  sessionId: string,
): Promise<void> {
  await executor
    .insertInto('conversations')
    .values({
      tenant_id: owner.tenantId,
      user_id: owner.userId,
      mode: 'notebook',
      title: DEFAULT_TITLE,
      notebook_session_id: sessionId,
    })
    .onConflict((conflict) =>
      conflict
        .columns(['tenant_id', 'notebook_session_id'])
        .where('notebook_session_id', 'is not', null)
        .doNothing(),
    )
    .execute();
}

/** The conversation of a notebook session (one per session), if it has started. */
export async function findNotebookConversation(
  executor: Executor,
  owner: ConversationOwner,
  sessionId: string,
): Promise<ConversationRow | undefined> {
  return executor
    .selectFrom('conversations')
    .selectAll()
    .where('notebook_session_id', '=', sessionId)
    .where(ownedBy(owner))
    .orderBy('created_at')
    .executeTakeFirst();
}

export async function listConversations(
  executor: Executor,
  owner: ConversationOwner,
  filter: { mode?: ConversationMode | undefined; search?: string | undefined; limit: number; offset: number },
): Promise<{ rows: ConversationRow[]; total: number }> {
  let query = executor.selectFrom('conversations').where(ownedBy(owner));
  // A notebook's conversation is listed with its notebook, not among the others.
  query = filter.mode
    ? query.where('mode', '=', filter.mode)
    : query.where('notebook_session_id', 'is', null);
  if (filter.search) query = query.where('title', 'ilike', containsPattern(filter.search));
  const rows = await query
    .selectAll()
    .orderBy('updated_at', 'desc')
    .orderBy('id')
    .limit(filter.limit)
    .offset(filter.offset)
    .execute();
  const count = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  return { rows, total: Number(count.total) };
}

export async function updateConversationTitle(
  executor: Executor,
  owner: ConversationOwner,
  id: string,
  title: string,
): Promise<ConversationRow | undefined> {
  return executor
    .updateTable('conversations')
    .set({ title, updated_at: sql`now()` })
    .where('id', '=', id)
    .where(ownedBy(owner))
    .returningAll()
    .executeTakeFirst();
}

export async function touchConversation(executor: Executor, tenantId: string, id: string): Promise<void> {
  await executor
    .updateTable('conversations')
    .set({ updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

export async function deleteConversation(
  executor: Executor,
  owner: ConversationOwner,
  id: string,
): Promise<boolean> {
  const result = await executor
    .deleteFrom('conversations')
    .where('id', '=', id)
    .where(ownedBy(owner))
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function listMessages(
  executor: Executor,
  tenantId: string,
  conversationId: string,
  options: { lastN?: number } = {},
): Promise<MessageRow[]> {
  let query = executor
    .selectFrom('messages')
    .leftJoin('feedback', (join) =>
      join
        .onRef('feedback.message_id', '=', 'messages.id')
        .onRef('feedback.tenant_id', '=', 'messages.tenant_id'),
    )
    .selectAll('messages')
    .select(['feedback.rating as feedback_rating', 'feedback.comment as feedback_comment'])
    .where('messages.tenant_id', '=', tenantId)
    .where('messages.conversation_id', '=', conversationId);
  if (options.lastN !== undefined) {
    const rows = await query
      .orderBy('messages.created_at', 'desc')
      .orderBy('messages.id', 'desc')
      .limit(options.lastN)
      .execute();
    return rows.reverse();
  }
  query = query.orderBy('messages.created_at').orderBy('messages.id');
  return query.execute();
}

export interface NewMessage {
  tenantId: string;
  conversationId: string;
  role: 'user' | 'assistant';
  content: string;
  citations?: Citation[];
  status?: 'complete' | 'partial' | 'error';
  error?: string | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
  provider?: string | null;
  model?: string | null;
  costUsd?: number | null;
  latencyMs?: number | null;
}

export async function insertMessage(executor: Executor, message: NewMessage): Promise<MessageRow> {
  const row = await executor
    .insertInto('messages')
    .values({
      tenant_id: message.tenantId,
      conversation_id: message.conversationId,
      role: message.role,
      content: message.content,
      citations: JSON.stringify(message.citations ?? []),
      status: message.status ?? 'complete',
      error: message.error ?? null,
      input_tokens: message.inputTokens ?? null,
      output_tokens: message.outputTokens ?? null,
      provider: message.provider ?? null,
      model: message.model ?? null,
      cost_usd: message.costUsd ?? null,
      latency_ms: message.latencyMs ?? null,
      // clock_timestamp(): a question and its answer in one transaction still sort in order.
      created_at: sql`clock_timestamp()`,
    } as never)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...row, feedback_rating: null, feedback_comment: null };
}

/** A message the owner of its conversation may see (for feedback). */
export async function findOwnedMessage(
  executor: Executor,
  owner: ConversationOwner,
  messageId: string,
): Promise<Selectable<MessagesTable> | undefined> {
  return executor
    .selectFrom('messages')
    .innerJoin('conversations', (join) =>
      join
        .onRef('conversations.id', '=', 'messages.conversation_id')
        .onRef('conversations.tenant_id', '=', 'messages.tenant_id'),
    )
    .selectAll('messages')
    .where('messages.id', '=', messageId)
    .where(ownedBy(owner))
    .executeTakeFirst();
}

export async function upsertFeedback(
  executor: Executor,
  values: {
    tenantId: string;
    messageId: string;
    userId: string;
    rating: -1 | 1;
    comment: string | null;
    sources: unknown[];
  },
) {
  return executor
    .insertInto('feedback')
    .values({
      tenant_id: values.tenantId,
      message_id: values.messageId,
      user_id: values.userId,
      rating: values.rating,
      comment: values.comment,
      sources_snapshot: JSON.stringify(values.sources),
    })
    .onConflict((conflict) =>
      conflict.columns(['message_id', 'user_id']).doUpdateSet({
        rating: values.rating,
        comment: values.comment,
        status: 'pending',
        created_at: sql`now()`,
      } as never),
    )
    .returning(['id', 'message_id', 'rating', 'comment'])
    .executeTakeFirstOrThrow();
}
