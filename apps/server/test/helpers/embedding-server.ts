import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server speaking the OpenAI embeddings wire format (POST /v1/embeddings), for
 * tests of the real AI SDK provider. Its "model" hashes words into a small vector space
 * after mapping synonyms to one word, so related words embed close together while
 * sharing no letters — letting tests tell dense retrieval from lexical retrieval.
 */
export interface EmbeddingServer {
  baseUrl: string;
  dimensions: number;
  /** Status codes to answer (in order) before answering normally, e.g. [429]. */
  failures: number[];
  readonly requests: { model: string; inputs: number }[];
  close(): Promise<void>;
}

const SYNONYMS: Record<string, string> = {
  vacation: 'holiday',
  holidays: 'holiday',
  trip: 'travel',
  journey: 'travel',
};

export function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const raw of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    const word = SYNONYMS[raw] ?? raw;
    let hash = 2166136261;
    for (const character of word) hash = Math.imul(hash ^ character.charCodeAt(0), 16777619);
    vector[Math.abs(hash) % dimensions]! += 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

export async function startEmbeddingServer(dimensions = 32): Promise<EmbeddingServer> {
  const requests: { model: string; inputs: number }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/embeddings') {
        response
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      const payload = JSON.parse(body) as { model: string; input: string | string[] };
      const inputs = Array.isArray(payload.input) ? payload.input : [payload.input];
      requests.push({ model: payload.model, inputs: inputs.length });
      const failure = embeddingServer.failures.shift();
      if (failure) {
        response
          .writeHead(failure, { 'content-type': 'application/json', 'retry-after': '0' })
          .end(JSON.stringify({ error: { message: `scripted ${failure}`, type: 'rate_limit_exceeded' } }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          object: 'list',
          model: payload.model,
          data: inputs.map((input, index) => ({
            object: 'embedding',
            index,
            embedding: embedText(input, dimensions),
          })),
          usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const embeddingServer: EmbeddingServer = {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    dimensions,
    failures: [],
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return embeddingServer;
}
