import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { loadDemoDocuments, seedDemo } from '../../src/modules/demo/demo.service.ts';
import { DEFAULT_PARSE_LIMITS } from '../../src/modules/ingestion/ingestion.types.ts';
import { bearer } from './accounts.ts';
import { createTestApp } from './app.ts';

export const DEMO_PASSWORD = 'demo password for tests';

/** The real app on the demo company with its ten documents ingested, listening on a port. */
export async function createDemoApp(
  backend: 'embedded' | 'postgres',
  environment: Record<string, string> = {},
) {
  const testApp = await createTestApp(backend, { environment });
  const { db } = testApp.database;
  const seeded = await seedDemo(db, { password: DEMO_PASSWORD });
  if (!seeded) throw new Error('demo already seeded');
  await loadDemoDocuments(db, seeded.tenantId, { limits: DEFAULT_PARSE_LIMITS, embedder: null });
  await testApp.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = testApp.app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const tokens = new Map<string, string>();
  async function tokenFor(email: string): Promise<string> {
    const known = tokens.get(email);
    if (known) return known;
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: DEMO_PASSWORD },
    });
    if (response.statusCode !== 200) throw new Error(`login failed: ${response.body}`);
    const token = (response.json() as { access_token: string }).access_token;
    tokens.set(email, token);
    return token;
  }
  return { ...testApp, tenantId: seeded.tenantId, baseUrl, tokenFor };
}

export type DemoApp = Awaited<ReturnType<typeof createDemoApp>>;

export async function startConversation(demo: DemoApp, token: string, mode = 'rag'): Promise<string> {
  const response = await demo.app.inject({
    method: 'POST',
    url: '/api/v1/conversations',
    headers: bearer(token),
    payload: { mode },
  });
  expect(response.statusCode, response.body).toBe(201);
  return (response.json() as { id: string }).id;
}

/** Every `[n]` in the text, as numbers. */
export function markers(text: string): number[] {
  return [...text.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
}

/** Asks a question in a conversation through the JSON endpoint. */
export function askQuestion(demo: DemoApp, token: string, conversationId: string, content: string) {
  return demo.app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conversationId}/messages`,
    headers: bearer(token),
    payload: { content },
  });
}
