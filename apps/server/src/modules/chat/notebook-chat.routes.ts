import {
  conversationDetailSchema,
  idParamsSchema,
  notebookChatSchema,
  sendMessageResponseSchema,
} from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireUser } from '../access/access.service.ts';
import { startAnswer } from './answer-stream.ts';
import {
  getConversationWithMessages,
  openNotebookConversation,
  readerForConversation,
} from './chat.service.ts';
import { chatDependencies, runOptions } from './chat-context.ts';
import { toConversationResponse, toMessageResponse } from './responses.ts';
import { respondWithAnswer } from './transports.ts';

/**
 * Questions to a notebook session: the same answer stream and events as knowledge mode,
 * read from that session's files only (or the chosen ones). The session's conversation is
 * also reachable over the WebSocket by its id, with the same reader.
 */
export const registerNotebookChatRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const chat = chatDependencies(app);

  app.post(
    '/api/v1/notebook/sessions/:id/chat',
    {
      config: { access: { role: 'user' } },
      schema: {
        tags: ['notebook'],
        summary: 'Ask a session’s files: an SSE stream with `Accept: text/event-stream`, otherwise JSON',
        description:
          'The events of knowledge mode (`token`, `citations`, `done`, `error`). `file_ids` narrows the answer to some of the session’s files. Citations link to the file’s original in the notebook.',
        params: idParamsSchema,
        body: notebookChatSchema,
        response: { 200: sendMessageResponseSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const conversation = await openNotebookConversation(db, user, request.params.id);
      const reader = await readerForConversation(db, user, conversation, request.body.file_ids);
      const run = startAnswer(
        chat,
        { principal: user, conversation, content: request.body.content, reader },
        runOptions(request, { conversationIdInDone: true }),
      );
      return respondWithAnswer(request, reply, run);
    },
  );

  app.get(
    '/api/v1/notebook/sessions/:id/conversation',
    {
      config: { access: { role: 'user' } },
      schema: {
        tags: ['notebook'],
        summary: 'The session’s conversation (its id, for the WebSocket) with every question and answer',
        params: idParamsSchema,
        response: { 200: conversationDetailSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const conversation = await openNotebookConversation(db, user, request.params.id);
      const { messages } = await getConversationWithMessages(db, user, conversation.id);
      return { ...toConversationResponse(conversation), messages: messages.map(toMessageResponse) };
    },
  );
};
