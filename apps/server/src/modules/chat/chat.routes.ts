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
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requirePrincipal } from '../access/access.service.ts';
import { startAnswer } from './answer-stream.ts';
import {
  getConversation,
  getConversationWithMessages,
  listOwnConversations,
  rateAnswer,
  removeConversation,
  renameConversation,
  startConversation,
} from './chat.service.ts';
import { chatDependencies, runOptions } from './chat-context.ts';
import { toConversationResponse, toMessageResponse } from './responses.ts';
import { respondWithAnswer, sendEventSourceFrames } from './transports.ts';

const CHAT_ACCESS = { role: 'user', apiKey: true } as const;

export const registerChatRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const chat = chatDependencies(app);

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
      const conversation = await startConversation(db, requirePrincipal(request), request.body);
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
      const { rows, total } = await listOwnConversations(db, requirePrincipal(request), request.query);
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
      const { conversation, messages } = await getConversationWithMessages(
        db,
        requirePrincipal(request),
        request.params.id,
      );
      return { ...toConversationResponse(conversation), messages: messages.map(toMessageResponse) };
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
    async (request) =>
      toConversationResponse(
        await renameConversation(db, requirePrincipal(request), request.params.id, request.body.title),
      ),
  );

  app.delete(
    '/api/v1/conversations/:id',
    {
      config: { access: CHAT_ACCESS },
      schema: { tags: ['chat'], summary: 'Delete a conversation and its messages', params: idParamsSchema },
    },
    async (request, reply) => {
      await removeConversation(db, requirePrincipal(request), request.params.id);
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
      const conversation = await getConversation(db, principal, request.params.id);
      const run = startAnswer(
        chat,
        { principal, conversation, content: request.body.content },
        runOptions(request),
      );
      return respondWithAnswer(request, reply, run);
    },
  );

  app.get(
    '/api/v1/chat/stream',
    {
      config: { access: CHAT_ACCESS },
      schema: {
        tags: ['chat'],
        summary: 'Ask a question in a conversation: the EventSource stream of the seeds’ browser client',
        description:
          'Unnamed `data:` frames for `EventSource.onmessage`: `{"token":"…"}` per piece of text, then `{"done":true,"message_id","citations","usage"}`, or `{"error":"…","code":"…"}`. Authenticates with the session cookie (EventSource cannot send headers).',
        querystring: chatStreamQuerySchema,
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const conversation = await getConversation(db, principal, request.query.conversation_id);
      const run = startAnswer(
        chat,
        { principal, conversation, content: request.query.query },
        runOptions(request),
      );
      await sendEventSourceFrames(request, reply, run);
      return reply;
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
      const rated = await rateAnswer(db, requirePrincipal(request), request.params.id, request.body);
      return { ...rated, rating: rated.rating as 1 | -1 };
    },
  );
};
