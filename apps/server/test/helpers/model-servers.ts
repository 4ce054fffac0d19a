import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Local servers speaking the real chat wire formats, so tests (and benchmarks) drive the
 * real AI SDK providers over HTTP instead of mocking them:
 *
 * - `startOpenAiCompatibleServer(script)` — OpenAI Chat Completions: `POST …/chat/completions`
 *   (so `/v1/chat/completions` for OpenAI and OpenAI-compatible base URLs, and Azure's
 *   `/openai/v1/…` and `/openai/deployments/:d/…` paths too). `stream: true` answers
 *   `text/event-stream` with `chat.completion.chunk` events, a usage chunk when
 *   `stream_options.include_usage` is set, then `data: [DONE]`; otherwise one JSON completion.
 * - `startAnthropicServer(script)` — Anthropic Messages: `POST /v1/messages` with the streaming
 *   event sequence (message_start … message_stop) or one JSON message; answers 401 without an
 *   `x-api-key` header and 400 without `anthropic-version`.
 *
 * The script says how to answer each request: one reply for every request, a list (request n
 * gets reply n, the last one repeats), or a function of the recorded request and its index.
 *
 *   const server = await startOpenAiCompatibleServer([
 *     { kind: 'status', status: 429 },               // 429 with `retry-after: 0` …
 *     { kind: 'text', chunks: ['Hel', 'lo'] },       // … then a normal streamed answer
 *   ]);
 *   // base URL for the provider: `${server.url}/v1`; server.requests.length counts requests.
 *   await server.close();
 *
 * Replies:
 * - `text`: the chunks in order, after `firstTokenDelayMs` and with `chunkDelayMs` between them
 *   (a long delay makes the server hang mid-stream). `breakAfter: k` stops after k chunks,
 *   `breakWith` an in-stream error event (the provider's "server error" event; default) or a
 *   destroyed connection. `usage` overrides the reported token counts (default: input = words
 *   in the system prompt and messages, output = number of chunks).
 * - `status`: an error response before any streaming (JSON error body in the provider's shape),
 *   with `retry-after: 0` unless `retryAfter` says otherwise (null: no header).
 * - `hang`: never answers (until the client gives up or the server closes).
 *
 * `options.apiKey` makes the server answer 401 unless the request carries that key.
 */

export type ScriptedReply =
  | {
      kind: 'text';
      chunks: readonly string[];
      firstTokenDelayMs?: number;
      chunkDelayMs?: number;
      usage?: { inputTokens: number; outputTokens: number };
      breakAfter?: number;
      breakWith?: 'error-event' | 'destroy';
    }
  | { kind: 'status'; status: number; retryAfter?: string | null }
  | { kind: 'hang' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body. */
  body: Record<string, unknown>;
}

export type ModelScript =
  | ScriptedReply
  | readonly ScriptedReply[]
  | ((request: RecordedRequest, index: number) => ScriptedReply);

export interface ModelServer {
  /** `http://127.0.0.1:<port>`, without a path. */
  readonly url: string;
  /** Every request received, in order (including rejected ones). */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface ModelServerOptions {
  /** When set, requests without this key are answered 401. */
  apiKey?: string;
}

interface WireFormat {
  matches(method: string, path: string): boolean;
  /** An error to answer instead of the script's reply (missing headers, wrong key). */
  rejectRequest(
    request: RecordedRequest,
    options: ModelServerOptions,
  ): { status: number; body: unknown } | null;
  errorBody(status: number): unknown;
  /** Writes a streamed answer after the headers, or its scripted break. */
  stream(context: StreamContext): Promise<void>;
  complete(
    request: RecordedRequest,
    text: string,
    usage: { inputTokens: number; outputTokens: number },
  ): unknown;
}

interface StreamContext {
  request: RecordedRequest;
  response: ServerResponse;
  reply: Extract<ScriptedReply, { kind: 'text' }>;
  usage: { inputTokens: number; outputTokens: number };
  signal: AbortSignal;
}

const OPENAI_FORMAT: WireFormat = {
  matches: (method, path) => method === 'POST' && path.split('?')[0]!.endsWith('/chat/completions'),
  rejectRequest(request, options) {
    if (options.apiKey === undefined) return null;
    const key = request.headers['api-key'] ?? request.headers.authorization?.replace(/^Bearer /, '');
    if (key === options.apiKey) return null;
    return {
      status: 401,
      body: {
        error: {
          message: 'Incorrect API key provided.',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      },
    };
  },
  errorBody(status) {
    const type =
      status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
    return { error: { message: `scripted ${status}`, type, code: null } };
  },
  async stream({ request, response, reply, usage, signal }) {
    const id = 'chatcmpl-scripted';
    const model = String(request.body.model);
    const created = Math.floor(Date.now() / 1000);
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`;
    response.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
    const delivered = await writeChunks(response, reply, signal, (text) =>
      chunk([{ index: 0, delta: { content: text }, finish_reason: null }]),
    );
    if (!delivered) {
      if ((reply.breakWith ?? 'error-event') === 'destroy') response.destroy();
      else
        response.end(
          `data: ${JSON.stringify({ error: { message: 'scripted server error', type: 'server_error', code: null } })}\n\n`,
        );
      return;
    }
    response.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
    const streamOptions = request.body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) {
      response.write(chunk([], { usage: openAiUsage(usage) }));
    }
    response.end('data: [DONE]\n\n');
  },
  complete: (request, text, usage) => ({
    id: 'chatcmpl-scripted',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: openAiUsage(usage),
  }),
};

const ANTHROPIC_FORMAT: WireFormat = {
  matches: (method, path) => method === 'POST' && path.split('?')[0] === '/v1/messages',
  rejectRequest(request, options) {
    const key = request.headers['x-api-key'];
    if (!key || (options.apiKey !== undefined && key !== options.apiKey)) {
      return { status: 401, body: anthropicError('authentication_error', 'invalid x-api-key') };
    }
    if (!request.headers['anthropic-version']) {
      return {
        status: 400,
        body: anthropicError('invalid_request_error', 'anthropic-version header is required'),
      };
    }
    return null;
  },
  errorBody(status) {
    const type =
      status === 429
        ? 'rate_limit_error'
        : status === 529
          ? 'overloaded_error'
          : status >= 500
            ? 'api_error'
            : 'invalid_request_error';
    return anthropicError(type, `scripted ${status}`);
  },
  async stream({ request, response, reply, usage, signal }) {
    const event = (type: string, data: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    response.write(
      event('message_start', {
        message: {
          id: 'msg_scripted',
          type: 'message',
          role: 'assistant',
          model: request.body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: usage.inputTokens, output_tokens: 1 },
        },
      }),
    );
    response.write(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    response.write(event('ping', {}));
    const delivered = await writeChunks(response, reply, signal, (text) =>
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
    );
    if (!delivered) {
      if ((reply.breakWith ?? 'error-event') === 'destroy') response.destroy();
      else response.end(event('error', { error: { type: 'api_error', message: 'scripted server error' } }));
      return;
    }
    response.write(event('content_block_stop', { index: 0 }));
    response.write(
      event('message_delta', {
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: usage.outputTokens },
      }),
    );
    response.end(event('message_stop', {}));
  },
  complete: (request, text, usage) => ({
    id: 'msg_scripted',
    type: 'message',
    role: 'assistant',
    model: request.body.model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens },
  }),
};

export function startOpenAiCompatibleServer(
  script: ModelScript,
  options: ModelServerOptions = {},
): Promise<ModelServer> {
  return startModelServer(OPENAI_FORMAT, script, options);
}

export function startAnthropicServer(
  script: ModelScript,
  options: ModelServerOptions = {},
): Promise<ModelServer> {
  return startModelServer(ANTHROPIC_FORMAT, script, options);
}

async function startModelServer(
  format: WireFormat,
  script: ModelScript,
  options: ModelServerOptions,
): Promise<ModelServer> {
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  const server = createServer((incoming, response) => {
    readBody(incoming)
      .then(async (text) => {
        const path = incoming.url ?? '/';
        const method = incoming.method ?? 'GET';
        if (!format.matches(method, path)) {
          sendJson(response, 404, { error: { message: 'not found' } });
          return;
        }
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          sendJson(response, 400, { error: { message: 'body is not JSON' } });
          return;
        }
        const request: RecordedRequest = { method, path, headers: incoming.headers, body };
        const index = requests.push(request) - 1;
        const rejection = format.rejectRequest(request, options);
        if (rejection) {
          sendJson(response, rejection.status, rejection.body);
          return;
        }
        await answer(format, request, response, replyFor(script, request, index), closing.signal);
      })
      .catch(() => {
        // The client went away or the server is closing: nothing left to answer.
        response.destroy();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(
  format: WireFormat,
  request: RecordedRequest,
  response: ServerResponse,
  reply: ScriptedReply,
  closing: AbortSignal,
): Promise<void> {
  if (reply.kind === 'hang') return;
  if (reply.kind === 'status') {
    const retryAfter = reply.retryAfter === undefined ? '0' : reply.retryAfter;
    sendJson(
      response,
      reply.status,
      format.errorBody(reply.status),
      retryAfter === null ? {} : { 'retry-after': retryAfter },
    );
    return;
  }
  // Stop writing when the client disconnects or the server closes.
  const gone = new AbortController();
  response.on('close', () => gone.abort());
  const signal = AbortSignal.any([closing, gone.signal]);
  const usage = reply.usage ?? {
    inputTokens: countWords(request.body),
    outputTokens: reply.chunks.length,
  };
  if (request.body.stream === true) {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.flushHeaders();
    await format.stream({ request, response, reply, usage, signal });
    return;
  }
  if (reply.firstTokenDelayMs) await sleep(reply.firstTokenDelayMs, undefined, { signal });
  if (reply.breakAfter !== undefined) {
    if ((reply.breakWith ?? 'error-event') === 'destroy') response.destroy();
    else sendJson(response, 500, format.errorBody(500));
    return;
  }
  sendJson(response, 200, format.complete(request, reply.chunks.join(''), usage));
}

/** Writes the reply's chunks with their delays; false when it stopped at `breakAfter`. */
async function writeChunks(
  response: ServerResponse,
  reply: Extract<ScriptedReply, { kind: 'text' }>,
  signal: AbortSignal,
  format: (text: string) => string,
): Promise<boolean> {
  if (reply.firstTokenDelayMs) await sleep(reply.firstTokenDelayMs, undefined, { signal });
  for (const [index, text] of reply.chunks.slice(0, reply.breakAfter).entries()) {
    if (index > 0 && reply.chunkDelayMs) await sleep(reply.chunkDelayMs, undefined, { signal });
    // Waiting for the flush lets a later `destroy` break the stream after these bytes left.
    await new Promise<void>((resolve, reject) =>
      response.write(format(text), (error) => (error ? reject(error) : resolve())),
    );
  }
  return reply.breakAfter === undefined;
}

function replyFor(script: ModelScript, request: RecordedRequest, index: number): ScriptedReply {
  if (typeof script === 'function') return script(request, index);
  if (Array.isArray(script)) {
    const replies = script as readonly ScriptedReply[];
    const reply = replies[Math.min(index, replies.length - 1)];
    if (!reply) throw new Error('The model server script is an empty list.');
    return reply;
  }
  return script as ScriptedReply;
}

function openAiUsage(usage: { inputTokens: number; outputTokens: number }) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

function anthropicError(type: string, message: string) {
  return { type: 'error', error: { type, message } };
}

/** A stand-in token count: words in the system prompt and every message's text. */
function countWords(body: Record<string, unknown>): number {
  const texts: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) for (const item of value) collect(item);
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      collect(record.text ?? record.content);
    }
  };
  collect(body.system);
  collect(body.messages);
  return texts.join(' ').split(/\s+/).filter(Boolean).length;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
