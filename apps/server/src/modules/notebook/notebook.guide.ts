import { splitSentences } from '../../platform/text/sentences.ts';
import type { NotebookGuide } from './notebook.types.ts';

/**
 * A file's guide without a model: the sentences that best stand for the file (those whose
 * words recur most across it, favouring its opening), in document order, and three
 * questions built from the topics it returns to most — each answerable from the file.
 */

const SUMMARY_SENTENCES = 3;
const MAX_SENTENCES = 2_000;
const WORD = /\p{L}[\p{L}\p{N}'’-]*/gu;
const STOPWORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by can could ' +
    'did do does doing down during each either every few for from further had has have having he her here hers him his how i if in into ' +
    'is it its itself just may me might more most must my no nor not now of off on once only or other our ours out over own per same shall she should ' +
    'so some such than that the their theirs them then there these they this those through to too under until up upon us very was we were what ' +
    'when where which while who whom why will with within without would you your yours one two three new use used using via etc e g ie'
  ).split(' '),
);

function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).filter((word) => word.length > 2 && !STOPWORDS.has(word));
}

function isUsableSentence(sentence: string): boolean {
  const words = sentence.split(/\s+/).length;
  // Not headings, table rows or fragments; not a whole paragraph that failed to split.
  return words >= 6 && words <= 60 && /[.!?…]["')\]]?$/.test(sentence) && !sentence.includes('|');
}

/** The extractive guide of a file's passages (in order). */
export function extractiveGuide(title: string, passages: readonly string[]): NotebookGuide {
  const sentences = passages
    .flatMap((passage) => splitSentences(passage).map((sentence) => sentence.replace(/\s+/g, ' ').trim()))
    .slice(0, MAX_SENTENCES);
  const frequency = new Map<string, number>();
  for (const sentence of sentences) {
    for (const word of new Set(wordsOf(sentence))) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  }
  const scored = sentences
    .map((sentence, position) => ({ sentence, position }))
    .filter(({ sentence }) => isUsableSentence(sentence))
    .map(({ sentence, position }) => {
      const words = wordsOf(sentence);
      const weight = words.reduce((sum, word) => sum + Math.log1p(frequency.get(word) ?? 0), 0);
      // Longer sentences are not better for being long; the opening usually states the subject.
      const score = weight / Math.sqrt(Math.max(words.length, 1)) + (position < 5 ? 0.5 : 0);
      return { sentence, position, score };
    })
    .sort((left, right) => right.score - left.score || left.position - right.position);
  const chosen: typeof scored = [];
  for (const candidate of scored) {
    if (chosen.length === SUMMARY_SENTENCES) break;
    if (chosen.some((taken) => taken.sentence === candidate.sentence)) continue;
    chosen.push(candidate);
  }
  chosen.sort((left, right) => left.position - right.position);
  const summary =
    chosen.map((item) => item.sentence).join(' ') ||
    sentences.slice(0, SUMMARY_SENTENCES).join(' ').slice(0, 600) ||
    `${title} has no text to summarise.`;
  return { summary, questions: suggestQuestions(title, sentences, frequency), kind: 'extractive' };
}

/** Three questions about the topics the file returns to most (phrases of two words where it has them). */
function suggestQuestions(
  title: string,
  sentences: readonly string[],
  frequency: ReadonlyMap<string, number>,
): string[] {
  const titleWords = new Set(wordsOf(title));
  const phrases = new Map<string, number>();
  for (const sentence of sentences) {
    const words = wordsOf(sentence);
    for (let index = 0; index + 1 < words.length; index += 1) {
      const phrase = `${words[index]} ${words[index + 1]}`;
      phrases.set(phrase, (phrases.get(phrase) ?? 0) + 1);
    }
  }
  const topics: string[] = [];
  const taken = new Set<string>();
  const rankedPhrases = [...phrases]
    .filter(([, count]) => count >= 2)
    .sort((left, right) => right[1] - left[1] || left[0].localeCompare(right[0]));
  // Then single words: the most frequent, and among equals the longest (more telling).
  const rankedWords = [...frequency]
    // Likely nouns: not numbers, past forms, gerunds or adverbs.
    .filter(([word]) => word.length > 3 && !titleWords.has(word) && !/^\d|(?:ed|ing|ly)$/.test(word))
    .sort(
      (left, right) =>
        right[1] - left[1] || right[0].length - left[0].length || left[0].localeCompare(right[0]),
    );
  for (const [phrase] of rankedPhrases) {
    if (topics.length === 3) break;
    const [first, second] = phrase.split(' ') as [string, string];
    if (taken.has(first) || taken.has(second) || first === second) continue;
    topics.push(phrase);
    taken.add(first);
    taken.add(second);
  }
  for (const [word] of rankedWords) {
    if (topics.length === 3) break;
    if (taken.has(word)) continue;
    topics.push(word);
    taken.add(word);
  }
  const templates = [
    (topic: string) => `What does the file say about ${topic}?`,
    (topic: string) => `What are the key points on ${topic}?`,
    (topic: string) => `How is ${topic} described?`,
  ];
  const questions = topics.map((topic, index) => templates[index]!(topic));
  if (questions.length === 0) questions.push(`What is ${title} about?`);
  return questions;
}
