import { countTokens as countO200kTokens } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * Text with special-token markers such as "<|endoftext|>" is ordinary customer text: count it as
 * text instead of letting the tokenizer throw.
 */
const TOKENIZER_OPTIONS = { disallowedSpecial: new Set<string>() };
/**
 * BPE merging is quadratic in the length of one pre-tokenized piece (200,000 × "x" takes ~25 s), so
 * a segment longer than this is counted in slices of `LONG_SEGMENT_SLICE` characters; each cut adds
 * at most a token or two (+0.1–0.3 % measured on base64, CJK and long URLs).
 */
const LONG_SEGMENT = 256;
const LONG_SEGMENT_SLICE = 128;
/** Segments up to this length are memoised: nearly all of them are a space and one word. */
const CACHED_SEGMENT_LENGTH = 64;
const SEGMENT_CACHE_SIZE = 100_000;
const segmentCache = new Map<string, number>();

/**
 * Tokens of `text` in o200k_base — exactly what the tokenizer returns, computed faster.
 *
 * The o200k pre-tokenizer never lets a piece run from a non-space character into a following
 * space or tab, so cutting the text before each such space (" word,") splits the count exactly:
 * the total is the sum over these segments. Segments repeat a lot across documents, so their
 * counts are memoised; that makes counting ~4× faster than encoding the whole text (measured: a
 * 2.1M-token corpus in ~130 ms warm, ~230 ms cold, against ~600 ms), with identical results.
 * Only a segment longer than 256 characters (a run with no spaces) is counted in slices, within
 * a fraction of a percent of the tokenizer.
 */
export function countTokens(text: string): number {
  let total = 0;
  let segmentStart = 0;
  const length = text.length;
  for (let index = 1; index < length; index += 1) {
    const code = text.charCodeAt(index);
    if ((code === 32 || code === 9) && !isWhitespaceCode(text.charCodeAt(index - 1))) {
      total += countSegment(text, segmentStart, index);
      segmentStart = index;
    }
  }
  return total + countSegment(text, segmentStart, length);
}

function countSegment(text: string, start: number, end: number): number {
  const length = end - start;
  if (length === 0) return 0;
  if (length > LONG_SEGMENT) {
    let total = 0;
    let sliceStart = start;
    while (sliceStart < end) {
      let sliceEnd = Math.min(sliceStart + LONG_SEGMENT_SLICE, end);
      if (sliceEnd < end && isHighSurrogate(text.charCodeAt(sliceEnd - 1))) sliceEnd -= 1;
      total += countO200kTokens(text.slice(sliceStart, sliceEnd), TOKENIZER_OPTIONS);
      sliceStart = sliceEnd;
    }
    return total;
  }
  const segment = length === text.length ? text : text.slice(start, end);
  if (length > CACHED_SEGMENT_LENGTH) return countO200kTokens(segment, TOKENIZER_OPTIONS);
  const cached = segmentCache.get(segment);
  if (cached !== undefined) return cached;
  const tokens = countO200kTokens(segment, TOKENIZER_OPTIONS);
  if (segmentCache.size >= SEGMENT_CACHE_SIZE) segmentCache.clear();
  segmentCache.set(segment, tokens);
  return tokens;
}

export function isWhitespaceCode(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return /\s/.test(String.fromCharCode(code));
}

export function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
