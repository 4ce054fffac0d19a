/**
 * Rule-based sentence boundaries for chunking. It errs on the side of not splitting: a missed
 * boundary only makes one chunking unit a little longer, while a wrong one cuts a sentence apart.
 *
 * A boundary is a run of `.` `!` `?` `…` (plus any closing quotes or brackets) followed by
 * whitespace and then something that is not a lowercase letter; a blank line; or a CJK full stop.
 * A single `.` does not end a sentence after a known abbreviation (Dr., e.g., vs., Fig. …), a
 * dotted abbreviation (U.S., a.m., Ph.D.), a single letter (initials: "J. R. R. Tolkien"), "No."
 * before a number, or a list number ("1." / "iv." first in its line or sentence, or after a colon).
 * Dots inside decimals, versions, URLs and e-mail addresses are not followed by whitespace, so they
 * never end a sentence.
 */

export interface SentenceSpan {
  /** Offset of the first character of the sentence. */
  start: number;
  /** Offset just past its last non-space character. */
  end: number;
}

/** Never end a sentence when one of these (lowercased, without the final dot) precedes the dot. */
const NON_FINAL_ABBREVIATIONS = new Set([
  // titles and ranks
  'mr',
  'mrs',
  'ms',
  'mx',
  'dr',
  'prof',
  'rev',
  'hon',
  'st',
  'mt',
  'gen',
  'col',
  'capt',
  'lt',
  'sgt',
  'cpl',
  'maj',
  'adm',
  'gov',
  'sen',
  'rep',
  'pres',
  'supt',
  'messrs',
  'mme',
  'mlle',
  // Latin and scholarly
  'e.g',
  'i.e',
  'cf',
  'vs',
  'viz',
  'al',
  'ca',
  'approx',
  'incl',
  'resp',
  // references that precede a number
  'fig',
  'figs',
  'eq',
  'eqs',
  'vol',
  'vols',
  'sec',
  'secs',
  'art',
  'arts',
  'ch',
  'chap',
  'para',
  'pp',
  'nos',
  'ref',
  'refs',
  'tel',
  'ext',
  'dept',
  'est',
  // months
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
]);

/** "No." ends a sentence ("The answer is no.") unless a number follows ("No. 5", "No. #5"). */
const NUMBER_PREFIX_ABBREVIATIONS = new Set(['no']);

const TERMINATORS = new Set(['.', '!', '?', '…']);
/** Full-width stops end a sentence even without a following space. */
const CJK_TERMINATORS = new Set(['。', '！', '？', '｡']);
const CLOSERS = new Set(['"', "'", '”', '’', '»', '›', ')', ']', '}']);
const OPENERS = new Set(['"', "'", '“', '‘', '«', '‹', '(', '[', '{', '¿', '¡']);

const SINGLE_LETTER = /^\p{L}$/u;
/** U.S, e.g, a.m, Ph.D — the final dot is the one being examined. */
const DOTTED_ABBREVIATION = /^(?:\p{L}{1,2}\.)+\p{L}{1,2}$/u;
const LIST_NUMBER = /^(?:\d{1,3}|[ivx]{1,5}|[IVX]{1,5})$/;
const LOWERCASE = /\p{Ll}/u;
const DIGIT = /\d/;
const WHITESPACE = /\s/;

function isWhitespace(character: string | undefined): boolean {
  if (character === undefined) return false;
  const code = character.charCodeAt(0);
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return WHITESPACE.test(character);
}

/** Characters the scan must look at: newline, . ! ? … and the full-width stops. */
function isCandidate(code: number): boolean {
  return code === 10 || code === 46 || code === 33 || code === 63 || code === 0x2026 || code >= 0x3002;
}

function skipWhitespace(text: string, from: number): number {
  let index = from;
  while (index < text.length && isWhitespace(text[index])) index += 1;
  return index;
}

/** Splits text into sentences (trimmed substrings, in order). Whitespace-only text gives []. */
export function splitSentences(text: string): string[] {
  return findSentenceSpans(text).map((span) => text.slice(span.start, span.end));
}

/** Like `splitSentences`, as offsets into `text`, so callers can keep the original separators. */
export function findSentenceSpans(text: string): SentenceSpan[] {
  const spans: SentenceSpan[] = [];
  const length = text.length;
  let sentenceStart = skipWhitespace(text, 0);

  const close = (end: number, nextStart: number) => {
    let trimmedEnd = end;
    while (trimmedEnd > sentenceStart && isWhitespace(text[trimmedEnd - 1])) trimmedEnd -= 1;
    if (trimmedEnd > sentenceStart) spans.push({ start: sentenceStart, end: trimmedEnd });
    sentenceStart = nextStart;
  };

  let index = sentenceStart;
  while (index < length) {
    if (!isCandidate(text.charCodeAt(index))) {
      index += 1;
      continue;
    }
    const character = text[index] as string;

    if (character === '\n') {
      let after = index + 1;
      while (after < length && (text[after] === ' ' || text[after] === '\t' || text[after] === '\r'))
        after += 1;
      if (text[after] === '\n') {
        const next = skipWhitespace(text, after);
        close(index, next);
        index = next;
      } else {
        index += 1;
      }
      continue;
    }

    if (CJK_TERMINATORS.has(character)) {
      let end = index + 1;
      while (end < length && (CJK_TERMINATORS.has(text[end] as string) || CLOSERS.has(text[end] as string))) {
        end += 1;
      }
      const next = skipWhitespace(text, end);
      close(end, next);
      index = next;
      continue;
    }

    if (!TERMINATORS.has(character)) {
      index += 1;
      continue;
    }

    let runEnd = index;
    while (runEnd < length && TERMINATORS.has(text[runEnd] as string)) runEnd += 1;
    let end = runEnd;
    while (end < length && CLOSERS.has(text[end] as string)) end += 1;
    // "3.5", "v1.2.3", "example.com/a.b", "a.b@c.d", "etc.,": no whitespace after the dot.
    if (end < length && !isWhitespace(text[end])) {
      index = end;
      continue;
    }
    const next = skipWhitespace(text, end);
    if (next >= length) break;
    if (isBoundary(text, sentenceStart, index, runEnd, next)) close(end, next);
    index = next;
  }
  close(length, length);
  return spans;
}

function isBoundary(
  text: string,
  sentenceStart: number,
  terminatorStart: number,
  terminatorEnd: number,
  next: number,
): boolean {
  let significant = next;
  while (significant < text.length && OPENERS.has(text[significant] as string)) significant += 1;
  const nextCharacter = text[significant] ?? '';
  if (LOWERCASE.test(nextCharacter)) return false;
  // ?, !, ellipses and mixed runs end the sentence when something capitalised follows.
  if (terminatorEnd - terminatorStart !== 1 || text[terminatorStart] !== '.') return true;

  let wordStart = terminatorStart;
  while (wordStart > sentenceStart && !isWhitespace(text[wordStart - 1])) wordStart -= 1;
  let wordOffset = wordStart;
  while (wordOffset < terminatorStart && OPENERS.has(text[wordOffset] as string)) wordOffset += 1;
  const word = text.slice(wordOffset, terminatorStart);
  if (word === '') return true;
  const lowered = word.toLowerCase();

  if (NON_FINAL_ABBREVIATIONS.has(lowered)) return false;
  if (NUMBER_PREFIX_ABBREVIATIONS.has(lowered)) return !(DIGIT.test(nextCharacter) || nextCharacter === '#');
  if (SINGLE_LETTER.test(word) || DOTTED_ABBREVIATION.test(word)) return false;
  if (LIST_NUMBER.test(word) && isListNumberPosition(text, sentenceStart, wordStart)) return false;
  return true;
}

/** A list number opens its sentence or line, or follows a colon ("Steps: 1. Open …"). */
function isListNumberPosition(text: string, sentenceStart: number, wordStart: number): boolean {
  if (wordStart <= sentenceStart) return true;
  let before = wordStart - 1;
  while (before >= sentenceStart && (text[before] === ' ' || text[before] === '\t')) before -= 1;
  if (before < sentenceStart) return true;
  const previous = text[before];
  return previous === '\n' || previous === '\r' || previous === ':';
}
