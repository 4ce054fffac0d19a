import { afterEach, describe, expect, it } from 'vitest';
import {
  type AnswerModel,
  type GenerateRequest,
  type Generation,
  ModelError,
} from '../src/modules/llm/llm.types.ts';
import {
  type AnswerModelDeps,
  createAnswerModel,
  type ModelConfig,
  withFallback,
} from '../src/modules/llm/model-registry.ts';
import {
  type ModelScript,
  type ModelServer,
  type ScriptedReply,
  startAnthropicServer,
  startOpenAiCompatibleServer,
} from './helpers/model-servers.ts';

const API_KEY = 'sk-test-0123456789';
const ENV: Record<string, string> = { NEXUS_TEST_MODEL_KEY: API_KEY };

const servers: ModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function openAiServer(script: ModelScript): Promise<ModelServer> {
  const server = await startOpenAiCompatibleServer(script);
  servers.push(server);
  return server;
}

async function anthropicServer(script: ModelScript): Promise<ModelServer> {
  const server = await startAnthropicServer(script);
  servers.push(server);
  return server;
}

function configFor(server: ModelServer, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    id: 'config-1',
    name: 'Test model',
    provider: 'openai_compatible',
    model: 'test-model',
    base_url: `${server.url}/v1`,
    api_key_env: 'NEXUS_TEST_MODEL_KEY',
    temperature: 0.2,
    max_tokens: 321,
    options: {},
    ...overrides,
  };
}

const offlineNeverCalled: AnswerModel = {
  provider: 'offline',
  model: 'unused',
  generate: () => {
    throw new Error('the offline model must not be used here');
  },
};

function deps(overrides: Partial<AnswerModelDeps> = {}): AnswerModelDeps {
  return { offline: offlineNeverCalled, readSecret: (name) => ENV[name], maxRetries: 2, ...overrides };
}

function request(signal: AbortSignal = new AbortController().signal): GenerateRequest {
  return {
    system: 'Answer from the passages only.',
    messages: [
      { role: 'user', content: 'What is the travel policy?' },
      { role: 'assistant', content: 'Which country?' },
      { role: 'user', content: '[1] Germany: economy class.\n\nGermany, please.' },
    ],
    question: 'What is the travel policy for Germany?',
    passages: [{ index: 1, title: 'Travel', text: 'Germany: economy class.', page: null, section: null }],
    signal,
  };
}

/** Reads the whole stream; returns the texts delivered and the error it ended with, if any. */
async function drain(generation: Generation): Promise<{ texts: string[]; error: ModelError | undefined }> {
  const texts: string[] = [];
  try {
    for await (const text of generation.textStream) texts.push(text);
    return { texts, error: undefined };
  } catch (error) {
    expect(error).toBeInstanceOf(ModelError);
    return { texts, error: error as ModelError };
  }
}

const text = (
  chunks: string[],
  extra: Partial<Extract<ScriptedReply, { kind: 'text' }>> = {},
): ScriptedReply => ({
  kind: 'text',
  chunks,
  ...extra,
});

describe('createAnswerModel over the OpenAI Chat Completions wire format', () => {
  it('streams the text in order and reports the provider usage', async () => {
    const server = await openAiServer(
      text(['The ', 'policy ', 'is ', 'economy [1].'], { usage: { inputTokens: 57, outputTokens: 9 } }),
    );
    const model = createAnswerModel(configFor(server), deps());
    expect(model).toMatchObject({ provider: 'openai_compatible', model: 'test-model' });

    const generation = model.generate(request());
    const { texts, error } = await drain(generation);

    expect(error).toBeUndefined();
    expect(texts).toEqual(['The ', 'policy ', 'is ', 'economy [1].']);
    await expect(generation.usage()).resolves.toEqual({ inputTokens: 57, outputTokens: 9 });
    expect(generation).toMatchObject({ provider: 'openai_compatible', model: 'test-model' });
  });

  it('sends the system prompt, messages, temperature, max tokens and the key from the named variable', async () => {
    const server = await openAiServer(text(['ok']));
    const model = createAnswerModel(configFor(server, { provider: 'openai', model: 'gpt-4o-mini' }), deps());

    const { error } = await drain(model.generate(request()));

    expect(error).toBeUndefined();
    expect(server.requests).toHaveLength(1);
    const [received] = server.requests;
    expect(received!.path).toBe('/v1/chat/completions');
    expect(received!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(received!.body).toMatchObject({
      model: 'gpt-4o-mini',
      stream: true,
      temperature: 0.2,
      max_tokens: 321,
      messages: [
        { role: 'system', content: 'Answer from the passages only.' },
        { role: 'user', content: 'What is the travel policy?' },
        { role: 'assistant', content: 'Which country?' },
        { role: 'user', content: '[1] Germany: economy class.\n\nGermany, please.' },
      ],
    });
  });

  it('retries a 429 (retry-after: 0) and then answers', async () => {
    const server = await openAiServer([{ kind: 'status', status: 429 }, text(['after ', 'retry'])]);
    const model = createAnswerModel(configFor(server), deps());

    const { texts, error } = await drain(model.generate(request()));

    expect(error).toBeUndefined();
    expect(texts.join('')).toBe('after retry');
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after the configured retries with rate_limited', async () => {
    const server = await openAiServer({ kind: 'status', status: 429 });
    const model = createAnswerModel(configFor(server), deps({ maxRetries: 1 }));

    const { texts, error } = await drain(model.generate(request()));

    expect(texts).toEqual([]);
    expect(error).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(server.requests).toHaveLength(2);
  });

  it('throws unavailable after the chunks already delivered when the server errors mid-stream', async () => {
    const server = await openAiServer(text(['one ', 'two ', 'three'], { breakAfter: 2 }));
    const generation = createAnswerModel(configFor(server), deps()).generate(request());

    const { texts, error } = await drain(generation);

    expect(texts).toEqual(['one ', 'two ']);
    expect(error).toMatchObject({ code: 'unavailable' });
    expect(error!.message).not.toContain('scripted');
    await expect(generation.usage()).rejects.toMatchObject({ code: 'unavailable' });
    expect(server.requests).toHaveLength(1);
  });

  it('throws unavailable after the chunks already delivered when the connection drops mid-stream', async () => {
    const server = await openAiServer(
      text(['one ', 'two ', 'three'], { breakAfter: 1, breakWith: 'destroy' }),
    );

    const { texts, error } = await drain(createAnswerModel(configFor(server), deps()).generate(request()));

    expect(texts).toEqual(['one ']);
    expect(error).toMatchObject({ code: 'unavailable' });
  });

  it('classifies a 500 before streaming as unavailable once the retries are spent', async () => {
    const server = await openAiServer({ kind: 'status', status: 500 });

    const { error } = await drain(createAnswerModel(configFor(server), deps()).generate(request()));

    expect(error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(server.requests).toHaveLength(3);
  });

  it('times out a server that never answers within options.timeout_ms', async () => {
    const server = await openAiServer({ kind: 'hang' });
    const model = createAnswerModel(configFor(server, { options: { timeout_ms: 300 } }), deps());

    const started = performance.now();
    const { error } = await drain(model.generate(request()));
    const elapsed = performance.now() - started;

    expect(error).toMatchObject({ code: 'timeout' });
    expect(error!.message).toContain('300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
  });

  it('bounds the whole answer, not only the first token', async () => {
    const server = await openAiServer(text(['first ', 'never'], { chunkDelayMs: 30_000 }));
    const model = createAnswerModel(configFor(server), deps({ timeoutMs: 300 }));

    const { texts, error } = await drain(model.generate(request()));

    expect(texts).toEqual(['first ']);
    expect(error).toMatchObject({ code: 'timeout' });
  });

  it("stops with aborted when the caller's signal fires", async () => {
    const server = await openAiServer({ kind: 'hang' });
    const controller = new AbortController();
    const generation = createAnswerModel(configFor(server), deps()).generate(request(controller.signal));
    setTimeout(() => controller.abort(), 100);

    const started = performance.now();
    const { error } = await drain(generation);

    expect(error).toMatchObject({ code: 'aborted' });
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect(generation.usage()).rejects.toMatchObject({ code: 'aborted' });
  });

  it('fails with not_configured naming the missing variable, without calling the provider', async () => {
    const server = await openAiServer(text(['unused']));
    const model = createAnswerModel(configFor(server, { api_key_env: 'NEXUS_MISSING_KEY' }), deps());

    const { error } = await drain(model.generate(request()));

    expect(error).toMatchObject({ code: 'not_configured' });
    expect(error!.message).toContain('NEXUS_MISSING_KEY');
    expect(server.requests).toHaveLength(0);
  });

  it('reports a rejected key as not_configured without echoing the key or the response body', async () => {
    const server = await startOpenAiCompatibleServer(text(['unused']), { apiKey: 'sk-the-right-one' });
    servers.push(server);

    const { error } = await drain(createAnswerModel(configFor(server), deps()).generate(request()));

    expect(error).toMatchObject({ code: 'not_configured', retryable: false });
    expect(error!.message).toContain('401');
    expect(error!.message).not.toContain(API_KEY);
    expect(error!.message).not.toContain('Incorrect API key');
    expect(server.requests).toHaveLength(1);
  });
});

describe('createAnswerModel over the Anthropic Messages wire format', () => {
  it('streams the text in order, reports usage and sends the request with x-api-key', async () => {
    const server = await anthropicServer(
      text(['Economy ', 'class ', '[1].'], { usage: { inputTokens: 31, outputTokens: 5 } }),
    );
    const model = createAnswerModel(
      configFor(server, { provider: 'anthropic', model: 'claude-sonnet-4-5', temperature: 0.4 }),
      deps(),
    );

    const generation = model.generate(request());
    const { texts, error } = await drain(generation);

    expect(error).toBeUndefined();
    expect(texts).toEqual(['Economy ', 'class ', '[1].']);
    await expect(generation.usage()).resolves.toEqual({ inputTokens: 31, outputTokens: 5 });
    expect(server.requests).toHaveLength(1);
    const [received] = server.requests;
    expect(received!.headers['x-api-key']).toBe(API_KEY);
    expect(received!.headers['anthropic-version']).toBeTruthy();
    expect(received!.body).toMatchObject({
      model: 'claude-sonnet-4-5',
      stream: true,
      temperature: 0.4,
      max_tokens: 321,
      system: [{ type: 'text', text: 'Answer from the passages only.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is the travel policy?' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Which country?' }] },
        {
          role: 'user',
          content: [{ type: 'text', text: '[1] Germany: economy class.\n\nGermany, please.' }],
        },
      ],
    });
  });

  it('throws unavailable after the delivered chunks on an error event mid-stream', async () => {
    const server = await anthropicServer(text(['a ', 'b ', 'c'], { breakAfter: 1 }));
    const model = createAnswerModel(
      configFor(server, { provider: 'anthropic', model: 'claude-haiku-4-5' }),
      deps(),
    );

    const { texts, error } = await drain(model.generate(request()));

    expect(texts).toEqual(['a ']);
    expect(error).toMatchObject({ code: 'unavailable' });
  });
});

describe('withFallback', () => {
  it('answers with the fallback when the primary fails before its first token', async () => {
    const primaryServer = await openAiServer({ kind: 'status', status: 503 });
    const fallbackServer = await anthropicServer(text(['from ', 'fallback']));
    const primary = createAnswerModel(configFor(primaryServer), deps({ maxRetries: 1 }));
    const fallback = createAnswerModel(
      configFor(fallbackServer, { provider: 'anthropic', model: 'claude-haiku-4-5' }),
      deps(),
    );

    const generation = withFallback(primary, fallback).generate(request());
    const { texts, error } = await drain(generation);

    expect(error).toBeUndefined();
    expect(texts.join('')).toBe('from fallback');
    expect(generation).toMatchObject({ provider: 'anthropic', model: 'claude-haiku-4-5' });
    await expect(generation.usage()).resolves.toMatchObject({ outputTokens: 2 });
    expect(primaryServer.requests).toHaveLength(2);
    expect(fallbackServer.requests).toHaveLength(1);
  });

  it('does not fall back once the primary has delivered text', async () => {
    const primaryServer = await openAiServer(text(['partial ', 'answer'], { breakAfter: 1 }));
    const fallbackServer = await anthropicServer(text(['unused']));
    const primary = createAnswerModel(configFor(primaryServer), deps());
    const fallback = createAnswerModel(
      configFor(fallbackServer, { provider: 'anthropic', model: 'claude-haiku-4-5' }),
      deps(),
    );

    const generation = withFallback(primary, fallback).generate(request());
    const { texts, error } = await drain(generation);

    expect(texts).toEqual(['partial ']);
    expect(error).toMatchObject({ code: 'unavailable' });
    expect(generation).toMatchObject({ provider: 'openai_compatible', model: 'test-model' });
    expect(fallbackServer.requests).toHaveLength(0);
  });

  it('does not fall back when the caller aborts', async () => {
    const primaryServer = await openAiServer({ kind: 'hang' });
    const fallbackServer = await anthropicServer(text(['unused']));
    const primary = createAnswerModel(configFor(primaryServer), deps());
    const fallback = createAnswerModel(
      configFor(fallbackServer, { provider: 'anthropic', model: 'claude-haiku-4-5' }),
      deps(),
    );
    const controller = new AbortController();

    const generation = withFallback(primary, fallback).generate(request(controller.signal));
    setTimeout(() => controller.abort(), 100);
    const { error } = await drain(generation);

    expect(error).toMatchObject({ code: 'aborted' });
    expect(fallbackServer.requests).toHaveLength(0);
  });
});

describe('the offline provider', () => {
  it('is the offline model passed in', () => {
    const offline: AnswerModel = {
      provider: 'offline',
      model: 'nexus-extractive-1',
      generate: () => {
        throw new Error('not called');
      },
    };
    const config: ModelConfig = {
      id: 'offline-1',
      name: 'Offline',
      provider: 'offline',
      model: 'nexus-extractive-1',
      base_url: null,
      api_key_env: null,
      temperature: 0,
      max_tokens: 1024,
      options: {},
    };

    expect(createAnswerModel(config, { offline, readSecret: () => undefined })).toBe(offline);
  });
});
