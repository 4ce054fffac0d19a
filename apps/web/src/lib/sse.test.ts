import { describe, expect, it } from 'vitest';
import { readServerSentEvents, type SseEvent, SseParser } from './sse.ts';

function parseAll(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
}

const STREAM = [
  ': ping',
  '',
  'event: token',
  'data: {"text":"Full-time UK employees"}',
  '',
  'event: token',
  'data: {"text":" get 25 days [1]."}',
  '',
  ': ping',
  '',
  'event: citations',
  'data: {"citations":[]}',
  '',
  'event: done',
  'data: {"message_id":"m1"}',
  '',
  '',
].join('\n');

const EXPECTED: SseEvent[] = [
  { event: 'token', data: '{"text":"Full-time UK employees"}' },
  { event: 'token', data: '{"text":" get 25 days [1]."}' },
  { event: 'citations', data: '{"citations":[]}' },
  { event: 'done', data: '{"message_id":"m1"}' },
];

describe('SseParser', () => {
  it('parses events, skipping comment heartbeats', () => {
    expect(parseAll([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events however the stream is split into chunks', () => {
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let offset = 0; offset < STREAM.length; offset += size)
        chunks.push(STREAM.slice(offset, offset + size));
      expect(parseAll(chunks), `chunks of ${size}`).toEqual(EXPECTED);
    }
  });

  it('accepts CRLF and lone CR line endings, also when CR and LF arrive in different chunks', () => {
    const crlf = STREAM.replaceAll('\n', '\r\n');
    expect(parseAll([crlf])).toEqual(EXPECTED);
    expect(parseAll(crlf.split(/(?<=\r)/))).toEqual(EXPECTED); // every chunk ends right after a CR
    expect(parseAll([STREAM.replaceAll('\n', '\r')])).toEqual(EXPECTED);
  });

  it('joins multi-line data, strips one leading space, defaults the event name and keeps ids', () => {
    const events = parseAll(['data:first\ndata:  second\nid: 7\n\nevent\ndata\n\n']);
    expect(events).toEqual([
      { event: 'message', data: 'first\n second', id: '7' },
      { event: 'message', data: '', id: '7' },
    ]);
  });

  it('drops events without data, a leading BOM and an unterminated last event', () => {
    expect(
      parseAll([
        '\uFEFFevent: token\n\nevent: token\ndata: {"text":"a"}\n\nevent: token\ndata: {"text":"cut',
      ]),
    ).toEqual([{ event: 'token', data: '{"text":"a"}' }]);
  });
});

describe('readServerSentEvents', () => {
  it('reads a byte stream, decoding UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('event: token\ndata: {"text":"Zürich – 25 días"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < bytes.length; index += 3)
          controller.enqueue(bytes.slice(index, index + 3));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const event of readServerSentEvents(body)) events.push(event);
    expect(events).toEqual([{ event: 'token', data: '{"text":"Zürich – 25 días"}' }]);
  });
});
