import { createHmac, timingSafeEqual } from 'node:crypto';

// Webhook signatures in the style of the Standard Webhooks spec (standardwebhooks.com):
//   webhook-id:        the event's id, the same on every retry (receivers de-duplicate on it)
//   webhook-timestamp: seconds since the epoch of this attempt
//   webhook-signature: "v1," + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`))
// The key is the secret's base64 part after "whsec_", so the spec's libraries verify it.

export const SIGNATURE_VERSION = 'v1';

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `${SIGNATURE_VERSION},${mac}`;
}

/** The headers of one attempt. */
export function signedHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign(secret, id, timestamp, body),
  };
}

/**
 * What a receiver does: recompute and compare in constant time; refuse timestamps more than
 * `toleranceS` away from `now` (replays). The header may carry several space-separated
 * signatures (during a secret rotation); one match is enough.
 */
export function verify(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowS: number,
  toleranceS = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowS - ts) > toleranceS) return false;
  const expected = Buffer.from(sign(secret, headers.id, ts, body));
  return headers.signature.split(' ').some((s) => {
    const given = Buffer.from(s);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
