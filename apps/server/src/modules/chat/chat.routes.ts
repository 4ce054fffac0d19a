import {
  chatStreamQuerySchema,
  conversationDetailSchema,
  conversationListQuerySchema,
  conversationListSchema,
  conversationSchema,
  createConversationSchema,
  feedbackRequestSchema,
  feedbackResponseSchema,
  idParamsSchema,
  sendMessageResponseSchema,
  sendMessageSchema,
  updateConversationSchema,
} from '@nexus/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { runAsTenant } from '../../platform/db/tenant-scope.ts';
import { AppError, type ErrorCode } from '../../platform/errors.ts';
import { hasNul } from '../../platform/text.ts';
import { type Principal, requirePrincipal } from '../auth/access.ts';
import { readerFromPrincipal } from '../documents/access-scope.ts';
import type { ChatTurn } from '../llm/llm.types.ts';
import {
  type ConversationOwner,
  type ConversationRow,
  deleteConversation,
  findConversation,
  findOwnedMessage,
  insertConversation,
  listConversations,
  listMessages,
  updateConversationTitle,
  upsertFeedback,
} from './chat.repository.ts';
import {
  type AnswerOutcome,
  answerQuestion,
  type ChatDependencies,
  toMessageResponse,
} from './chat.service.ts';
import { openEventStream, wantsEventStream } from './event-stream.ts';

export function ownerFromPrincipal(principal: Principal): ConversationOwner {
  return principal.kind === 'user'
    ? { tenantId: principal.tenantId, userId: principal.userId }
    : { tenantId: principal.tenantId, apiKeyId: principal.apiKeyId };
}

export function toConversationResponse(conversation: ConversationRow) {
  return {
    id: conversation.id,
    mode: conversation.mode,
    title: conversation.title,
    created_at: conversation.created_at.toISOString(),
    updated_at: conversation.updated_at.toISOString(),
  };
}

const conversationParamsSchema = z.object({ conversation_id: z.uuid('must be a UUID') });
const CHAT_ACCESS = { role: 'user', apiKey: true } as const;

/** What the chat routes (here and in the developer API) need to answer. */
export interface ChatContext {
  deps: ChatDependencies;
  heartbeatMs: number;
}

export function chatContext(app: FastifyInstance): ChatContext {
  return {
    deps: {
      db: app.deps.db,
      embedder: app.deps.embedder ?? null,
      logger: app.deps.logger,
      passages: { topK: app.config.chat.passages, maxPerDocument: 3 },
    },
    heartbeatMs: app.config.chat.heartbeatMs,
  };
}

export interface AskInput {
  principal: Principal;
  conversation: ConversationRow;
  content: string;
  history?: ChatTurn[];
}

export function toAnswerInput(input: AskInput, signal: AbortSignal, token: (text: string) => void) {
  return {
    owner: ownerFromPrincipal(input.principal),
    reader: readerFromPrincipal(input.principal),
    conversation: input.conversation,
    content: input.content,
    signal,
    events: { token },
    ...(input.history ? { history: input.history } : {}),
  };
}

/** Answers over SSE: `token`*, `citations`, then `done` (with `doneExtra`) — or `error`. */
export async function streamAnswer(
  chat: ChatContext,
  request: FastifyRequest,
  reply: FastifyReply,
  input: AskInput,
  doneExtra: Record<string, unknown> = {},
): Promise<void> {
  const stream = openEventStream(request, reply, chat.heartbeatMs);
  try {
    const outcome = await answerQuestion(
      chat.deps,
      toAnswerInput(input, stream.signal, (text) => stream.send('token', { text })),
    );
    sendOutcome(outcome, (type, data) => stream.send(type, data), doneExtra);
  } catch (error) {
    request.log.error({ err: error }, 'chat stream failed');
    stream.send('error', { code: 'internal', message: `The answer failed (request id ${request.id}).` });
  } finally {
    stream.end();
  }
}

/**
 * Answers in one piece (JSON); a client that disconnects leaves a `partial` answer. A model
 * failure becomes the matching HTTP error, naming the stored message.
 */
export async function answerOrThrow(
  chat: ChatContext,
  reply: FastifyReply,
  input: AskInput,
  token: (text: string) => void = () => {},
): Promise<AnswerOutcome> {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort();
  };
  reply.raw.on('close', onClose);
  try {
    const outcome = await answerQuestion(chat.deps, toAnswerInput(input, controller.signal, token));
    if (outcome.error) {
      throw new AppError(outcome.error.code as ErrorCode, outcome.error.message, {
        message_id: outcome.answer.id,
        question_message_id: outcome.question.id,
      });
    }
    return outcome;
  } finally {
    reply.raw.off('close', onClose);
  }
}

export const registerChatRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const chat = chatContext(app);

  async function loadConversation(principal: Principal, id: string): Promise<ConversationRow> {
    const owner = ownerFromPrincipal(principal);
    const conversation = await runAsTenant(db, owner.tenantId, (trx) => findConversation(trx, owner, id));
    if (!conversation) throw new AppError('not_found:conversation', 'No such conversation.');
    return conversation;
  }

  app.post(
    '/api/v1/conversations',
    {
      config: { access: CHAT_ACCESS },
      schema: {
        tags: ['chat'],
        summary: 'Start a conversation',
        body: createConversationSchema,
        response: { 201: conversationSchema },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      if (request.body.mode === 'notebook') {
        throw new AppError(
          'bad_request:notebook_unavailable',
          'Notebook conversations are opened from a notebook session, which this version does not offer yet.',
        );
      }
      const owner = ownerFromPrincipal(principal);
      const conversation = await runAsTenant(db, owner.tenantId, (trx) =>
        insertConversation(trx, owner, { mode: request.body.mode, title: request.body.title }),
      );
      reply.code(201);
      return toConversationResponse(conversation);
    },
  );

  app.get(
    '/api/v1/conversations',
    {
      config: { access: CHAT_ACCESS },
      schema: {
        tags: ['chat'],
        summary: 'Your conversations, most recent first',
        querystring: conversationListQuerySchema,
        response: { 200: conversationListSchema },
      },
    },
    async (request) => {
      const owner = ownerFromPrincipal(requirePrincipal(request));
      const { rows, total } = await runAsTenant(db, owner.tenantId, (trx) =>
        listConversations(trx, owner, request.query),
      );
      return { conversations: rows.map(toConversationResponse), total };
    },
  );

  app.get(
    '/api/v1/conversations/:id',
    {
      config: { access: CHAT_ACCESS },
      schema: {
        tags: ['chat'],
        summary: 'A conversation with its messages, citations and usage',
        params: idParamsSchema,
        response: { 200: conversationDetailSchema },
      },
    },
    async (request) => {
      const conversation = await loadConversation(requirePrincipal(request), request.params.id);
      const messages = await runAsTenant(db, conversation.tenant_id, (trx) =>
        listMessages(trx, conversation.tenant_id, conversation.id),
      );
      return {
        ...toConversationResponse(conversation),
        messages: messages
          .filter((message) => message.role === 'user' || message.role === 'assistant')
          .map(toMessageResponse),
      };
    },
  );

  app.patch(
    '/api/v1/conversations/:id',
    {
      config: { access: CHAT_ACCESS },
      schema: {
        tags: ['chat'],
        summary: 'Rename a conversation',
        params: idParamsSchema,
        body: updateConversationSchema,
        response: { 200: conversationSchema },
      },
    },
    async (request) => {
      const owner = ownerFromPrincipal(requirePrincipal(request));
      const updated = await runAsTenant(db, owner.tenantId, (trx) =>
        updateConversationTitle(trx, owner, request.params.id, request.body.title),
      );
      if (!updated) throw new AppError('not_found:conversation', 'No such conversation.');
      return toConversationResponse(updated);
    },
  );

  app.delete(
    '/api/v1/conversations/:id',
    {
      config: { access: CHAT_ACCESS },
      schema: { tags: ['chat'], summary: 'Delete a conversation and its messages', params: idParamsSchema },
    },
    async (request, reply) => {
      const owner = ownerFromPrincipal(requirePrincipal(request));
      const deleted = await runAsTenant(db, owner.tenantId, (trx) =>
        deleteConversation(trx, owner, request.params.id),
      );
      if (!deleted) throw new AppError('not_found:conversation', 'No such conversation.');
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/conversations/:id/messages',
    {
      config: { access: CHAT_ACCESS },
      schema: {
        tags: ['chat'],
        summary: 'Ask a question: an SSE stream with `Accept: text/event-stream`, otherwise JSON',
        description:
          'SSE events: `token` {text}, `citations` {citations}, `done` {message_id, usage}, `error` {code, message}; `: ping` comments are heartbeats.',
        params: idParamsSchema,
        body: sendMessageSchema,
        response: { 200: sendMessageResponseSchema },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const conversation = await loadConversation(principal, request.params.id);
      const input = { principal, conversation, content: request.body.content };
      if (wantsEventStream(request)) {
        await streamAnswer(chat, request, reply, input);
        return reply;
      }
      const outcome = await answerOrThrow(chat, reply, input);
      return { message: toMessageResponse(outcome.answer) };
    },
  );

  app.get(
    '/api/v1/chat/stream',
    {
      config: { access: CHAT_ACCESS },
      schema: {
        tags: ['chat'],
        summary: 'Ask a question in a conversation, answered as an SSE stream',
        querystring: chatStreamQuerySchema,
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const conversation = await loadConversation(principal, request.query.conversation_id);
      await streamAnswer(chat, request, reply, { principal, conversation, content: request.query.query });
      return reply;
    },
  );

  app.get(
    '/ws/chat/:conversation_id',
    {
      websocket: true,
      config: { access: CHAT_ACCESS },
      schema: {
        tags: ['chat'],
        summary:
          'WebSocket chat: send {"type":"message","content"}, receive token/citations/done/error frames',
        description:
          'Authenticates with the session cookie, or `?access_token=` (an access token or API key). `{"type":"cancel"}` stops the answer in progress.',
        params: conversationParamsSchema,
      },
    },
    async (socket: WebSocket, request) => {
      const principal = requirePrincipal(request);
      const { conversation_id: conversationId } = request.params as { conversation_id: string };
      const send = (frame: Record<string, unknown>) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
      };
      // Frames the client sends right after connecting arrive while the conversation is
      // still being loaded: hold them until the handler below is ready for them.
      const early: unknown[] = [];
      const holdEarly = (data: unknown) => early.push(data);
      socket.on('message', holdEarly);
      let conversation: ConversationRow;
      try {
        conversation = await loadConversation(principal, conversationId);
      } catch (error) {
        if (!(error instanceof AppError)) request.log.error({ err: error }, 'websocket chat could not start');
        const known = error instanceof AppError;
        send({
          type: 'error',
          code: known ? error.code : 'internal',
          message: known ? error.message : `The chat could not start (request id ${request.id}).`,
        });
        socket.close(
          known ? 4000 + error.statusCode : 1011,
          known ? error.message.slice(0, 100) : 'internal error',
        );
        return;
      }
      let current: AbortController | null = null;
      const heartbeat = setInterval(() => socket.ping(), chat.heartbeatMs);
      heartbeat.unref();
      socket.on('close', () => {
        clearInterval(heartbeat);
        current?.abort();
      });
      const onFrame = (data: unknown) => {
        const parsed = wsClientFrameSchema.safeParse(safeJson(String(data)));
        if (!parsed.success) {
          send({
            type: 'error',
            code: 'bad_request:frame',
            message:
              'Send {"type":"message","content":"…"} (content 1–8000 characters) or {"type":"cancel"}.',
          });
          return;
        }
        if (parsed.data.type === 'cancel') {
          current?.abort();
          return;
        }
        if (hasNul(parsed.data.content)) {
          send({
            type: 'error',
            code: 'bad_request:nul_character',
            message:
              'The message contains a NUL character (U+0000), which cannot be stored; remove it and try again.',
          });
          return;
        }
        if (current) {
          send({
            type: 'error',
            code: 'conflict:busy',
            message: 'Wait for the current answer, or cancel it.',
          });
          return;
        }
        const controller = new AbortController();
        current = controller;
        answerQuestion(
          chat.deps,
          toAnswerInput(
            { principal, conversation, content: parsed.data.content },
            controller.signal,
            (text) => send({ type: 'token', text }),
          ),
        )
          .then((outcome) => sendOutcome(outcome, (type, frame) => send({ type, ...frame })))
          .catch((error: unknown) => {
            request.log.error({ err: error }, 'websocket chat failed');
            send({
              type: 'error',
              code: 'internal',
              message: `The answer failed (request id ${request.id}).`,
            });
          })
          .finally(() => {
            current = null;
          });
      };
      socket.off('message', holdEarly);
      socket.on('message', onFrame);
      for (const data of early.splice(0)) onFrame(data);
    },
  );

  app.post(
    '/api/v1/messages/:id/feedback',
    {
      config: { access: { role: 'user' } },
      schema: {
        tags: ['chat'],
        summary: 'Rate an answer (thumbs up 1 / down -1) with an optional comment; rating again replaces it',
        params: idParamsSchema,
        body: feedbackRequestSchema,
        response: { 200: feedbackResponseSchema },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      if (principal.kind !== 'user') throw new AppError('forbidden:api_key', 'Only people can rate answers.');
      const owner = ownerFromPrincipal(principal);
      return runAsTenant(db, owner.tenantId, async (trx) => {
        const message = await findOwnedMessage(trx, owner, request.params.id);
        if (!message) throw new AppError('not_found:message', 'No such message.');
        if (message.role !== 'assistant') {
          throw new AppError('bad_request:not_an_answer', 'Only answers can be rated.');
        }
        const row = await upsertFeedback(trx, {
          tenantId: owner.tenantId,
          messageId: message.id,
          userId: principal.userId,
          rating: request.body.rating,
          comment: request.body.comment?.trim() || null,
          sources: message.citations,
        });
        return { id: row.id, message_id: row.message_id, rating: row.rating, comment: row.comment };
      });
    },
  );
};

/** After the tokens: `citations` and `done`, or `error` (the answer is stored either way). */
function sendOutcome(
  outcome: AnswerOutcome,
  send: (type: string, data: Record<string, unknown>) => void,
  doneExtra: Record<string, unknown> = {},
) {
  if (outcome.error) {
    send('error', { ...outcome.error, message_id: outcome.answer.id });
    return;
  }
  send('citations', { citations: outcome.citations });
  send('done', { message_id: outcome.answer.id, ...doneExtra, usage: outcome.usage });
}

const wsClientFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), content: z.string().trim().min(1).max(8000) }),
  z.object({ type: z.literal('cancel') }),
]);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
