import { createHash, randomBytes } from 'node:crypto';

/**
 * Device tokens are 32 random bytes, so a fast hash is enough to store them safely (no dictionary
 * to attack), and lets ingestion look a device up by its token on every request.
 */
export function hashDeviceToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateDeviceToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * For protocols whose only credential is the identifier (OsmAnd / Traccar Client), the server
 * proposes a long random one: 20 characters of an unambiguous alphabet, ~100 bits.
 */
export function generateDeviceIdentifier(): string {
  const alphabet = '23456789abcdefghjkmnpqrstuvwxyz';
  const bytes = randomBytes(20);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}
