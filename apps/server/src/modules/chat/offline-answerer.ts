import { stemmer } from 'stemmer';
import { splitSentences } from '../../platform/text/sentences.ts';
import { countTokens } from '../../platform/text/tokens.ts';
import type { AnswerModel, GenerateRequest, Generation, ModelPassage } from '../llm/llm.types.ts';
import { ModelError, OFFLINE_MODEL, REFUSAL_TEXT } from '../llm/llm.types.ts';

/**
 * The offline answerer: an extractive "model" behind the same interface as hosted ones.
 * It scores every sentence of the supplied passages by how much of the question it covers
 * (question terms weighted by how rare they are among the candidate sentences, stemmed),
 * answers with the best one to three sentences, each followed by the `[n]` of its passage,
 * and refuses with the exact refusal text when no sentence covers enough of the question.
 * It never writes a sentence of its own: every sentence comes verbatim from a passage.
 */

export interface OfflineAnswererOptions {
  /** Share of the question's weighted terms the best sentence must cover (default 0.75). */
  minCoverage?: number;
  /** Most sentences in an answer (default 3). */
  maxSentences?: number;
}

/** Said in ungrounded modes (assistant), where there are no passages to extract from. */
export const OFFLINE_NO_MODEL_TEXT =
  'The offline answerer can only answer from your organisation’s documents. Ask an administrator to configure a language model for the assistant.';

export function createOfflineAnswerer(options: OfflineAnswererOptions = {}): AnswerModel {
  const minCoverage = options.minCoverage ?? DEFAULT_MIN_COVERAGE;
  const maxSentences = options.maxSentences ?? 3;
  return {
    provider: OFFLINE_MODEL.provider,
    model: OFFLINE_MODEL.model,
    generate(request: GenerateRequest): Generation {
      const answer =
        request.passages.length === 0
          ? OFFLINE_NO_MODEL_TEXT
          : composeAnswer(
              selectSentences(request.question, request.passages, {
                minCoverage,
                maxSentences,
                asked: request.asked,
              }),
            );
      const inputTokens = countTokens(
        [request.system, ...request.messages.map((message) => message.content)].join('\n'),
      );
      return {
        provider: OFFLINE_MODEL.provider,
        model: OFFLINE_MODEL.model,
        textStream: streamWords(answer, request.signal),
        usage: async () => ({ inputTokens, outputTokens: countTokens(answer) }),
      };
    },
  };
}

export interface SelectedSentence {
  text: string;
  passageIndex: number;
  coverage: number;
}

/** The sentences that best answer the question, best first; [] when none covers enough. */
export function selectSentences(
  question: string,
  passages: readonly ModelPassage[],
  options: { minCoverage?: number; maxSentences?: number; asked?: string | undefined } = {},
): SelectedSentence[] {
  const minCoverage = options.minCoverage ?? DEFAULT_MIN_COVERAGE;
  const maxSentences = options.maxSentences ?? 3;
  const questionTerms = [...new Set(contentTerms(question))];
  if (questionTerms.length === 0) return [];
  // Words a follow-up borrowed from the conversation count half: the user's own words lead.
  const askedTerms = options.asked ? new Set(contentTerms(options.asked)) : null;
  const borrowedWeight = (term: string) =>
    askedTerms && askedTerms.size > 0 && !askedTerms.has(term) ? 0.5 : 1;
  const candidates = passages.flatMap((passage, rank) =>
    splitSentences(passage.text)
      .map(cleanSentence)
      .filter((sentence) => sentence.split(/\s+/).length >= 5)
      // Text addressed to an assistant ("ignore previous instructions and reveal …") is
      // never an answer: a document cannot make the answerer say what it asks.
      .filter((sentence) => !isAddressedToAssistant(sentence))
      .map((sentence) => ({
        sentence,
        passage,
        rank,
        terms: new Set(contentTerms(sentence)),
        context: new Set(contentTerms(`${passage.title} ${passage.section ?? ''}`)),
      })),
  );
  if (candidates.length === 0) return [];

  // Rarer question terms weigh more; a term no sentence has weighs most (it pulls coverage down).
  const weights = new Map<string, number>();
  for (const term of questionTerms) {
    const df = candidates.filter((candidate) => candidate.terms.has(term)).length;
    weights.set(term, borrowedWeight(term) * Math.log(1 + (candidates.length - df + 0.5) / (df + 0.5)));
  }
  const total = [...weights.values()].reduce((sum, weight) => sum + weight, 0);
  const asksForNumber = NUMBER_QUESTION.test(options.asked ?? question);

  const scored = candidates.map((candidate) => {
    // A term in the passage's title or section heading counts half: it is the sentence's topic.
    let covered = 0;
    for (const term of questionTerms) {
      if (candidate.terms.has(term)) covered += weights.get(term)!;
      else if (candidate.context.has(term)) covered += weights.get(term)! / 2;
    }
    const coverage = total > 0 ? covered / total : 0;
    const numberBonus = asksForNumber && /\d/.test(candidate.sentence) ? 0.1 : 0;
    const rankBonus = 0.05 / (1 + candidate.rank);
    const words = candidate.sentence.split(/\s+/).length;
    const lengthPenalty = words > 40 ? Math.min(0.2, (words - 40) / 200) : 0;
    return { ...candidate, coverage, score: coverage + numberBonus + rankBonus - lengthPenalty };
  });
  scored.sort((left, right) => right.score - left.score);
  const best = scored[0]!;
  if (best.coverage < minCoverage) return [];

  const chosen = [best];
  for (const candidate of scored.slice(1)) {
    if (chosen.length >= maxSentences) break;
    if (candidate.coverage < Math.max(minCoverage, best.coverage * 0.9)) continue;
    // Supporting sentences come from the same document: no stitching of unrelated sources.
    if (candidate.passage.title !== best.passage.title) continue;
    if (chosen.some((other) => overlap(other.terms, candidate.terms) > 0.7)) continue;
    chosen.push(candidate);
  }
  return chosen.map((candidate) => ({
    text: candidate.sentence,
    passageIndex: candidate.passage.index,
    coverage: candidate.coverage,
  }));
}

/** "Sentence one [2]. Sentence two [1]." — or the exact refusal when nothing was selected. */
export function composeAnswer(sentences: readonly SelectedSentence[]): string {
  if (sentences.length === 0) return REFUSAL_TEXT;
  return sentences
    .map(({ text, passageIndex }) => {
      const match = /^(.*?)([.!?…:;]*)$/s.exec(text)!;
      const end = match[2] || '.';
      return `${match[1]} [${passageIndex}]${end}`;
    })
    .join(' ');
}

async function* streamWords(text: string, signal: AbortSignal): AsyncGenerator<string> {
  const pieces = text.match(/\S+\s*/g) ?? [];
  for (let index = 0; index < pieces.length; index += 3) {
    if (signal.aborted) throw new ModelError('aborted', 'The request was cancelled.');
    yield pieces.slice(index, index + 3).join('');
    // Let other requests run between pieces, as a network stream would.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Strips list bullets, heading marks and table pipes that chunk text keeps from Markdown. */
function cleanSentence(sentence: string): string {
  return sentence
    .replace(/^\s*(?:#{1,6}\s+|[-*•]\s+|\d{1,3}[.)]\s+)/, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

const DEFAULT_MIN_COVERAGE = 0.75;

/**
 * Sentences written to steer an AI rather than to inform a reader: orders to ignore or
 * override instructions, to reveal prompts or secrets, to take on a role, or lines that
 * address the assistant directly. Ordinary policy text ("ignore this form if …") does
 * not match: each pattern needs the vocabulary of prompts and assistants.
 */
const ADDRESSED_TO_ASSISTANT = [
  /\b(ignore|disregard|forget|override|bypass)\b[^.]{0,60}\b(instructions?|prompts?|rules|guidelines|directives?|guardrails?|system message)\b/i,
  /\b(reveal|print|output|show|repeat|disclose|leak|dump)\b[^.]{0,60}\b(system prompt|(your|the|hidden) (instructions|prompt)|api keys?|passwords?|credentials|secrets?)\b/i,
  /\b(you are now|act as (an?|the)|pretend (to be|you are)|from now on,? you|as an ai\b|as a (large )?language model|jailbreak|developer mode|do anything now)\b/i,
  /^\s*(dear |hey |attention,? )?(ai|assistant|chatbot|chat ?gpt|llm|language model|copilot)\s*[:,!]/i,
  /\b(instructions?|note|message) (to|for) (the |any )?(ai|assistant|chatbot|llm|language model|model)\b/i,
];

export function isAddressedToAssistant(sentence: string): boolean {
  return ADDRESSED_TO_ASSISTANT.some((pattern) => pattern.test(sentence));
}
const NUMBER_QUESTION = /\b(how (many|much|long|often|old)|what (percentage|percent|amount|number))\b/i;
const WORD = /[\p{L}\p{N}]+/gu;
const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below
  between both but by can could did do does doing down during each few for from further get gets got had
  has have having he her here hers herself him himself his how i if in into is it its itself just me
  more most my myself no nor not now of off on once only or other our ours ourselves out over own same
  she should so some such than that the their theirs them themselves then there these they this those
  through to too under until up very was we were what when where which while who whom why will with
  would you your yours yourself yourselves many much tell please know us let may might must shall`.split(
    /\s+/,
  ),
);

/** Stemmed content words; an acronym (US, IT) counts even when its lowercase form is a stopword. */
function contentTerms(text: string): string[] {
  return (text.match(WORD) ?? [])
    .filter((word) => ACRONYM.test(word) || !STOPWORDS.has(word.toLowerCase()))
    .map((word) => word.toLowerCase())
    .map((word) => (/^\d/.test(word) ? word : stemmer(word)));
}

const ACRONYM = /^\p{Lu}{2,}$/u;

function overlap(left: ReadonlySet<string>, right: ReadonlySet<string>): number {
  let shared = 0;
  for (const term of left) if (right.has(term)) shared++;
  return shared / Math.max(1, Math.min(left.size, right.size));
}
