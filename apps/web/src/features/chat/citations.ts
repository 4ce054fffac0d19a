/**
 * A rehype plugin that turns `[n]` markers in answer text into `citation-ref` elements,
 * for the citations that exist. It runs after rehype-sanitize: the model's output is
 * sanitised first, then only this trusted step adds elements. Markers inside code and
 * links are left alone.
 */

interface HastText {
  type: 'text';
  value: string;
}
interface HastElement {
  type: 'element';
  tagName: string;
  properties: Record<string, unknown>;
  children: HastNode[];
}
type HastNode = HastText | HastElement | { type: string; children?: HastNode[] };

export const CITATION_TAG = 'citation-ref';
const MARKER = /\[(\d{1,3})\]/g;
const SKIPPED = new Set(['code', 'pre', 'a', CITATION_TAG]);

/** Splits text into plain pieces and citation indexes. */
export function splitCitationMarkers(text: string, known: ReadonlySet<number>): (string | number)[] {
  const parts: (string | number)[] = [];
  let last = 0;
  for (const match of text.matchAll(MARKER)) {
    const index = Number(match[1]);
    if (!known.has(index)) continue;
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(index);
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

function transform(node: HastNode, known: ReadonlySet<number>): void {
  if (!('children' in node) || !node.children) return;
  const children: HastNode[] = [];
  for (const child of node.children) {
    if (child.type === 'text') {
      for (const part of splitCitationMarkers((child as HastText).value, known)) {
        children.push(
          typeof part === 'string'
            ? { type: 'text', value: part }
            : {
                type: 'element',
                tagName: CITATION_TAG,
                properties: { dataIndex: String(part) },
                children: [{ type: 'text', value: String(part) }],
              },
        );
      }
      continue;
    }
    if (!(child.type === 'element' && SKIPPED.has((child as HastElement).tagName))) transform(child, known);
    children.push(child);
  }
  node.children = children;
}

export function rehypeCitationMarkers(options: { indexes: readonly number[] }) {
  const known = new Set(options.indexes);
  return (tree: HastNode) => {
    if (known.size > 0) transform(tree, known);
  };
}
