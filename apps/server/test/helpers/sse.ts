/**
 * A small Server-Sent Events reader for tests: parses `event:`/`data:` frames from a real
 * fetch body as they arrive, and keeps comment lines (heartbeats) so tests can see them.
 */
export interface SseFrame {
  event: string;
  data: string;
}

export async function* readSse(response: Response, comments?: string[]): AsyncGenerator<SseFrame> {
  if (!response.body) throw new Error('no response body');
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary !== -1) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      boundary = buffer.indexOf('\n\n');
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments?.push(line);
        else if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) yield { event, data: data.join('\n') };
    }
  }
}

export interface ChatStreamResult {
  tokens: string[];
  text: string;
  citations: { index: number; title: string; document_id: string }[] | null;
  done: {
    message_id: string;
    usage: { input_tokens: number; output_tokens: number; cost_usd: number };
  } | null;
  error: { code: string; message: string; message_id?: string } | null;
  order: string[];
}

/** Reads a Nexus chat stream to its end. */
export async function collectChatStream(response: Response): Promise<ChatStreamResult> {
  const result: ChatStreamResult = {
    tokens: [],
    text: '',
    citations: null,
    done: null,
    error: null,
    order: [],
  };
  for await (const frame of readSse(response)) {
    const data = JSON.parse(frame.data);
    result.order.push(frame.event);
    if (frame.event === 'token') result.tokens.push(data.text);
    else if (frame.event === 'citations') result.citations = data.citations;
    else if (frame.event === 'done') result.done = data;
    else if (frame.event === 'error') result.error = data;
  }
  result.text = result.tokens.join('');
  return result;
}
