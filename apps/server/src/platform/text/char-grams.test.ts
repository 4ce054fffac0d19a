import { describe, expect, it } from 'vitest';
import {
  charGrams,
  countGrams,
  distinctGrams,
  gramCounts,
  gramsPerWord,
  wordLikeTest,
} from './char-grams.ts';

describe('character 4-grams', () => {
  it('cuts each lower-cased word of `_word_` into overlapping pieces, one parser-safe token each', () => {
    expect(charGrams('Immunity of IL-6!')).toEqual([
      'bimm',
      'mimmu',
      'mmmun',
      'mmuni',
      'munit',
      'mnity',
      'eity', // _imm immu mmun muni unit nity ity_
      'wof',
      'wil',
      'w6',
    ]);
    expect(charGrams('abc')).toEqual(['babc', 'eabc']);
    expect(charGrams('  ,.;  ')).toEqual([]);
  });

  it('keeps letters outside the basic plane whole and treats accents as letters', () => {
    expect(charGrams('𝒜𝒷𝒸𝒹')).toEqual(['b𝒜𝒷𝒸', 'm𝒜𝒷𝒸𝒹', 'e𝒷𝒸𝒹']);
    expect(charGrams('Café')).toEqual(['bcaf', 'mcafé', 'eafé']);
  });

  it('lets an inflection or a typo share most pieces with its word', () => {
    const share = (left: string, right: string) => {
      const other = new Set(charGrams(right));
      const grams = charGrams(left);
      return grams.filter((gram) => other.has(gram)).length / grams.length;
    };
    expect(share('microenviroment', 'microenvironment')).toBeGreaterThan(0.6);
    expect(share('immunity', 'immune')).toBeGreaterThan(0.3);
    expect(share('immunity', 'holiday')).toBe(0);
  });

  it('counts the wanted grams of a text exactly as listing them would', () => {
    const texts = [
      'Aspirin inhibits the production of PGE2; aspirin-treated macrophages (n = 12) produced less PGE2.',
      'aaaaaa aaaa a b ab abc x 12 2015 — Straße, ĲSSEL, 日本語テキスト, 𝒜𝒷𝒸𝒹𝒺 __under_scored__',
      '',
    ];
    const wanted = new Set([...gramCounts(texts.join(' ')).keys(), 'mzzzz', 'wq']);
    for (const text of texts) {
      const listed = gramCounts(text);
      const { counts, length } = countGrams(text, wanted);
      expect(length).toBe(charGrams(text).length);
      for (const gram of wanted) expect(counts.get(gram) ?? 0).toBe(listed.get(gram) ?? 0);
    }
  });

  it('stores each gram once', () => {
    expect(distinctGrams('leave leave Leave')).toBe('blea mleav meave eave');
  });

  it('tells a misspelt word from a made-up one by its likeness to a word of the text', () => {
    const text = 'Aerobic glycolysis was indicated from proBNP in clinical cells.';
    expect(gramsPerWord('Glycolisis of it')).toEqual([[...new Set(charGrams('glycolisis'))]]);
    expect(wordLikeTest('glycolisis')(text)).toBe(true);
    const mitochondria = wordLikeTest('mitocondria');
    expect(mitochondria(text)).toBe(false);
    expect(mitochondria('Mitochondria divide.')).toBe(true);
    // The text holds most of these grams, but spread over "from", "proBNP", "clinical", "indicated".
    expect(wordLikeTest('frobnicate')(text)).toBe(false);
    // One word like a query word is enough; no query word of four letters, no likeness.
    expect(wordLikeTest('frobnicate glycolisis')(text)).toBe(true);
    expect(wordLikeTest('of it')(text)).toBe(false);
  });
});
