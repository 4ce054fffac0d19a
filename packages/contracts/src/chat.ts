import { z } from 'zod';

export const conversationModeSchema = z.enum(['rag', 'assistant', 'notebook']);
export type ConversationMode = z.infer<typeof conversationModeSchema>;

export const citationSchema = z
  .object({
    index: z.number().int().min(1).describe('The `[n]` marker in the answer'),
    document_id: z.uuid(),
    title: z.string(),
    url: z.string().nullable().describe('Link to the original document'),
    page: z.number().int().nullable(),
    section: z.string().nullable(),
    snippet: z.string(),
    score: z.number(),
  })
  .meta({ id: 'Citation' });
export type Citation = z.infer<typeof citationSchema>;

export const usageSchema = z
  .object({
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cost_usd: z.number(),
  })
  .meta({ id: 'Usage' });
export type Usage = z.infer<typeof usageSchema>;

export const messageStatusSchema = z.enum(['complete', 'partial', 'error']);

export const messageSchema = z
  .object({
    id: z.uuid(),
    role: z.enum(['user', 'assistant']),
    content: z.string(),
    citations: z.array(citationSchema),
    status: messageStatusSchema.describe(
      '`partial`: the client went away mid-answer; `error`: the model failed',
    ),
    error: z.string().nullable(),
    usage: usageSchema.nullable().describe('Assistant messages only'),
    provider: z.string().nullable(),
    model: z.string().nullable(),
    latency_ms: z.number().int().nullable(),
    feedback: z
      .object({ rating: z.union([z.literal(1), z.literal(-1)]), comment: z.string().nullable() })
      .nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'Message' });
export type Message = z.infer<typeof messageSchema>;

export const conversationSchema = z
  .object({
    id: z.uuid(),
    mode: conversationModeSchema,
    title: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Conversation' });
export type Conversation = z.infer<typeof conversationSchema>;

export const conversationDetailSchema = conversationSchema
  .extend({ messages: z.array(messageSchema) })
  .meta({ id: 'ConversationDetail' });
export type ConversationDetail = z.infer<typeof conversationDetailSchema>;

export const createConversationSchema = z.object({
  mode: conversationModeSchema.default('rag'),
  title: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Omit to generate one from the first question'),
});
export const updateConversationSchema = z.object({ title: z.string().trim().min(1).max(200) });

export const conversationListQuerySchema = z.object({
  mode: conversationModeSchema.optional(),
  search: z.string().max(200).optional().describe('Matches the title'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export const conversationListSchema = z.object({
  conversations: z.array(conversationSchema),
  total: z.number().int(),
});

export const sendMessageSchema = z.object({
  content: z.string().trim().min(1, 'must not be empty').max(8000),
});
export const sendMessageResponseSchema = z.object({ message: messageSchema });

export const chatStreamQuerySchema = z.object({
  conversation_id: z.uuid(),
  query: z.string().trim().min(1, 'must not be empty').max(8000),
});

export const feedbackRequestSchema = z.object({
  rating: z.union([z.literal(1), z.literal(-1)]).describe('1 = helpful, -1 = not helpful'),
  comment: z.string().trim().max(2000).optional(),
});
export const feedbackResponseSchema = z.object({
  id: z.uuid(),
  message_id: z.uuid(),
  rating: z.union([z.literal(1), z.literal(-1)]),
  comment: z.string().nullable(),
});

/**
 * Stream events, the same on SSE (`event: <type>` + `data: <json without type>`)
 * and WebSocket (one JSON frame with `type`).
 */
export const chatStreamEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('token'), text: z.string() }),
  z.object({ type: z.literal('citations'), citations: z.array(citationSchema) }),
  z.object({
    type: z.literal('done'),
    message_id: z.uuid(),
    usage: usageSchema,
    conversation_id: z.uuid().optional().describe('POST /v1/chat only'),
  }),
  z.object({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    message_id: z.uuid().optional().describe('The stored (failed) answer, when there is one'),
  }),
]);
export type ChatStreamEvent = z.infer<typeof chatStreamEventSchema>;

/**
 * `GET /api/v1/chat/stream` speaks the seeds' browser client: an `EventSource` whose
 * `onmessage` reads unnamed `data:` frames — `{token}` per piece of text, then
 * `{done: true, message_id, citations, usage}`, or `{error, code}`.
 */
export const eventSourceFrameSchema = z.union([
  z.object({ token: z.string() }).strict(),
  z
    .object({
      done: z.literal(true),
      message_id: z.uuid(),
      citations: z.array(citationSchema),
      usage: usageSchema,
    })
    .strict(),
  z
    .object({
      error: z.string().describe('What went wrong, for a person'),
      code: z.string(),
      message_id: z.uuid().optional(),
    })
    .strict(),
]);
export type EventSourceFrame = z.infer<typeof eventSourceFrameSchema>;

/** One `data:` chunk of `POST /v1/chat/completions` with `stream: true` (OpenAI wire format). */
export const chatCompletionChunkSchema = z
  .object({
    id: z.string().startsWith('chatcmpl-'),
    object: z.literal('chat.completion.chunk'),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
        finish_reason: z.enum(['stop', 'length']).nullable(),
        logprobs: z.null(),
      }),
    ),
    usage: z
      .object({
        prompt_tokens: z.number().int(),
        completion_tokens: z.number().int(),
        total_tokens: z.number().int(),
      })
      .optional(),
    citations: z.array(citationSchema).optional().describe('Nexus: on the last chunk'),
  })
  .or(z.object({ error: z.object({ code: z.string(), message: z.string(), type: z.string() }).loose() }));

/** `POST /v1/chat/completions` without streaming (OpenAI wire format, `citations` added). */
export const chatCompletionSchema = z.object({
  id: z.string().startsWith('chatcmpl-'),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
      finish_reason: z.literal('stop'),
      logprobs: z.null(),
    }),
  ),
  usage: z.object({
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
  }),
  citations: z.array(citationSchema),
});

/** `POST /v1/chat` (API keys). */
export const publicChatRequestSchema = z.object({
  message: z.string().trim().min(1, 'must not be empty').max(8000),
  conversation_id: z.uuid().optional(),
  bot_id: z.uuid().optional(),
  stream: z.boolean().default(false),
});
export const publicChatResponseSchema = z.object({
  conversation_id: z.uuid(),
  message: messageSchema,
});
