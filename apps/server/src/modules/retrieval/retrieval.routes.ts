import { searchRequestSchema, searchResponseSchema } from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { readerFromPrincipal, requirePrincipal } from '../access/access.service.ts';
import { searchPassages, toSearchResult } from './retrieval.service.ts';

export const registerRetrievalRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  app.post(
    '/api/v1/search',
    {
      config: { access: { role: 'user', apiKey: true } },
      schema: {
        tags: ['documents'],
        summary: 'Ranked passages you may read (the same ranking chat uses)',
        body: searchRequestSchema,
        response: { 200: searchResponseSchema },
      },
    },
    async (request) => {
      const reader = readerFromPrincipal(requirePrincipal(request));
      const passages = await searchPassages(db, reader, request.body.query, {
        topK: request.body.top_k,
        embedder: app.deps.embedder ?? null,
      });
      return { results: passages.map(toSearchResult) };
    },
  );
};
