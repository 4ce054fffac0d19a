import type { FastifyInstance } from 'fastify';
import type { StartOptions } from './answer-stream.ts';
import type { ChatDependencies } from './answering.ts';

/** What every chat transport needs to answer, wired once from the app. */
export function chatDependencies(app: FastifyInstance): ChatDependencies {
  return {
    db: app.deps.db,
    embedder: app.deps.embedder ?? null,
    logger: app.deps.logger,
    readSecret: app.config.readSecret,
    passages: { topK: app.config.chat.passages, maxPerDocument: 3 },
    heartbeatMs: app.config.chat.heartbeatMs,
  };
}

/** The request a run belongs to: named in failures and their logs. */
export function runOptions(
  request: { id: string; log: StartOptions['log'] },
  extra: Partial<StartOptions> = {},
) {
  return { requestId: request.id, log: request.log, ...extra };
}
