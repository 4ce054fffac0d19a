import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A Server-Sent Events response: `event: <type>` + `data: <json>` frames, `: ping`
 * comments as heartbeats (so idle proxies keep the connection), and an AbortSignal that
 * fires when the client goes away before the stream ends.
 */
export interface EventStream {
  readonly signal: AbortSignal;
  send(event: string, data: unknown): void;
  /** Writes a raw SSE chunk (for protocols with their own framing, like OpenAI's `data:` lines). */
  write(chunk: string): void;
  end(): void;
}

export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  heartbeatMs: number,
): EventStream {
  const raw = reply.raw;
  const controller = new AbortController();
  // Headers set by hooks (rate-limit counters, request id) go out with the stream.
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
  const heartbeat = setInterval(() => {
    if (isOpen()) raw.write(': ping\n\n');
  }, heartbeatMs);
  heartbeat.unref();
  return {
    signal: controller.signal,
    send(event, data) {
      if (isOpen()) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    write(chunk) {
      if (isOpen()) raw.write(chunk);
    },
    end() {
      clearInterval(heartbeat);
      raw.off('close', onClose);
      if (isOpen()) raw.end();
    },
  };
}

export function wantsEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream');
}
