/**
 * Removes NUL and the other C0 control characters (and DEL) from text — Postgres text
 * cannot hold NUL at all, and the rest is noise in titles, names and passages. Tab, line
 * feed and carriage return stay unless `keepLineBreaks` is false.
 */
export function stripControlCharacters(text: string, options: { keepLineBreaks?: boolean } = {}): string {
  const keepLineBreaks = options.keepLineBreaks ?? true;
  let result = '';
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const isControl = code < 0x20 || code === 0x7f;
    const isKept = keepLineBreaks && (code === 0x09 || code === 0x0a || code === 0x0d);
    if (isControl && !isKept) {
      result += text.slice(start, index);
      start = index + 1;
    }
  }
  return start === 0 ? text : result + text.slice(start);
}

/** Whether text holds a NUL character, which no stored text may. */
export function hasNul(text: string): boolean {
  return text.includes('\u0000');
}
