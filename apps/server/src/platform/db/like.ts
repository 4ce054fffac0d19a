/** An ILIKE pattern matching values that contain `text` literally (`%`, `_`, `\` escaped). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (match) => `\\${match}`)}%`;
}
