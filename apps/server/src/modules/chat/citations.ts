/**
 * Checks the `[n]` markers of a streamed answer against the passages supplied, as the text
 * streams: a valid marker passes through, an invalid one is removed (with the space before
 * it) and never shown. `[1, 3]` becomes `[1][3]`. Text that might be the start of a marker
 * (`…holidays [`) is held back until the next delta decides it.
 */
export class CitationFilter {
  readonly #valid: ReadonlySet<number>;
  readonly #cited: number[] = [];
  #pending = '';

  constructor(validIndexes: Iterable<number>) {
    this.#valid = new Set(validIndexes);
  }

  /** Passage numbers cited so far, in order of first appearance. */
  get cited(): readonly number[] {
    return this.#cited;
  }

  /** Takes a delta from the model; returns the text that may be shown now. */
  push(delta: string): string {
    const text = this.#pending + delta;
    const held = POSSIBLE_MARKER_TAIL.exec(text);
    const cut = held && text.length - held.index <= MAX_MARKER_LENGTH ? held.index : text.length;
    // Trailing whitespace waits for the next delta: if a marker follows and is removed,
    // its space goes with it.
    let start = cut;
    while (start > 0 && /\s/.test(text[start - 1]!)) start -= 1;
    this.#pending = text.slice(start);
    return this.#rewrite(text.slice(0, start));
  }

  /** Flushes what is held back at the end of the stream. */
  end(): string {
    const rest = this.#rewrite(this.#pending);
    this.#pending = '';
    return rest;
  }

  #rewrite(text: string): string {
    return text.replace(MARKER, (_match, space: string, list: string) => {
      const indexes = list
        .split(',')
        .map((part) => Number(part.trim()))
        .filter((index) => this.#valid.has(index));
      if (indexes.length === 0) return '';
      for (const index of indexes) if (!this.#cited.includes(index)) this.#cited.push(index);
      return `${space}${indexes.map((index) => `[${index}]`).join('')}`;
    });
  }
}

const MARKER = /(\s*)\[(\s*\d{1,3}(?:\s*,\s*\d{1,3})*\s*)\]/g;
/** An unfinished `[`, `[1`, `[1,` … at the very end of the text. */
const POSSIBLE_MARKER_TAIL = /\[[\d,\s]*$/;
const MAX_MARKER_LENGTH = 24;

/** Removes every marker (for titles, previews, query rewriting). */
export function stripMarkers(text: string): string {
  return text.replace(MARKER, '');
}
