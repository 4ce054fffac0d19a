/**
 * Server-sent events over fetch (EventSource cannot POST, send headers or be aborted
 * cleanly). Follows the WHATWG parsing rules: lines end in CR, LF or CRLF (also split
 * across chunks), `:` starts a comment (heartbeats), `data` lines join with "\n", a blank
 * line dispatches, a missing event name means "message", an event without data is dropped.
 */

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventName = '';
  private lastEventId: string | undefined;
  private isFirstChunk = true;
  /** A CR ended the previous chunk: a LF starting the next one belongs to it. */
  private hasPendingCarriageReturn = false;

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  push(chunk: string): void {
    let text = chunk;
    if (this.isFirstChunk && text.length > 0) {
      this.isFirstChunk = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.hasPendingCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.hasPendingCarriageReturn = false;
    this.buffer += text;

    let start = 0;
    for (let index = 0; index < this.buffer.length; index++) {
      const character = this.buffer[index];
      if (character !== '\n' && character !== '\r') continue;
      this.processLine(this.buffer.slice(start, index));
      if (character === '\r') {
        if (index + 1 === this.buffer.length) this.hasPendingCarriageReturn = true;
        else if (this.buffer[index + 1] === '\n') index++;
      }
      start = index + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The stream ended: an unterminated final event is discarded, as the spec says. */
  end(): void {
    this.buffer = '';
    this.data = [];
    this.eventName = '';
  }

  private processLine(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventName = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      default:
        break; // `retry` and unknown fields do not matter to a fetch-based reader
    }
  }

  private dispatch(): void {
    const hasData = this.data.length > 0;
    const event: SseEvent = {
      event: this.eventName || 'message',
      data: this.data.join('\n'),
      ...(this.lastEventId === undefined ? {} : { id: this.lastEventId }),
    };
    this.data = [];
    this.eventName = '';
    if (hasData) this.onEvent(event);
  }
}

/** Reads a fetch body as server-sent events, yielding each as it completes. */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const pending: SseEvent[] = [];
  const parser = new SseParser((event) => pending.push(event));
  let isFinished = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) {
        isFinished = true;
        parser.push(decoder.decode());
        parser.end();
        yield* pending.splice(0);
        return;
      }
      parser.push(decoder.decode(value, { stream: true }));
      yield* pending.splice(0);
    }
  } finally {
    // The reader stopped early (an error, or the caller broke out): release the connection.
    if (!isFinished) await reader.cancel().catch(() => undefined);
  }
}
