/**
 * JSON flattened to readable lines (`path.to.key: value`): one paragraph per top-level
 * key, and arrays of objects as table rows (one row per object) named by their path.
 */
import type { ParsedDocument } from '../ingestion.types.ts';
import { BlockCollector, cleanTitle, formatTableRow } from './blocks.ts';
import { MIME_TYPES } from './detect.ts';

/** Deeper structures are written as compact JSON rather than flattened further. */
const MAX_DEPTH = 32;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTable(value: Json): value is { [key: string]: Json }[] {
  return Array.isArray(value) && value.length > 0 && value.every(isPlainObject);
}

function scalarText(value: Json): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Compact JSON text that stops descending (with `…`) below `depth` levels. */
function compactJson(value: Json, depth = 16): string {
  if (Array.isArray(value)) {
    return depth <= 0 ? '[…]' : `[${value.map((item) => compactJson(item, depth - 1)).join(',')}]`;
  }
  if (isPlainObject(value)) {
    if (depth <= 0) return '{…}';
    const entries = Object.entries(value).map(
      ([key, item]) => `${JSON.stringify(key)}:${compactJson(item, depth - 1)}`,
    );
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

interface NestedTable {
  path: string;
  rows: { [key: string]: Json }[];
}

/**
 * `[path, value]` pairs for every leaf under `value`; arrays of scalars become one comma
 * list. With `tables`, arrays of objects are set aside there instead of being flattened.
 */
function flatten(
  value: Json,
  path: string,
  depth = 0,
  pairs: [string, string][] = [],
  tables?: NestedTable[],
): [string, string][] {
  if (tables !== undefined && isTable(value)) {
    tables.push({ path, rows: value });
    return pairs;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return pairs;
    if (depth >= MAX_DEPTH) {
      pairs.push([path, compactJson(value)]);
    } else if (value.every((item) => !isPlainObject(item) && !Array.isArray(item))) {
      pairs.push([path, value.map(scalarText).join(', ')]);
    } else {
      value.forEach((item, index) => {
        flatten(item, joinPath(path, index), depth + 1, pairs, tables);
      });
    }
  } else if (isPlainObject(value)) {
    if (depth >= MAX_DEPTH) {
      pairs.push([path, compactJson(value)]);
    } else {
      for (const [key, item] of Object.entries(value))
        flatten(item, joinPath(path, key), depth + 1, pairs, tables);
    }
  } else {
    pairs.push([path, scalarText(value)]);
  }
  return pairs;
}

function addTableRows(collector: BlockCollector, rows: { [key: string]: Json }[], name: string): void {
  for (const row of rows) {
    const pairs = flatten(row, '');
    collector.add(
      'table_row',
      formatTableRow(
        pairs.map(([key]) => key),
        pairs.map(([, value]) => value),
      ),
      name === '' ? {} : { table: name },
    );
  }
}

function addValue(collector: BlockCollector, value: Json, path: string): void {
  const tables: NestedTable[] = [];
  const lines = flatten(value, path, 0, [], tables).map(([key, text]) =>
    key === '' ? text : `${key}: ${text}`,
  );
  collector.add('paragraph', lines.join('\n'), { keepLines: true });
  for (const table of tables) addTableRows(collector, table.rows, table.path);
}

export function parseJson(text: string): ParsedDocument {
  const value = JSON.parse(text) as Json;
  const collector = new BlockCollector();
  let title: string | null = null;
  if (isPlainObject(value)) {
    title = cleanTitle(value.title);
    for (const [key, item] of Object.entries(value)) addValue(collector, item, key);
  } else {
    addValue(collector, value, '');
  }
  return { format: 'json', mimeType: MIME_TYPES.json, title, blocks: collector.blocks, pageCount: null };
}
