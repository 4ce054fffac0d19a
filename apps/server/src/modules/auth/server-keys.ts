import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Db } from '../../platform/db/database.ts';

/**
 * Keys derived from one server secret: NEXUS_SECRET when set, otherwise generated once
 * and kept in the database (system_state), so every process and restart shares it.
 */
export interface ServerKeys {
  /** HMAC key for access tokens (HS256). */
  tokenSigningKey: Uint8Array;
  /** AES-256-GCM key for secrets stored in the database (TOTP seeds). */
  encryptionKey: Buffer;
}

const SECRET_KEY = 'server_secret';

function derive(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'nexus', purpose, 32));
}

export function deriveServerKeys(secret: string): ServerKeys {
  return {
    tokenSigningKey: derive(secret, 'access-token-hs256'),
    encryptionKey: derive(secret, 'database-secrets'),
  };
}

export async function loadServerKeys(db: Db, configured: string | undefined): Promise<ServerKeys> {
  if (configured) return deriveServerKeys(configured);
  const generated = randomBytes(32).toString('base64url');
  // Insert-if-absent, then read: concurrent first starts agree on one secret.
  await db.kysely
    .insertInto('system_state')
    .values({ key: SECRET_KEY, value: JSON.stringify(generated) })
    .onConflict((conflict) => conflict.column('key').doNothing())
    .execute();
  const row = await db.kysely
    .selectFrom('system_state')
    .select('value')
    .where('key', '=', SECRET_KEY)
    .executeTakeFirstOrThrow();
  return deriveServerKeys(row.value as string);
}

/** Encrypts a short secret for storage: `v1.<iv>.<tag>.<ciphertext>` (base64url). */
export function encryptSecret(keys: ServerKeys, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.encryptionKey, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function decryptSecret(keys: ServerKeys, stored: string): string {
  const [version, iv, tag, ciphertext] = stored.split('.');
  if (version !== 'v1' || !iv || !tag || !ciphertext) throw new Error('Unrecognised encrypted secret');
  const decipher = createDecipheriv('aes-256-gcm', keys.encryptionKey, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
    'utf8',
  );
}
