import { generateSecret, generateURI, verify } from 'otplib';

/** RFC 6238 TOTP (30 s, 6 digits, SHA-1: what authenticator apps expect), ±1 step of drift. */
export function createTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, account: string): string {
  return generateURI({ issuer: 'Nexus', label: account, secret });
}

export async function verifyTotp(secret: string, token: string): Promise<boolean> {
  if (!/^\d{6}$/.test(token)) return false;
  try {
    const result = await verify({ secret, token, epochTolerance: 30 });
    return result.valid;
  } catch {
    return false;
  }
}
