/**
 * Small helpers for reading Office Open XML parts: an order-preserving XML tree
 * (fast-xml-parser), relationship files and the core-properties title.
 */
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { ParseError } from '../ingestion.types.ts';
import { cleanTitle } from './blocks.ts';
import type { GuardedZip } from './zip-guard.ts';

/** A node of fast-xml-parser's `preserveOrder` output: `{ tag: children, ':@': attributes }`. */
export type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: false,
});

/** Parses an XML part. Office parts never declare a DOCTYPE, so one is refused (entity expansion). */
export function parseXml(xml: string, label: string): XmlNode[] {
  if (/<!DOCTYPE/i.test(xml)) {
    throw new ParseError('corrupt', `This ${label} contains unexpected XML and cannot be read.`);
  }
  try {
    return parser.parse(xml) as XmlNode[];
  } catch (error) {
    throw Object.assign(new ParseError('corrupt', `This ${label} is damaged and cannot be read.`), {
      cause: error,
    });
  }
}

/** The tag of a node without its namespace prefix (`p:sp` → `sp`); `#text` for text. */
export function localName(node: XmlNode): string {
  const key = Object.keys(node).find((name) => name !== ':@') ?? '';
  const colon = key.indexOf(':');
  return colon >= 0 ? key.slice(colon + 1) : key;
}

export function childNodes(node: XmlNode): XmlNode[] {
  const key = Object.keys(node).find((name) => name !== ':@');
  const value = key === undefined ? undefined : node[key];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

/**
 * An attribute by name. `r:id` matches that exact name first, then any prefixed `…:id`;
 * an unprefixed name matches only unprefixed attributes.
 */
export function attribute(node: XmlNode, name: string): string | undefined {
  const attributes = node[':@'];
  if (typeof attributes !== 'object' || attributes === null) return undefined;
  const entries = Object.entries(attributes as Record<string, unknown>);
  const exact = entries.find(([key]) => key === name)?.[1];
  if (typeof exact === 'string') return exact;
  const colon = name.indexOf(':');
  if (colon < 0) return undefined;
  const local = name.slice(colon + 1);
  const prefixed = entries.find(
    ([key]) => key.includes(':') && key.slice(key.indexOf(':') + 1) === local,
  )?.[1];
  return typeof prefixed === 'string' ? prefixed : undefined;
}

export function child(node: XmlNode, name: string): XmlNode | undefined {
  return childNodes(node).find((candidate) => localName(candidate) === name);
}

/** The first node named `name`, depth first. */
export function findFirst(nodes: readonly XmlNode[], name: string): XmlNode | undefined {
  for (const node of nodes) {
    if (localName(node) === name) return node;
    const found = findFirst(childNodes(node), name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Every node named `name`, in document order, without descending into matches. */
export function findAll(nodes: readonly XmlNode[], name: string, found: XmlNode[] = []): XmlNode[] {
  for (const node of nodes) {
    if (localName(node) === name) found.push(node);
    else findAll(childNodes(node), name, found);
  }
  return found;
}

export function textContent(node: XmlNode): string {
  if (localName(node) === '#text') {
    const value = node['#text'];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  }
  return childNodes(node).map(textContent).join('');
}

/** `dc:title` from docProps/core.xml, or null. */
export function readCoreTitle(zip: GuardedZip): string | null {
  const xml = zip.readText('docProps/core.xml');
  if (xml === null) return null;
  const title = findFirst(parseXml(xml, 'document'), 'title');
  return title === undefined ? null : cleanTitle(textContent(title));
}

export interface Relationship {
  type: string;
  /** The target as a part name inside the package, e.g. `ppt/slides/slide1.xml`. */
  target: string;
}

/** The relationships of `partName` (from its `_rels/*.rels` part), by id. */
export function readRelationships(
  zip: GuardedZip,
  partName: string,
  label: string,
): Map<string, Relationship> {
  const directory = path.posix.dirname(partName);
  const relsName = path.posix.join(directory, '_rels', `${path.posix.basename(partName)}.rels`);
  const xml = zip.readText(relsName);
  const relationships = new Map<string, Relationship>();
  if (xml === null) return relationships;
  for (const node of findAll(parseXml(xml, label), 'Relationship')) {
    const id = attribute(node, 'Id');
    const target = attribute(node, 'Target');
    if (id === undefined || target === undefined || attribute(node, 'TargetMode') === 'External') continue;
    const resolved = target.startsWith('/')
      ? target.slice(1)
      : path.posix.normalize(path.posix.join(directory, target)).replace(/^(\.\.\/)+/, '');
    relationships.set(id, { type: attribute(node, 'Type') ?? '', target: resolved });
  }
  return relationships;
}
