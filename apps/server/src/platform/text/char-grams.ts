/**
 * Character 4-grams, the second lexical field beside the stemmed words (see
 * migrations/0006_char_grams.sql). Every word — a run of letters and digits, lower-cased
 * — is cut into the overlapping 4-character pieces of `_word_` (`_` marks its edges), so
 * "immunity" and "immune" share `_imm`, `immu`, `mmun`, and a typo still shares most of
 * its word's pieces. Each piece is written as one parser-safe token: `b` + the first
 * three letters (`_imm`), `m` + four inner letters, `e` + the last three (`ity_`), and
 * `w` + a word of one or two letters. The migration's SQL function `nexus_char_grams`
 * writes the same tokens (it fills rows stored before the column existed).
 */

const WORD = /[\p{L}\p{N}]+/gu;

const SURROGATE = /[\uD800-\uDFFF]/;
/** Everything between words, `_` included (so the only `_` left in a joined text are edges). */
const NON_WORD = /[^\p{L}\p{N}]+/gu;
const UNDERSCORE = 0x5f;

/** Calls `visit` with each gram of the text in order, repeats included. */
function forEachGram(text: string, visit: (gram: string) => void): void {
  for (const word of text.toLowerCase().match(WORD) ?? []) {
    // Code points, not UTF-16 units, so a letter outside the BMP is never split.
    const letters: string | string[] = SURROGATE.test(word) ? [...word] : word;
    const piece = (start: number, end: number) =>
      typeof letters === 'string' ? letters.slice(start, end) : letters.slice(start, end).join('');
    const length = letters.length;
    if (length <= 2) {
      visit(`w${word}`);
      continue;
    }
    visit(`b${piece(0, 3)}`);
    for (let start = 0; start + 4 <= length; start++) visit(`m${piece(start, start + 4)}`);
    visit(`e${piece(length - 3, length)}`);
  }
}

/** The text's grams in order, repeats included. */
export function charGrams(text: string): string[] {
  const grams: string[] = [];
  forEachGram(text, (gram) => grams.push(gram));
  return grams;
}

/** Gram → how often it occurs in the text. */
export function gramCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  forEachGram(text, (gram) => counts.set(gram, (counts.get(gram) ?? 0) + 1));
  return counts;
}

/**
 * How often each of `wanted` occurs in the text, and how many grams the text has in all,
 * without listing the text's grams: the words are joined as `_word_word_`, where a
 * gram is exactly a substring — `b`+xyz is `_xyz`, `e`+xyz is `xyz_`, `w`+xy is `_xy_`
 * and `m`+wxyz is `wxyz` (four letters never span an edge) — counted, overlaps included,
 * with indexOf.
 */
export function countGrams(
  text: string,
  wanted: Iterable<string>,
): { counts: Map<string, number>; length: number } {
  const joined = `_${text.toLowerCase().replace(NON_WORD, '_')}_`;
  // Grams in all: a word of n letters has max(n − 1, 1).
  let length = 0;
  let letters = 0;
  for (let index = 1; index < joined.length; index++) {
    const code = joined.charCodeAt(index);
    if (code === UNDERSCORE) {
      if (letters > 0) length += Math.max(letters - 1, 1);
      letters = 0;
    } else if (code < 0xdc00 || code > 0xdfff) letters++; // a low surrogate ends a letter already counted
  }
  const counts = new Map<string, number>();
  for (const gram of wanted) {
    const body = gram.slice(1);
    const needle =
      gram[0] === 'b' ? `_${body}` : gram[0] === 'e' ? `${body}_` : gram[0] === 'w' ? `_${body}_` : body;
    let count = 0;
    for (let at = joined.indexOf(needle); at !== -1; at = joined.indexOf(needle, at + 1)) count++;
    if (count > 0) counts.set(gram, count);
  }
  return { counts, length };
}

/** What the index stores: each gram of the text once (document frequencies need no more). */
export function distinctGrams(text: string): string {
  return [...new Set(charGrams(text))].join(' ');
}

/** Each distinct word of the text (four letters or more) as its distinct grams. */
export function gramsPerWord(text: string): string[][] {
  const words = new Set((text.toLowerCase().match(WORD) ?? []).filter((word) => [...word].length >= 4));
  return [...words].map((word) => [...new Set(charGrams(word))]);
}

/**
 * A test of whether a text has a word like one of the query's: the two words' gram sets
 * overlap by at least `threshold` of their union (Jaccard, as pg_trgm's similarity, whose
 * default bar is also 0.3). The bar for a passage found by grams alone (no query word
 * occurs), so a misspelt word ("glycolisis" ~ "glycolysis", 0.38) finds its passage and a
 * made-up one ("frobnicate" ~ "indicated", 0.13) finds nothing. Each distinct word is
 * judged once per query, whatever the number of texts.
 */
export function wordLikeTest(query: string, threshold = 0.3): (text: string) => boolean {
  const queryWords = gramsPerWord(query).map((grams) => new Set(grams));
  const judged = new Map<string, boolean>();
  const isLike = (word: string): boolean => {
    const grams = new Set(charGrams(word));
    return queryWords.some((queryGrams) => {
      // Jaccard can reach the bar only when the smaller set is at least `threshold` of the larger.
      if (Math.min(grams.size, queryGrams.size) < threshold * Math.max(grams.size, queryGrams.size))
        return false;
      let shared = 0;
      for (const gram of grams) if (queryGrams.has(gram)) shared++;
      return shared > 0 && shared >= threshold * (grams.size + queryGrams.size - shared);
    });
  };
  return (text) => {
    if (queryWords.length === 0) return false;
    for (const word of text.toLowerCase().match(WORD) ?? []) {
      let like = judged.get(word);
      if (like === undefined) {
        like = [...word].length >= 4 && isLike(word);
        judged.set(word, like);
      }
      if (like) return true;
    }
    return false;
  };
}
