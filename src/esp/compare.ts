import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of two secrets of any length: both are hashed first, so neither the
 * position of the first difference nor the length of the expected secret shows in the time.
 */
export function secretEquals(given: string | Buffer, expected: string | Buffer): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Constant-time equality of two hex digests (e.g. an HMAC); false for anything not hex of the same length. */
export function hexDigestEquals(givenHex: string, expected: Buffer): boolean {
  if (givenHex.length !== expected.length * 2 || !/^[0-9a-fA-F]+$/.test(givenHex)) return false;
  return timingSafeEqual(Buffer.from(givenHex, 'hex'), expected);
}
