import { createHash, randomBytes } from 'node:crypto';

/** A random bearer secret handed out once (refresh tokens, API keys): 32 bytes, base64url, after `prefix`. */
export function generateOpaqueToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** What is stored of an opaque token: its SHA-256, never the token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
