import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalAddress } from '../address.js';

// Signed VERP return paths.
//
//   <prefix>+<payload>.<mac>@<bounce domain>
//
// payload = base32(account \0 message \0 recipient), recipient in its canonical spelling
//           (src/address.ts: lower case, IDN domain in ASCII);
// mac     = base32(first 10 bytes of HMAC-SHA256(secret, "v1\0" + payload bytes)).
//
// Base32 (RFC 4648 alphabet, lower case, no padding) because some MTAs change the case of
// local parts; a case-insensitive encoding survives that. The MAC covers all three fields,
// so a token cannot be re-used for another recipient or account: that is what stops a
// forged bounce from suppressing somebody's contacts. 80 bits of MAC are plenty against
// on-line guessing (every guess costs the forger an SMTP transaction).
//
// RFC 5321 §4.5.3.1.1 limits a local part to 64 octets; these are longer for long
// addresses. Postfix, Exim, Exchange and the big mailbox providers accept and return
// them; a sender that must stay under 64 can use short account and message ids.

export interface VerpFields {
  account: string;
  message: string;
  recipient: string;
}

export type VerpDecodeResult =
  | { ok: true; fields: VerpFields }
  | { ok: false; error: 'not-verp' | 'malformed' | 'bad-signature'; fields?: VerpFields };

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const MAC_BYTES = 10;

export function base32Encode(buf: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer | null {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text.toLowerCase()) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return null;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

function mac(secret: string, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update('v1\0').update(payload).digest().subarray(0, MAC_BYTES);
}

// Unsubscribe tokens (RFC 2369 List-Unsubscribe, RFC 8058 one-click) carry the same three
// fields but are MACed under their own domain ("unsub-v1"), so a bounce token can never be
// turned into an unsubscribe (or the reverse) by changing the prefix:
//
//   mailto:  <unsubscribe prefix>+<payload>.<mac>@<bounce domain>
//   https:   <public base URL>/v1/unsubscribe/<payload>.<mac>
function unsubscribeMac(secret: string, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update('unsub-v1\0').update(payload).digest().subarray(0, MAC_BYTES);
}

function encodeFields(fields: VerpFields): Buffer {
  for (const [k, v] of Object.entries(fields)) {
    if (!v || v.includes('\0')) throw new Error(`VERP ${k} must be a non-empty string without NUL`);
  }
  return Buffer.from(`${fields.account}\0${fields.message}\0${canonicalAddress(fields.recipient)}`, 'utf8');
}

/** Splits and checks `<payload>.<mac>` (canonical base32 only); the MAC is checked by the caller. */
function readToken(token: string): { payload: Buffer; given: Buffer; fields: VerpFields } | null {
  const m = /^([a-z2-7]+)\.([a-z2-7]+)$/.exec(token);
  if (!m) return null;
  const payload = base32Decode(m[1]!);
  const given = base32Decode(m[2]!);
  if (!payload || !given) return null;
  if (base32Encode(payload) !== m[1] || base32Encode(given) !== m[2]) return null;
  const parts = payload.toString('utf8').split('\0');
  if (parts.length !== 3 || parts.some((p) => !p)) return null;
  // Tokens made before recipients were spelled canonically carry a Unicode domain: the MAC
  // covers the bytes as they are; the recipient is handed out in today's spelling.
  return { payload, given, fields: { account: parts[0]!, message: parts[1]!, recipient: canonicalAddress(parts[2]!) } };
}

/**
 * Bounce Address Tag Validation (draft-levine-smtp-batv-01 §4.1, "prvs=" tag-val "=" loc-core):
 * a relay between the sender and the Internet (Exim's prvs, Barracuda's, Fortinet's, indimail's
 * BATV and others) may sign every return path it passes on, so the bounce comes back to
 * `prvs=<tag-val>=<our return path>`. The tag is the relay's (its key, its day count), not ours
 * to check; our own MAC still decides.
 */
const BATV_TAG = /^prvs=[0-9a-z]{1,64}=/;

export class VerpCodec {
  constructor(
    private readonly secret: string,
    private readonly prefix: string,
    /** Local-part prefix of unsubscribe addresses; must differ from the bounce prefix. */
    private readonly unsubscribePrefix = 'u',
  ) {
    if (!secret) throw new Error('VERP secret must not be empty');
    if (prefix.toLowerCase() === unsubscribePrefix.toLowerCase()) throw new Error('VERP prefix and unsubscribe prefix must differ');
  }

  /** The `<payload>.<mac>` unsubscribe token (the last segment of the one-click URL). */
  unsubscribeToken(fields: VerpFields): string {
    const payload = encodeFields(fields);
    return `${base32Encode(payload)}.${base32Encode(unsubscribeMac(this.secret, payload))}`;
  }

  /** The List-Unsubscribe mailto: address. */
  encodeUnsubscribe(fields: VerpFields, domain: string): string {
    return `${this.unsubscribePrefix}+${this.unsubscribeToken(fields)}@${domain.toLowerCase()}`;
  }

  /** True when the address's local part has the unsubscribe prefix (signed or not). */
  isUnsubscribeAddress(address: string): boolean {
    const at = address.lastIndexOf('@');
    const local = (at >= 0 ? address.slice(0, at) : address).replace(/^<|>$/g, '').toLowerCase();
    return local.startsWith(`${this.unsubscribePrefix.toLowerCase()}+`);
  }

  /** Reads an unsubscribe address or a bare token; never throws on input. */
  decodeUnsubscribe(addressOrToken: string): VerpDecodeResult {
    let token = addressOrToken.trim().replace(/^<|>$/g, '').replace(/^mailto:/i, '');
    if (token.includes('@') || token.includes('+')) {
      if (!this.isUnsubscribeAddress(token)) return { ok: false, error: 'not-verp' };
      const at = token.lastIndexOf('@');
      token = (at >= 0 ? token.slice(0, at) : token).slice(this.unsubscribePrefix.length + 1);
    }
    const t = readToken(token.toLowerCase());
    if (!t) return { ok: false, error: 'malformed' };
    const expected = unsubscribeMac(this.secret, t.payload);
    if (t.given.length !== expected.length || !timingSafeEqual(t.given, expected)) {
      return { ok: false, error: 'bad-signature', fields: t.fields };
    }
    return { ok: true, fields: t.fields };
  }

  encode(fields: VerpFields, domain: string): string {
    const payload = encodeFields(fields);
    return `${this.prefix}+${base32Encode(payload)}.${base32Encode(mac(this.secret, payload))}@${domain.toLowerCase()}`;
  }

  /**
   * Reads the token of a return path; never throws on input. A BATV tag an outbound relay put
   * in front of it is passed over (see BATV_TAG).
   */
  decode(address: string): VerpDecodeResult {
    const at = address.lastIndexOf('@');
    const local = (at >= 0 ? address.slice(0, at) : address).replace(/^<|>$/g, '').toLowerCase().replace(BATV_TAG, '');
    const head = `${this.prefix.toLowerCase()}+`;
    if (!local.startsWith(head)) return { ok: false, error: 'not-verp' };
    // Only the canonical base32 spelling counts (unused trailing bits zero): one token, one meaning.
    const t = readToken(local.slice(head.length));
    if (!t) return { ok: false, error: 'malformed' };
    const expected = mac(this.secret, t.payload);
    if (t.given.length !== expected.length || !timingSafeEqual(t.given, expected)) {
      return { ok: false, error: 'bad-signature', fields: t.fields };
    }
    return { ok: true, fields: t.fields };
  }
}
