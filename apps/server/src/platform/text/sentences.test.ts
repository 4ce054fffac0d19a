import { describe, expect, it } from 'vitest';
import { findSentenceSpans, splitSentences } from './sentences.ts';

describe('splitSentences', () => {
  it.each([
    [
      'abbreviations',
      'Dr. Smith met Mr. Jones and Mrs. Lee. They agreed.',
      ['Dr. Smith met Mr. Jones and Mrs. Lee.', 'They agreed.'],
    ],
    [
      'e.g. and i.e.',
      'Bring documents, e.g. Passports, i.e. Valid ones. Then wait.',
      ['Bring documents, e.g. Passports, i.e. Valid ones.', 'Then wait.'],
    ],
    [
      'etc. mid-sentence',
      'Pack pens, paper, etc. for the trip. Leave early.',
      ['Pack pens, paper, etc. for the trip.', 'Leave early.'],
    ],
    [
      'etc. at the end',
      'We sell apples, pears, etc. The shop opens at nine.',
      ['We sell apples, pears, etc.', 'The shop opens at nine.'],
    ],
    [
      'U.S. and vs.',
      'The U.S. Office compared Q1 vs. Q2. Sales rose.',
      ['The U.S. Office compared Q1 vs. Q2.', 'Sales rose.'],
    ],
    [
      'No. before a number',
      'See form No. 7 for claims. The answer is no. Ask HR.',
      ['See form No. 7 for claims.', 'The answer is no.', 'Ask HR.'],
    ],
    [
      'decimals',
      'The rate is 3.5 percent. It was 2.75 before.',
      ['The rate is 3.5 percent.', 'It was 2.75 before.'],
    ],
    [
      'a decimal ending a sentence',
      'The rate is 3.5. Next year it is 4.',
      ['The rate is 3.5.', 'Next year it is 4.'],
    ],
    [
      'version numbers',
      'Upgrade to v2.4.1 today. Version 10.0.3 is next.',
      ['Upgrade to v2.4.1 today.', 'Version 10.0.3 is next.'],
    ],
    [
      'initials',
      'J. R. R. Tolkien wrote it. George W. Bush read it.',
      ['J. R. R. Tolkien wrote it.', 'George W. Bush read it.'],
    ],
    [
      'URLs and e-mail addresses',
      'Read https://intranet.example.com/hr/policy.v2.html first. Mail j.doe@corp.example.com. Done.',
      ['Read https://intranet.example.com/hr/policy.v2.html first.', 'Mail j.doe@corp.example.com.', 'Done.'],
    ],
    [
      'list numbering',
      'Steps: 1. Open the app. 2. Click save. 3. Close it.',
      ['Steps: 1. Open the app.', '2. Click save.', '3. Close it.'],
    ],
    [
      'list numbering on lines',
      '1. First item\n2. Second item\niv. Fourth item',
      ['1. First item\n2. Second item\niv. Fourth item'],
    ],
    [
      'a number ending a sentence',
      'We counted to 10. Then we stopped.',
      ['We counted to 10.', 'Then we stopped.'],
    ],
    ['? and !', 'Is it done?! Yes! Really? Yes.', ['Is it done?!', 'Yes!', 'Really?', 'Yes.']],
    ['?/! before lowercase', 'Yahoo! is a brand. Why? because.', ['Yahoo! is a brand.', 'Why? because.']],
    [
      'ellipses',
      'Wait... What happened? I thought… maybe not. Then… Silence.',
      ['Wait...', 'What happened?', 'I thought… maybe not.', 'Then…', 'Silence.'],
    ],
    [
      'closing quotes',
      'He said "Stop." Then he left. \u201cGo!\u201d she said.',
      ['He said "Stop."', 'Then he left.', '\u201cGo!\u201d she said.'],
    ],
    [
      'closing brackets',
      'It is approved (see Fig. 3.) The form (Annex B) follows.',
      ['It is approved (see Fig. 3.)', 'The form (Annex B) follows.'],
    ],
    ['an opening quote after the stop', 'It ended. "Next," he said.', ['It ended.', '"Next," he said.']],
    ['blank lines', 'A title without a stop\n\nThe body text.', ['A title without a stop', 'The body text.']],
    [
      'single newlines (wrapped lines)',
      'A sentence wrapped\nover two lines. Next.',
      ['A sentence wrapped\nover two lines.', 'Next.'],
    ],
    ['full-width stops', '这是第一句。这是第二句！对吗？', ['这是第一句。', '这是第二句！', '对吗？']],
    ['empty text', ' \n\t ', []],
  ])('%s', (_name, text, expected) => {
    expect(splitSentences(text)).toEqual(expected);
  });

  it('returns offsets of trimmed sentences that cover the text in order', () => {
    const text = '  First one.   Second one!\n\nThird one?  ';
    const spans = findSentenceSpans(text);
    expect(spans.map((span) => text.slice(span.start, span.end))).toEqual([
      'First one.',
      'Second one!',
      'Third one?',
    ]);
    for (const [index, span] of spans.entries()) {
      const previousEnd = spans[index - 1]?.end ?? 0;
      expect(text.slice(previousEnd, span.start).trim()).toBe('');
    }
    expect(text.slice(spans.at(-1)?.end).trim()).toBe('');
  });
});
