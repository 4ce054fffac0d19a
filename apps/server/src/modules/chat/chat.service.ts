import type { Db } from '../../platform/db/database.ts';
import type { ConversationMode } from '../../platform/db/schema.ts';
import { runAsTenant } from '../../platform/db/tenant-scope.ts';
import { AppError } from '../../platform/errors.ts';
import { readerFromPrincipal } from '../access/access.service.ts';
import type { Principal, Reader, UserPrincipal } from '../access/access.types.ts';
import { notebookReader, requireSession } from '../notebook/notebook.service.ts';
import {
  type ConversationOwner,
  type ConversationRow,
  deleteConversation,
  findConversation,
  findNotebookConversation,
  findOwnedMessage,
  insertConversation,
  insertNotebookConversation,
  listConversations,
  listMessages,
  type MessageRow,
  updateConversationTitle,
  upsertFeedback,
} from './chat.repository.ts';

/**
 * Conversations and their messages, owned by the user (or API key) that started them —
 * anyone else gets 404 — and the feedback people give on answers. Every query runs as the
 * tenant (row-level security). Answering itself is answering.ts, streamed by answer-stream.ts.
 */

export type { ConversationOwner, ConversationRow, MessageRow } from './chat.repository.ts';

export function ownerFromPrincipal(principal: Principal): ConversationOwner {
  return principal.kind === 'user'
    ? { tenantId: principal.tenantId, userId: principal.userId }
    : { tenantId: principal.tenantId, apiKeyId: principal.apiKeyId };
}

export function startConversation(
  db: Db,
  principal: Principal,
  values: { mode: ConversationMode; title?: string | undefined; botId?: string | null },
): Promise<ConversationRow> {
  if (values.mode === 'notebook') {
    throw new AppError(
      'bad_request:notebook_conversation',
      'A notebook conversation belongs to its notebook: ask with POST /api/v1/notebook/sessions/{id}/chat.',
    );
  }
  const owner = ownerFromPrincipal(principal);
  return runAsTenant(db, owner.tenantId, (trx) => insertConversation(trx, owner, values));
}

/**
 * The conversation of a notebook session the user owns and may still use (else 404),
 * started on first use: one per session, its history the session's.
 */
export async function openNotebookConversation(
  db: Db,
  user: UserPrincipal,
  sessionId: string,
): Promise<ConversationRow> {
  await requireSession(db, user, sessionId);
  const owner = ownerFromPrincipal(user);
  return runAsTenant(db, owner.tenantId, async (trx) => {
    const existing = await findNotebookConversation(trx, owner, sessionId);
    if (existing) return existing;
    // Two first questions at once: the unique index keeps one conversation, both use it.
    await insertNotebookConversation(trx, { tenantId: user.tenantId, userId: user.userId }, sessionId);
    return (await findNotebookConversation(trx, owner, sessionId))!;
  });
}

/**
 * Who a question in this conversation reads as: a notebook conversation reads its own
 * session's files only (404 once the session is gone or expired), any other the company
 * library within the principal's scope. Every transport answers through this.
 */
export async function readerForConversation(
  db: Db,
  principal: Principal,
  conversation: ConversationRow,
  fileIds?: readonly string[],
): Promise<Reader> {
  if (!conversation.notebook_session_id) return readerFromPrincipal(principal);
  if (principal.kind !== 'user') throw new AppError('not_found:conversation', 'No such conversation.');
  return notebookReader(db, principal, conversation.notebook_session_id, fileIds);
}

/** The caller's conversation, or 404. */
export async function getConversation(db: Db, principal: Principal, id: string): Promise<ConversationRow> {
  const owner = ownerFromPrincipal(principal);
  const conversation = await runAsTenant(db, owner.tenantId, (trx) => findConversation(trx, owner, id));
  if (!conversation) throw new AppError('not_found:conversation', 'No such conversation.');
  return conversation;
}

export function listOwnConversations(
  db: Db,
  principal: Principal,
  filter: { mode?: ConversationMode | undefined; search?: string | undefined; limit: number; offset: number },
): Promise<{ rows: ConversationRow[]; total: number }> {
  const owner = ownerFromPrincipal(principal);
  return runAsTenant(db, owner.tenantId, (trx) => listConversations(trx, owner, filter));
}

/** A conversation with its questions and answers, oldest first. */
export async function getConversationWithMessages(
  db: Db,
  principal: Principal,
  id: string,
): Promise<{ conversation: ConversationRow; messages: MessageRow[] }> {
  const conversation = await getConversation(db, principal, id);
  const messages = await runAsTenant(db, conversation.tenant_id, (trx) =>
    listMessages(trx, conversation.tenant_id, conversation.id),
  );
  return {
    conversation,
    messages: messages.filter((message) => message.role === 'user' || message.role === 'assistant'),
  };
}

export async function renameConversation(
  db: Db,
  principal: Principal,
  id: string,
  title: string,
): Promise<ConversationRow> {
  const owner = ownerFromPrincipal(principal);
  const updated = await runAsTenant(db, owner.tenantId, (trx) =>
    updateConversationTitle(trx, owner, id, title),
  );
  if (!updated) throw new AppError('not_found:conversation', 'No such conversation.');
  return updated;
}

export async function removeConversation(db: Db, principal: Principal, id: string): Promise<void> {
  const owner = ownerFromPrincipal(principal);
  const deleted = await runAsTenant(db, owner.tenantId, (trx) => deleteConversation(trx, owner, id));
  if (!deleted) throw new AppError('not_found:conversation', 'No such conversation.');
}

/** Rates one of the user's own answers; rating again replaces it. The cited sources are snapshotted. */
export function rateAnswer(
  db: Db,
  principal: Principal,
  messageId: string,
  rating: { rating: 1 | -1; comment?: string | undefined },
): Promise<{ id: string; message_id: string; rating: number; comment: string | null }> {
  if (principal.kind !== 'user') throw new AppError('forbidden:api_key', 'Only people can rate answers.');
  const user: UserPrincipal = principal;
  const owner = ownerFromPrincipal(user);
  return runAsTenant(db, owner.tenantId, async (trx) => {
    const message = await findOwnedMessage(trx, owner, messageId);
    if (!message) throw new AppError('not_found:message', 'No such message.');
    if (message.role !== 'assistant')
      throw new AppError('bad_request:not_an_answer', 'Only answers can be rated.');
    return upsertFeedback(trx, {
      tenantId: owner.tenantId,
      messageId: message.id,
      userId: user.userId,
      rating: rating.rating,
      comment: rating.comment?.trim() || null,
      sources: message.citations,
    });
  });
}
