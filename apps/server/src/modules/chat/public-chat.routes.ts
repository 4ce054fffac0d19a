import { publicChatRequestSchema, publicChatResponseSchema } from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConversationMode } from '../../platform/db/schema.ts';
import { runAsTenant } from '../../platform/db/tenant-scope.ts';
import { AppError } from '../../platform/errors.ts';
import { type ApiKeyPrincipal, requirePrincipal } from '../auth/access.ts';
import type { ChatTurn } from '../llm/llm.types.ts';
import { type ConversationRow, findConversation, insertConversation } from './chat.repository.ts';
import {
  answerOrThrow,
  chatContext,
  ownerFromPrincipal,
  streamAnswer,
  toAnswerInput,
} from './chat.routes.ts';
import { type AnswerOutcome, answerQuestion, toMessageResponse } from './chat.service.ts';
import { openEventStream } from './event-stream.ts';

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
  const chat = chatContext(app);

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
      const owner = ownerFromPrincipal(principal);
      const { body } = request;
      if (body.bot_id && body.bot_id !== principal.botId) {
        throw new AppError('not_found:bot', 'No such bot for this API key.');
      }
      const conversation: ConversationRow | undefined = await runAsTenant(db, owner.tenantId, (trx) =>
        body.conversation_id
          ? findConversation(trx, owner, body.conversation_id)
          : insertConversation(trx, owner, { mode: 'rag', botId: principal.botId }),
      );
      if (!conversation) throw new AppError('not_found:conversation', 'No such conversation.');
      const input = { principal, conversation, content: body.message };
      if (body.stream) {
        await streamAnswer(chat, request, reply, input, { conversation_id: conversation.id });
        return reply;
      }
      const outcome = await answerOrThrow(chat, reply, input);
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
      const owner = ownerFromPrincipal(principal);
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
      const conversation = await runAsTenant(db, owner.tenantId, (trx) =>
        insertConversation(trx, owner, { mode, botId: principal.botId }),
      );
      const id = `chatcmpl-${conversation.id.replaceAll('-', '')}`;
      const created = Math.floor(Date.now() / 1000);
      const input = { principal, conversation, content: question, history };

      if (body.stream) {
        const stream = openEventStream(request, reply, chat.heartbeatMs);
        const send = (payload: Record<string, unknown>) =>
          stream.write(`data: ${JSON.stringify(payload)}\n\n`);
        const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
          send({ id, object: 'chat.completion.chunk', created, model: body.model, choices, ...extra });
        const delta = (
          content: Record<string, unknown>,
          finish: string | null,
          extra?: Record<string, unknown>,
        ) => chunk([{ index: 0, delta: content, finish_reason: finish, logprobs: null }], extra);
        try {
          delta({ role: 'assistant', content: '' }, null);
          const outcome = await answerQuestion(
            chat.deps,
            toAnswerInput(input, stream.signal, (text) => delta({ content: text }, null)),
          );
          if (outcome.error) {
            send({ error: { ...outcome.error, type: 'model_error' } });
          } else {
            delta({}, 'stop', { citations: outcome.citations });
            if (body.stream_options?.include_usage) chunk([], { usage: openAiUsage(outcome) });
            stream.write('data: [DONE]\n\n');
          }
        } catch (error) {
          request.log.error({ err: error }, 'chat completion stream failed');
          send({ error: { code: 'internal', message: `The answer failed (request id ${request.id}).` } });
        } finally {
          stream.end();
        }
        return reply;
      }

      const outcome = await answerOrThrow(chat, reply, input);
      return {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: outcome.answer.content, refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: openAiUsage(outcome),
        citations: outcome.citations,
      };
    },
  );
};

function openAiUsage(outcome: AnswerOutcome) {
  return {
    prompt_tokens: outcome.usage.input_tokens,
    completion_tokens: outcome.usage.output_tokens,
    total_tokens: outcome.usage.input_tokens + outcome.usage.output_tokens,
  };
}
