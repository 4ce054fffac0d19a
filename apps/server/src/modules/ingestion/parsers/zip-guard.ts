/**
 * Zip-bomb guard for ZIP-based documents (DOCX, XLSX, PPTX). Reads the central
 * directory itself, rejects archives whose declared uncompressed size is over the
 * limit, then inflates every entry as a stream, counting bytes and stopping as soon
 * as the running total passes the limit — declared sizes can lie, and the stream
 * keeps memory flat however far an entry would expand.
 */
import { Buffer } from 'node:buffer';
import { createInflateRaw, inflateRawSync } from 'node:zlib';
import { ParseError } from '../ingestion.types.ts';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  /** Uncompressed size as the central directory declares it (not trusted). */
  declaredSize: number;
  localHeaderOffset: number;
}

/** A ZIP whose every entry has been inflated once within the limit. */
export interface GuardedZip {
  readonly names: readonly string[];
  has(name: string): boolean;
  /** The inflated bytes of an entry (names match case-insensitively), or null when absent. */
  read(name: string): Uint8Array | null;
  readText(name: string): string | null;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;
/** Office files have hundreds of parts at most; millions of tiny entries are an attack. */
const MAX_ENTRIES = 50_000;
/** Entries this small inflate synchronously: deflate expands at most ~1,032×, so ≤ ~1 MB. */
const SMALL_ENTRY_BYTES = 1024;

export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    ((bytes[2] === 0x03 && bytes[3] === 0x04) || (bytes[2] === 0x05 && bytes[3] === 0x06))
  );
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeName(bytes: Uint8Array, isUtf8: boolean): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(isUtf8 ? 'utf8' : 'latin1');
}

function findEndOfCentralDirectory(view: DataView): number {
  const lowest = Math.max(0, view.byteLength - 22 - 0xffff);
  for (let offset = view.byteLength - 22; offset >= lowest; offset--) {
    if (view.getUint32(offset, true) === END_OF_CENTRAL_DIRECTORY) return offset;
  }
  return -1;
}

function readUint64(view: DataView, offset: number): number {
  const value = view.getBigUint64(offset, true);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** The entries of the central directory, or null when the archive structure is unreadable. */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] | null {
  if (bytes.byteLength < 22) return null;
  const view = dataView(bytes);
  const end = findEndOfCentralDirectory(view);
  if (end < 0) return null;
  let entryCount = view.getUint16(end + 10, true);
  let directorySize = view.getUint32(end + 12, true);
  let directoryOffset = view.getUint32(end + 16, true);
  if (entryCount === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR) return null;
    const zip64End = readUint64(view, locator + 8);
    if (zip64End + 56 > bytes.byteLength || view.getUint32(zip64End, true) !== ZIP64_END) return null;
    entryCount = readUint64(view, zip64End + 32);
    directorySize = readUint64(view, zip64End + 40);
    directoryOffset = readUint64(view, zip64End + 48);
  }
  if (directoryOffset + directorySize > bytes.byteLength) return null;

  const entries: ZipEntry[] = [];
  let offset = directoryOffset;
  for (let index = 0; index < entryCount; index++) {
    if (offset + 46 > bytes.byteLength || view.getUint32(offset, true) !== CENTRAL_HEADER) return null;
    const flags = view.getUint16(offset + 8, true);
    const method = view.getUint16(offset + 10, true);
    let compressedSize = view.getUint32(offset + 20, true);
    let declaredSize = view.getUint32(offset + 24, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    let localHeaderOffset = view.getUint32(offset + 42, true);
    const nameStart = offset + 46;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > bytes.byteLength) return null;
    const name = decodeName(bytes.subarray(nameStart, extraStart), (flags & FLAG_UTF8) !== 0);

    // ZIP64 extra field: the 64-bit values replace the 32-bit fields set to 0xffffffff, in order.
    let extra = extraStart;
    while (extra + 4 <= extraStart + extraLength) {
      const id = view.getUint16(extra, true);
      const size = view.getUint16(extra + 2, true);
      if (id === 0x0001) {
        let field = extra + 4;
        const fieldEnd = field + size;
        if (declaredSize === 0xffffffff && field + 8 <= fieldEnd) {
          declaredSize = readUint64(view, field);
          field += 8;
        }
        if (compressedSize === 0xffffffff && field + 8 <= fieldEnd) {
          compressedSize = readUint64(view, field);
          field += 8;
        }
        if (localHeaderOffset === 0xffffffff && field + 8 <= fieldEnd) {
          localHeaderOffset = readUint64(view, field);
        }
      }
      extra += 4 + size;
    }
    entries.push({ name, method, flags, compressedSize, declaredSize, localHeaderOffset });
    offset = next;
  }
  return entries;
}

/**
 * Part names for format detection. Uses the central directory, falling back to a scan
 * of local file headers so a truncated document is still recognised (and then reported
 * as damaged rather than as an unknown type).
 */
export function listZipNames(bytes: Uint8Array): string[] {
  const entries = readZipDirectory(bytes);
  if (entries !== null) return entries.map((entry) => entry.name);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const signature = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
  const view = dataView(bytes);
  const names: string[] = [];
  let offset = buffer.indexOf(signature, 0);
  while (offset >= 0 && offset + 30 <= bytes.byteLength && names.length < 10_000) {
    const flags = view.getUint16(offset + 6, true);
    const nameLength = view.getUint16(offset + 26, true);
    const nameEnd = offset + 30 + nameLength;
    if (nameEnd > bytes.byteLength) break;
    names.push(decodeName(bytes.subarray(offset + 30, nameEnd), (flags & FLAG_UTF8) !== 0));
    offset = buffer.indexOf(signature, nameEnd);
  }
  return names;
}

function entryData(bytes: Uint8Array, entry: ZipEntry, damaged: () => ParseError): Uint8Array {
  const view = dataView(bytes);
  const header = entry.localHeaderOffset;
  if (header + 30 > bytes.byteLength || view.getUint32(header, true) !== LOCAL_HEADER) throw damaged();
  const start = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.byteLength) throw damaged();
  return bytes.subarray(start, end);
}

/**
 * Inflates `data` as a stream without keeping the output and resolves with the number
 * of bytes produced — or with a number over `limit` as soon as it passes it.
 */
function countInflatedBytes(data: Uint8Array, limit: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const inflater = createInflateRaw();
    let total = 0;
    let isSettled = false;
    inflater.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit && !isSettled) {
        isSettled = true;
        inflater.destroy();
        resolve(total);
      }
    });
    inflater.on('end', () => {
      if (isSettled) return;
      isSettled = true;
      resolve(total);
    });
    inflater.on('error', (error) => {
      if (isSettled) return;
      isSettled = true;
      reject(error);
    });
    inflater.end(data);
  });
}

export function formatByteSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KB`;
  return `${bytes} bytes`;
}

/**
 * Checks a ZIP-based document against the decompression limit and returns a reader
 * for its parts. `label` names the document in messages ("Word document").
 */
export async function openGuardedZip(
  bytes: Uint8Array,
  maxDecompressedBytes: number,
  label: string,
): Promise<GuardedZip> {
  const damaged = (): ParseError =>
    new ParseError(
      'corrupt',
      `This ${label} is damaged or incomplete and cannot be read. Try saving it again.`,
    );
  const tooLarge = (): ParseError =>
    new ParseError(
      'decompressed_too_large',
      `This ${label} expands to more than ${formatByteSize(maxDecompressedBytes)} when unpacked, which is over the limit.`,
    );

  const entries = readZipDirectory(bytes);
  if (entries === null || entries.length > MAX_ENTRIES) throw damaged();
  const declaredTotal = entries.reduce((sum, entry) => sum + entry.declaredSize, 0);
  if (declaredTotal > maxDecompressedBytes) throw tooLarge();

  const parts = new Map<string, { entry: ZipEntry; size: number }>();
  let inflatedTotal = 0;
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue;
    if ((entry.flags & FLAG_ENCRYPTED) !== 0) {
      throw new ParseError(
        'encrypted',
        `This ${label} is password-protected; remove the password and upload it again.`,
      );
    }
    const data = entryData(bytes, entry, damaged);
    let size: number;
    if (entry.method === METHOD_STORED) {
      size = data.byteLength;
    } else if (entry.method === METHOD_DEFLATE) {
      const remaining = maxDecompressedBytes - inflatedTotal;
      try {
        size =
          data.byteLength <= SMALL_ENTRY_BYTES
            ? inflateRawSync(data, { maxOutputLength: Math.max(1, Math.min(remaining + 1, 2 * 1024 * 1024)) })
                .byteLength
            : await countInflatedBytes(data, remaining);
      } catch (error) {
        // Over the cap, which a small entry can only reach by passing the remaining budget.
        if ((error as { code?: unknown }).code !== 'ERR_BUFFER_TOO_LARGE') throw damaged();
        size = remaining + 1;
      }
    } else {
      throw damaged();
    }
    inflatedTotal += size;
    if (inflatedTotal > maxDecompressedBytes) throw tooLarge();
    parts.set(entry.name.toLowerCase(), { entry, size });
  }

  const read = (name: string): Uint8Array | null => {
    const part = parts.get(name.replace(/^\//, '').toLowerCase());
    if (part === undefined) return null;
    const data = entryData(bytes, part.entry, damaged);
    if (part.entry.method === METHOD_STORED) return data;
    try {
      return inflateRawSync(data, { maxOutputLength: Math.max(1, part.size) });
    } catch {
      throw damaged();
    }
  };
  return {
    names: entries.map((entry) => entry.name),
    has: (name) => parts.has(name.replace(/^\//, '').toLowerCase()),
    read,
    readText: (name) => {
      const data = read(name);
      return data === null ? null : new TextDecoder('utf-8').decode(data);
    },
  };
}
