import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { AppError } from '../../platform/errors.ts';
import { hasNul } from '../../platform/text/control-characters.ts';
import { requirePrincipal } from '../access/access.service.ts';
import { type AnswerRun, startAnswer } from './answer-stream.ts';
import { type ConversationRow, getConversation } from './chat.service.ts';
import { chatDependencies, runOptions } from './chat-context.ts';
import { sendWebSocketFrames } from './transports.ts';

const conversationParamsSchema = z.object({ conversation_id: z.uuid('must be a UUID') });

const clientFrameSchema = z.discriminatedUnion('type', [
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

/**
 * `WS /ws/chat/:conversation_id`: frames `{"type":"message","content"}` or `{"type":"cancel"}`
 * in; the answer stream's events as `{type, …}` frames out (transports.ts). One answer at a
 * time per socket.
 */
export const registerChatSocketRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const chat = chatDependencies(app);

  app.get(
    '/ws/chat/:conversation_id',
    {
      websocket: true,
      config: { access: { role: 'user', apiKey: true } },
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
        conversation = await getConversation(db, principal, conversationId);
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
      let current: AnswerRun | null = null;
      // Between answers the socket is idle: ping it so proxies keep it (a run pings while it answers).
      const idlePing = setInterval(() => {
        if (!current && socket.readyState === socket.OPEN) socket.ping();
      }, chat.heartbeatMs);
      idlePing.unref();
      socket.once('close', () => clearInterval(idlePing));
      const onFrame = (data: unknown) => {
        const parsed = clientFrameSchema.safeParse(safeJson(String(data)));
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
          current?.cancel();
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
        const run = startAnswer(
          chat,
          { principal, conversation, content: parsed.data.content },
          runOptions(request),
        );
        current = run;
        void sendWebSocketFrames(socket, run).finally(() => {
          current = null;
        });
      };
      socket.off('message', holdEarly);
      socket.on('message', onFrame);
      for (const data of early.splice(0)) onFrame(data);
    },
  );
};
