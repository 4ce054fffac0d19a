import { chatCompletionSchema, publicChatRequestSchema, publicChatResponseSchema } from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConversationMode } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors.ts';
import { requirePrincipal } from '../access/access.service.ts';
import type { ApiKeyPrincipal } from '../access/access.types.ts';
import type { ChatTurn } from '../llm/llm.types.ts';
import { startAnswer } from './answer-stream.ts';
import { getConversation, startConversation } from './chat.service.ts';
import { chatDependencies, runOptions } from './chat-context.ts';
import { toMessageResponse } from './responses.ts';
import { collectAnswer, completionUsage, sendCompletionChunks, sendNamedEvents } from './transports.ts';

/**
 * The developer API (DESIGN.md §9, API keys only): `POST /v1/chat`, and
 * `POST /v1/chat/completions` in the OpenAI wire format so existing OpenAI clients work
 * unchanged — with a top-level `citations` array added. Model names choose the mode.
 */

const MODELS: Record<string, ConversationMode> = { 'nexus-rag': 'rag', 'nexus-assistant': 'assistant' };

const contentPartSchema = z.object({ type: z.string(), text: z.string().optional() }).loose();
const completionRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z
      .array(
        z
          .object({
            role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
            content: z.union([z.string(), z.array(contentPartSchema), z.null()]).optional(),
          })
          .loose(),
      )
      .min(1, 'must contain at least one message'),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
  })
  .loose();

function textOf(content: string | { type: string; text?: string | undefined }[] | null | undefined): string {
  if (!content) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}

function requireApiKey(principal: ReturnType<typeof requirePrincipal>): ApiKeyPrincipal {
  if (principal.kind !== 'api_key')
    throw new AppError('forbidden:api_key_required', 'This endpoint takes an API key.');
  return principal;
}

export const registerPublicChatRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const chat = chatDependencies(app);

  app.post(
    '/v1/chat',
    {
      config: { access: 'api_key' },
      schema: {
        tags: ['developer API'],
        summary: 'Ask a grounded question with an API key (SSE with `stream: true`)',
        body: publicChatRequestSchema,
        response: { 200: publicChatResponseSchema },
      },
    },
    async (request, reply) => {
      const principal = requireApiKey(requirePrincipal(request));
      const { body } = request;
      if (body.bot_id && body.bot_id !== principal.botId) {
        throw new AppError('not_found:bot', 'No such bot for this API key.');
      }
      const conversation = body.conversation_id
        ? await getConversation(db, principal, body.conversation_id)
        : await startConversation(db, principal, { mode: 'rag', botId: principal.botId });
      const run = startAnswer(
        chat,
        { principal, conversation, content: body.message },
        runOptions(request, { conversationIdInDone: true }),
      );
      if (body.stream) {
        await sendNamedEvents(request, reply, run);
        return reply;
      }
      const outcome = await collectAnswer(reply, run);
      return { conversation_id: conversation.id, message: toMessageResponse(outcome.answer) };
    },
  );

  app.get(
    '/v1/models',
    {
      config: { access: 'api_key' },
      schema: { tags: ['developer API'], summary: 'Models for /v1/chat/completions (OpenAI wire format)' },
    },
    async () => ({
      object: 'list',
      data: Object.keys(MODELS).map((id) => ({ id, object: 'model', created: 0, owned_by: 'nexus' })),
    }),
  );

  app.post(
    '/v1/chat/completions',
    {
      config: { access: 'api_key' },
      schema: {
        tags: ['developer API'],
        summary:
          'OpenAI-compatible chat completions (`nexus-rag`, `nexus-assistant`), with `citations` added',
        body: completionRequestSchema,
      },
    },
    async (request, reply) => {
      const principal = requireApiKey(requirePrincipal(request));
      const { body } = request;
      const mode = MODELS[body.model];
      if (!mode) {
        throw new AppError(
          'not_found:model',
          `Unknown model "${body.model}". Use one of: ${Object.keys(MODELS).join(', ')}.`,
        );
      }
      const last = body.messages.at(-1)!;
      const question = textOf(last.content).trim();
      if (last.role !== 'user' || !question) {
        throw new AppError('bad_request:validation', 'The last message must be a non-empty user message.');
      }
      if (question.length > 8000) {
        throw new AppError('bad_request:validation', 'The question is longer than 8,000 characters.');
      }
      const history: ChatTurn[] = body.messages
        .slice(0, -1)
        .filter((message) => message.role === 'user' || message.role === 'assistant')
        .map((message) => ({ role: message.role as 'user' | 'assistant', content: textOf(message.content) }))
        .filter((turn) => turn.content.trim());
      const conversation = await startConversation(db, principal, { mode, botId: principal.botId });
      const meta = {
        id: `chatcmpl-${conversation.id.replaceAll('-', '')}`,
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        includeUsage: body.stream_options?.include_usage === true,
      };
      const run = startAnswer(
        chat,
        { principal, conversation, content: question, history },
        runOptions(request),
      );
      if (body.stream) {
        await sendCompletionChunks(request, reply, run, meta);
        return reply;
      }
      const outcome = await collectAnswer(reply, run);
      return chatCompletionSchema.parse({
        id: meta.id,
        object: 'chat.completion',
        created: meta.created,
        model: meta.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: outcome.answer.content, refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: completionUsage(outcome.usage),
        citations: outcome.citations,
      });
    },
  );
};
