import type { ChatTurn } from '../llm/llm.types.ts';
import { stripMarkers } from './citations.ts';

/**
 * Follow-ups ("and in the US?", "how long does it last?") are rewritten into stand-alone
 * queries before retrieval: the words of the recent questions that the follow-up leaves
 * out are added to it. With a hosted model, chat asks the model instead (see chat.service)
 * and uses this as the fallback.
 */
export function rewriteFollowUp(history: readonly ChatTurn[], question: string): string {
  const previous = history
    .filter((turn) => turn.role === 'user')
    .slice(-2)
    .reverse();
  if (previous.length === 0 || !isFollowUp(question)) return question;
  const present = new Set(words(question).map((word) => word.toLowerCase()));
  const added: string[] = [];
  for (const turn of previous) {
    for (const word of words(stripMarkers(turn.content))) {
      const lower = word.toLowerCase();
      if (present.has(lower) || FUNCTION_WORDS.has(lower)) continue;
      present.add(lower);
      added.push(word);
      if (added.length >= 10) break;
    }
  }
  return added.length === 0 ? question : `${question} (${added.join(' ')})`;
}

/** A question that leans on the conversation: pronouns, "and …", "what about …", or very short. */
export function isFollowUp(question: string): boolean {
  if (FOLLOW_UP.test(question)) return true;
  return words(question).filter((word) => !FUNCTION_WORDS.has(word.toLowerCase())).length <= 2;
}

/** A short title from the first question: its first line, at most ~60 characters, cut at a word. */
export function titleFromQuestion(question: string): string {
  const line =
    question
      .split('\n')
      .find((candidate) => candidate.trim())
      ?.trim() ?? question.trim();
  const collapsed = line.replace(/\s+/g, ' ');
  if (collapsed.length <= 60) return collapsed;
  const cut = collapsed.slice(0, 60).replace(/\s+\S*$/, '');
  return `${cut || collapsed.slice(0, 60)}…`;
}

const FOLLOW_UP =
  /\b(it|its|they|them|their|theirs|this|that|these|those|he|she|him|her|there|same|above|previous|former|latter)\b|^\s*(and|or|but|also|so|what about|how about|then)\b/i;

const FUNCTION_WORDS = new Set(
  `a an and are as at be by can could did do does for from had has have how i if in is it its me my of on or
  our so that the their them then there these they this those to was we were what when where which who why
  will with would you your about also but same above previous former latter he she him her theirs tell
  please any some more much many get got`.split(/\s+/),
);

function words(text: string): string[] {
  return text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [];
}
