import { createAnthropic } from '@ai-sdk/anthropic';
import { createAzure } from '@ai-sdk/azure';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { AISDKError, APICallError, type LanguageModel, RetryError, streamText } from 'ai';
import type { LlmProvider } from '../../platform/db/schema.ts';
import {
  type AnswerModel,
  type GenerateRequest,
  type Generation,
  type GenerationUsage,
  ModelError,
} from './llm.types.ts';

/**
 * The model registry: turns an `llm_configs` row into an AnswerModel. Hosted providers
 * go through the AI SDK (`streamText`), which retries 408/409/429/5xx with exponential
 * backoff (honouring `retry-after`); everything that still fails is classified into a
 * ModelError whose message names the provider and model but never a key or a response body.
 * Provider specifics stay in this file.
 */

/** One row of `llm_configs`, as far as answering needs it. */
export interface ModelConfig {
  id: string;
  name: string;
  /** 'offline' | 'openai' | 'azure_openai' | 'anthropic' | 'google' | 'openai_compatible' */
  provider: LlmProvider;
  model: string;
  base_url: string | null;
  /** Name of the environment variable holding the key (never the key itself). */
  api_key_env: string | null;
  temperature: number;
  max_tokens: number;
  /** `timeout_ms` (whole request); `azure_openai`: `resource_name`, `api_version`. */
  options: Record<string, unknown>;
}

/** Looks up a secret (an API key) by the name of the environment variable that holds it. */
export type SecretReader = (name: string) => string | undefined;

export interface AnswerModelDeps {
  /** The built-in extractive answerer, returned for provider `offline`. */
  offline: AnswerModel;
  /** Reads the variable a config names in `api_key_env` (the configuration's secrets). */
  readSecret: SecretReader;
  fetch?: typeof fetch;
  /** Bound on one whole generation unless `options.timeout_ms` says otherwise; default 60 s. */
  timeoutMs?: number;
  /** Retries of retryable provider errors before the first token; default 2. */
  maxRetries?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;

/** The provider SDKs' own variable names, used when a config names none. */
const DEFAULT_KEY_ENV: Record<Exclude<LlmProvider, 'offline'>, string | null> = {
  openai: 'OPENAI_API_KEY',
  azure_openai: 'AZURE_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  google: 'GOOGLE_GENERATIVE_AI_API_KEY',
  openai_compatible: null,
};

export function createAnswerModel(config: ModelConfig, deps: AnswerModelDeps): AnswerModel {
  if (config.provider === 'offline') return deps.offline;
  return {
    provider: config.provider,
    model: config.model,
    generate: (request) => generateWithSdk(config, deps, request),
  };
}

/**
 * Answers with `fallback` when `primary` fails before its first token (after its own
 * retries); the Generation then reports the fallback's provider and model. A failure after
 * text was delivered, or the caller's abort, propagates unchanged. Read `provider`/`model`
 * once the stream has ended (before that they name the primary).
 */
export function withFallback(primary: AnswerModel, fallback: AnswerModel): AnswerModel {
  return {
    provider: primary.provider,
    model: primary.model,
    generate(request) {
      let active = primary.generate(request);
      const usage = settleable<GenerationUsage>();
      async function* textStream(): AsyncGenerator<string> {
        let hasDelivered = false;
        try {
          try {
            for await (const text of active.textStream) {
              hasDelivered = true;
              yield text;
            }
          } catch (error) {
            const isAbort =
              request.signal.aborted || (error instanceof ModelError && error.code === 'aborted');
            if (hasDelivered || isAbort) throw error;
            active.usage().catch(() => undefined);
            active = fallback.generate(request);
            yield* active.textStream;
          }
          usage.resolve(await active.usage());
        } catch (error) {
          usage.reject(error);
          throw error;
        } finally {
          usage.reject(new ModelError('aborted', 'The answer stream was not read to its end.'));
        }
      }
      return {
        get provider() {
          return active.provider;
        },
        get model() {
          return active.model;
        },
        textStream: textStream(),
        usage: () => usage.promise,
      };
    },
  };
}

function generateWithSdk(config: ModelConfig, deps: AnswerModelDeps, request: GenerateRequest): Generation {
  const label = `${config.provider} model "${config.model}"`;
  const timeoutMs = positiveNumber(config.options.timeout_ms) ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const usage = settleable<GenerationUsage>();

  // Starts on the first read: an unread Generation sends no request and holds no timer.
  async function* textStream(): AsyncGenerator<string> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const classify = (error: unknown) =>
      toModelError(error, {
        label,
        timeoutMs,
        isCallerAbort: request.signal.aborted,
        isTimeout: deadline.signal.aborted,
      });
    try {
      const result = streamText({
        model: createLanguageModel(config, deps),
        system: request.system,
        messages: request.messages.map((turn) => ({ role: turn.role, content: turn.content })),
        temperature: config.temperature,
        maxOutputTokens: config.max_tokens,
        maxRetries: deps.maxRetries ?? DEFAULT_MAX_RETRIES,
        abortSignal: AbortSignal.any([request.signal, deadline.signal]),
        // Errors arrive as `error` parts below; the default handler would only log them.
        onError: () => undefined,
      });
      let reported: GenerationUsage | undefined;
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') {
          if (part.text) yield part.text;
        } else if (part.type === 'error') {
          throw part.error;
        } else if (part.type === 'abort') {
          throw new DOMException('The generation was aborted.', 'AbortError');
        } else if (part.type === 'finish') {
          reported = {
            inputTokens: part.totalUsage.inputTokens ?? 0,
            outputTokens: part.totalUsage.outputTokens ?? 0,
          };
        }
      }
      if (!reported)
        throw new ModelError('bad_response', `The ${label} ended its answer without finishing it.`);
      usage.resolve(reported);
    } catch (error) {
      const modelError = classify(error);
      usage.reject(modelError);
      throw modelError;
    } finally {
      clearTimeout(timer);
      // Still open here only when the reader stopped early: cancel the request.
      deadline.abort();
      usage.reject(new ModelError('aborted', 'The answer stream was not read to its end.'));
    }
  }

  return {
    provider: config.provider,
    model: config.model,
    textStream: textStream(),
    usage: () => usage.promise,
  };
}

/** Builds the AI SDK model; throws ModelError('not_configured') when a key or URL is missing. */
function createLanguageModel(config: ModelConfig, deps: AnswerModelDeps): LanguageModel {
  const provider = config.provider;
  if (provider === 'offline') throw new Error('The offline model is not an AI SDK model.');
  const keyVariable = config.api_key_env ?? DEFAULT_KEY_ENV[provider];
  const apiKey = keyVariable ? deps.readSecret(keyVariable) : undefined;
  if (keyVariable && !apiKey) {
    throw new ModelError(
      'not_configured',
      `The API key for ${provider} model "${config.model}" is missing: set the environment variable ${keyVariable}.`,
    );
  }
  const baseURL = config.base_url ?? undefined;
  const shared = { ...(baseURL ? { baseURL } : {}), ...(deps.fetch ? { fetch: deps.fetch } : {}) };
  switch (provider) {
    case 'openai':
      // Chat Completions rather than Responses, which every OpenAI-compatible server speaks.
      return createOpenAI({ ...shared, apiKey }).chat(config.model);
    case 'azure_openai': {
      const resourceName = stringOption(config.options.resource_name);
      if (!baseURL && !resourceName) {
        throw new ModelError(
          'not_configured',
          `The azure_openai model "${config.model}" needs a base URL or options.resource_name.`,
        );
      }
      const apiVersion = stringOption(config.options.api_version);
      return createAzure({
        ...shared,
        apiKey,
        ...(resourceName && !baseURL ? { resourceName } : {}),
        ...(apiVersion ? { apiVersion } : {}),
      }).chat(config.model);
    }
    case 'anthropic':
      return createAnthropic({ ...shared, apiKey }).languageModel(config.model);
    case 'google':
      return createGoogleGenerativeAI({ ...shared, apiKey }).languageModel(config.model);
    case 'openai_compatible':
      if (!baseURL) {
        throw new ModelError(
          'not_configured',
          `The openai_compatible model "${config.model}" needs a base URL.`,
        );
      }
      return createOpenAICompatible({
        ...shared,
        baseURL,
        name: 'compatible',
        includeUsage: true,
        ...(apiKey ? { apiKey } : {}),
      }).chatModel(config.model);
  }
}

interface FailureContext {
  label: string;
  timeoutMs: number;
  isCallerAbort: boolean;
  isTimeout: boolean;
}

/** Every failure becomes a ModelError; messages carry status codes, never bodies or keys. */
function toModelError(error: unknown, context: FailureContext): ModelError {
  const { label } = context;
  if (error instanceof ModelError) return error;
  if (context.isCallerAbort) return new ModelError('aborted', `The request to the ${label} was cancelled.`);
  if (context.isTimeout) {
    return new ModelError('timeout', `The ${label} did not answer within ${context.timeoutMs} ms.`, true);
  }
  if (RetryError.isInstance(error)) {
    const attempts = error.errors.length;
    const last = toModelError(error.lastError, context);
    return new ModelError(last.code, `${last.message} (${attempts} attempts)`, last.retryable);
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    // No status: unreachable; a 2xx status: the connection broke while the body streamed.
    if (status === undefined || status < 400) {
      return new ModelError('unavailable', `The connection to the ${label} failed.`, true);
    }
    if (status === 429)
      return new ModelError('rate_limited', `The ${label} is rate limited (HTTP 429).`, true);
    if (status === 408) return new ModelError('timeout', `The ${label} timed out (HTTP 408).`, true);
    if (status >= 500) return new ModelError('unavailable', `The ${label} failed (HTTP ${status}).`, true);
    if (status === 401 || status === 403) {
      return new ModelError('not_configured', `The ${label} rejected its API key (HTTP ${status}).`);
    }
    if (status === 404) return new ModelError('not_configured', `The ${label} was not found (HTTP 404).`);
    return new ModelError('bad_response', `The ${label} rejected the request (HTTP ${status}).`);
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new ModelError('aborted', `The request to the ${label} was cancelled.`);
  }
  if (AISDKError.isInstance(error)) {
    // Malformed JSON, chunks that fail validation, an empty body or a stream without output.
    return new ModelError('bad_response', `The ${label} sent a response that could not be read.`);
  }
  if (error instanceof Error) {
    // Network failures, including a connection dropped in the middle of the stream.
    return new ModelError('unavailable', `The connection to the ${label} failed.`, true);
  }
  // An error event inside the stream, e.g. OpenAI's `{ error: { type: 'server_error' } }` or
  // Anthropic's `event: error` with `overloaded_error`.
  const kind = streamErrorKind(error);
  if (kind.includes('rate_limit'))
    return new ModelError('rate_limited', `The ${label} is rate limited.`, true);
  if (kind.includes('invalid_request')) {
    return new ModelError('bad_response', `The ${label} rejected the request mid-stream.`);
  }
  return new ModelError('unavailable', `The ${label} failed mid-stream${kind ? ` (${kind})` : ''}.`, true);
}

/** The `type`/`code` of a provider's in-stream error object, e.g. `server_error`. */
function streamErrorKind(error: unknown): string {
  if (!error || typeof error !== 'object') return '';
  const record = error as Record<string, unknown>;
  const kind = [record.type, record.code].find(
    (value): value is string => typeof value === 'string' && /^[a-z_]{1,40}$/.test(value),
  );
  return kind ?? '';
}

interface Settleable<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A promise settled from outside; first settlement wins, and an unread rejection is not "unhandled". */
function settleable<T>(): Settleable<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function positiveNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function stringOption(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
