import { createAzure } from '@ai-sdk/azure';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { type EmbeddingModel, embedMany } from 'ai';
import type { EmbeddingConfig } from '../config.ts';

/**
 * The embedding model registry: provider specifics stay here; retrieval and ingestion
 * get an Embedder. Batching and retries of retryable provider errors (408/409/429/5xx,
 * exponential backoff) come from the AI SDK's embedMany.
 */
export interface Embedder {
  /** e.g. `openai:text-embedding-3-small`, stored beside each vector. */
  readonly id: string;
  readonly dimensions: number;
  embed(values: string[], signal?: AbortSignal): Promise<number[][]>;
}

export function createEmbeddingModel(config: EmbeddingConfig): EmbeddingModel {
  switch (config.provider) {
    case 'openai':
      return createOpenAI({
        apiKey: config.apiKey,
        ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
      }).embedding(config.model);
    case 'azure_openai':
      return createAzure({
        apiKey: config.apiKey,
        ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
      }).embedding(config.model);
    case 'google':
      return createGoogleGenerativeAI({
        apiKey: config.apiKey,
        ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
      }).embedding(config.model);
    case 'openai_compatible':
      return createOpenAICompatible({
        name: 'compatible',
        baseURL: config.baseUrl ?? 'http://127.0.0.1:11434/v1',
        ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      }).embeddingModel(config.model);
  }
}

export function createEmbedder(
  config: EmbeddingConfig,
  model: EmbeddingModel = createEmbeddingModel(config),
): Embedder {
  return {
    id: `${config.provider}:${config.model}`,
    dimensions: config.dimensions,
    async embed(values, signal) {
      if (values.length === 0) return [];
      const { embeddings } = await embedMany({
        model,
        values,
        maxRetries: 3,
        maxParallelCalls: 2,
        ...(signal ? { abortSignal: signal } : {}),
      });
      for (const embedding of embeddings) {
        if (embedding.length !== config.dimensions) {
          throw new Error(
            `The embedding model returned ${embedding.length} dimensions; NEXUS_EMBEDDING_DIMENSIONS says ${config.dimensions}.`,
          );
        }
      }
      return embeddings;
    },
  };
}

/** pgvector literal: `[0.1,0.2,…]`. */
export function toVectorLiteral(values: number[]): string {
  return `[${values.join(',')}]`;
}

/** `vector` up to 2,000 dimensions (HNSW's limit), `halfvec` above. */
export function vectorType(dimensions: number): 'vector' | 'halfvec' {
  return dimensions > 2_000 ? 'halfvec' : 'vector';
}
