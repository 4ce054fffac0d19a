import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A Server-Sent Events response: `event: <type>` + `data: <json>` frames (or bare `data:`
 * frames), comments (`: ping`), and an AbortSignal that fires when the client goes away
 * before the stream ends. Headers set by hooks (rate-limit counters, request id) go out
 * with the stream.
 */
export interface EventStream {
  readonly signal: AbortSignal;
  /** A named event: `event: <event>` and `data: <json>`. */
  send(event: string, data: unknown): void;
  /** An unnamed event: `data: <json>` (what EventSource's `onmessage` and OpenAI clients read). */
  data(data: unknown): void;
  /** A comment line, e.g. `ping` as a heartbeat idle proxies see. */
  comment(text: string): void;
  /** Writes a raw chunk (for protocols with their own framing, like OpenAI's `data: [DONE]`). */
  write(chunk: string): void;
  end(): void;
}

export function openEventStream(request: FastifyRequest, reply: FastifyReply): EventStream {
  const raw = reply.raw;
  const controller = new AbortController();
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value : String(value);
  }
  reply.hijack();
  raw.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  raw.flushHeaders();
  const isOpen = () => !raw.writableEnded && !raw.destroyed;
  const onClose = () => {
    if (!raw.writableFinished) controller.abort();
  };
  raw.on('close', onClose);
  const write = (chunk: string) => {
    if (isOpen()) raw.write(chunk);
  };
  return {
    signal: controller.signal,
    send: (event, data) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    data: (data) => write(`data: ${JSON.stringify(data)}\n\n`),
    comment: (text) => write(`: ${text}\n\n`),
    write,
    end() {
      raw.off('close', onClose);
      if (isOpen()) raw.end();
    },
  };
}

export function wantsEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream');
}
