// Inbox credentials at rest: AES-256-GCM (NIST SP 800-38D) with a 32-byte key from the config
// (phase B: `inboxes.credentialKey` / `*_FILE`). The stored form is one ASCII string:
//
//   v1.<iv>.<ciphertext>.<tag>          (base64url; 96-bit random IV, 128-bit tag)
//
// The inbox id is bound as additional authenticated data, so a blob copied onto another inbox's
// row does not decrypt there. A wrong key, or a changed blob, fails the tag check: that is
// reported as `credentials_unreadable`, never as a garbled password sent to a server.
// Secrets never reach a log: CREDENTIAL_REDACT_PATHS lists the field names to give pino.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { InboxSecret } from './types.js';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12; // the GCM nonce size the spec recommends (SP 800-38D §8.2)
const TAG_BYTES = 16;

export type CredentialErrorCode = 'credential_key_invalid' | 'credentials_unreadable';

export class CredentialError extends Error {
  override name = 'CredentialError';
  constructor(
    readonly code: CredentialErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * pino redaction paths for anything that may hold an inbox secret (merge them into the root
 * logger's list). Secrets are also never put in a log call: this is the second line.
 */
export const CREDENTIAL_REDACT_PATHS = [
  'password',
  'accessToken',
  'pass',
  'credentials',
  'secret',
  'auth.pass',
  'auth.accessToken',
  '*.password',
  '*.accessToken',
  '*.pass',
  '*.credentials',
  '*.secret',
] as const;

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new CredentialError('credential_key_invalid', `the inbox credential key must be ${KEY_BYTES} bytes (64 hex digits or 44 base64 characters)`);
  }
}

/** Reads a key as given in a config file: 64 hex digits, or base64 of 32 bytes. */
export function parseCredentialKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : null;
  if (!key || key.length !== KEY_BYTES) {
    throw new CredentialError('credential_key_invalid', `the inbox credential key must be ${KEY_BYTES} bytes (64 hex digits or 44 base64 characters)`);
  }
  return key;
}

function aad(inboxId: string): Buffer {
  return Buffer.from(`bounced-inbox-credentials-${VERSION}:${inboxId}`, 'utf8');
}

export function encryptSecret(secret: InboxSecret, key: Buffer, inboxId: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(inboxId));
  const body = Buffer.concat([cipher.update(JSON.stringify(secret), 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

const UNREADABLE =
  'the inbox credentials cannot be decrypted: the credential key is not the one they were stored with (changed or rotated key?), or the stored value is damaged';

/**
 * Decrypts a stored secret. `keys`: the current key, or the current one first and older ones
 * after it while a key is being rotated. Throws CredentialError (`credentials_unreadable`) when
 * no key opens it; the message names no part of the blob.
 */
export function decryptSecret(blob: string, keys: Buffer | readonly Buffer[], inboxId: string): InboxSecret {
  const list = Buffer.isBuffer(keys) ? [keys] : keys;
  if (!list.length) throw new CredentialError('credential_key_invalid', 'no inbox credential key is configured');
  list.forEach(checkKey);
  const parts = typeof blob === 'string' ? blob.split('.') : [];
  if (parts.length !== 4 || parts[0] !== VERSION) throw new CredentialError('credentials_unreadable', 'the stored inbox credentials are not in the v1 format');
  const iv = Buffer.from(parts[1], 'base64url');
  const body = Buffer.from(parts[2], 'base64url');
  const tag = Buffer.from(parts[3], 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new CredentialError('credentials_unreadable', UNREADABLE);
  for (const key of list) {
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(inboxId));
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      continue; // tag mismatch: not this key
    }
    const v = JSON.parse(plain) as InboxSecret;
    if (v?.kind === 'password' && typeof v.password === 'string') return { kind: 'password', password: v.password };
    if (v?.kind === 'xoauth2' && typeof v.accessToken === 'string') return { kind: 'xoauth2', accessToken: v.accessToken };
    throw new CredentialError('credentials_unreadable', 'the stored inbox credentials decrypt to no known kind of secret');
  }
  throw new CredentialError('credentials_unreadable', UNREADABLE);
}
