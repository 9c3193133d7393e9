// Inbox credentials at rest (src/inbox/credentials.ts): AES-256-GCM, bound to the inbox id,
// a clear error on a wrong key, and the pino redaction paths that keep them out of logs.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_REDACT_PATHS, CredentialError, decryptSecret, encryptSecret, parseCredentialKey } from '../../src/inbox/credentials.js';

const key = randomBytes(32);
const errorOf = (fn: () => unknown): CredentialError => {
  try {
    fn();
  } catch (err) {
    return err as CredentialError;
  }
  throw new Error('did not throw');
};

describe('inbox credentials', () => {
  it('a password and an OAuth2 token come back as they went in; each encryption differs', () => {
    const a = encryptSecret({ kind: 'password', password: 'hunter2 ü' }, key, 'inbox-1');
    const b = encryptSecret({ kind: 'password', password: 'hunter2 ü' }, key, 'inbox-1');
    expect(a).not.toBe(b); // a fresh IV each time
    expect(a).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(a).not.toContain('hunter2');
    expect(decryptSecret(a, key, 'inbox-1')).toEqual({ kind: 'password', password: 'hunter2 ü' });
    const t = encryptSecret({ kind: 'xoauth2', accessToken: 'ya29.token' }, key, 'inbox-1');
    expect(decryptSecret(t, key, 'inbox-1')).toEqual({ kind: 'xoauth2', accessToken: 'ya29.token' });
  });

  it('a wrong key, another inbox or a changed byte: credentials_unreadable, naming no part of the secret', () => {
    const blob = encryptSecret({ kind: 'password', password: 'hunter2' }, key, 'inbox-1');
    for (const attempt of [
      () => decryptSecret(blob, randomBytes(32), 'inbox-1'),
      () => decryptSecret(blob, key, 'inbox-2'),
      () => {
        // one ciphertext character changed (the first carries six whole bits)
        const p = blob.split('.');
        p[2] = (p[2][0] === 'A' ? 'B' : 'A') + p[2].slice(1);
        return decryptSecret(p.join('.'), key, 'inbox-1');
      },
    ]) {
      const err = errorOf(attempt);
      expect(err).toBeInstanceOf(CredentialError);
      expect(err.code).toBe('credentials_unreadable');
      expect(err.message).toMatch(/credential key/);
      expect(err.message).not.toContain(blob.split('.')[2]);
    }
    expect(errorOf(() => decryptSecret('garbage', key, 'inbox-1')).code).toBe('credentials_unreadable');
  });

  it('rotation: the old key still opens what it sealed when listed after the new one', () => {
    const old = randomBytes(32);
    const blob = encryptSecret({ kind: 'password', password: 'p' }, old, 'i');
    expect(decryptSecret(blob, [key, old], 'i')).toEqual({ kind: 'password', password: 'p' });
  });

  it('keys: 32 bytes, from 64 hex digits or base64; anything else is refused clearly', () => {
    expect(parseCredentialKey(key.toString('hex'))).toEqual(key);
    expect(parseCredentialKey(key.toString('base64'))).toEqual(key);
    expect(parseCredentialKey(` ${key.toString('base64url')}\n`)).toEqual(key);
    expect(errorOf(() => parseCredentialKey('abcd')).code).toBe('credential_key_invalid');
    expect(errorOf(() => encryptSecret({ kind: 'password', password: 'p' }, randomBytes(16), 'i')).code).toBe('credential_key_invalid');
  });

  it('the redaction paths keep passwords and tokens out of pino output', () => {
    let out = '';
    const sink = new Writable({ write: (c, _e, cb) => ((out += c), cb()) });
    const log = pino({ redact: { paths: [...CREDENTIAL_REDACT_PATHS], censor: '[redacted]' } }, sink);
    log.info({ password: 'pw-1', accessToken: 'tok-2', auth: { user: 'u', pass: 'pw-3', accessToken: 'tok-4' }, account: { password: 'pw-5', secret: 'blob-6' } }, 'x');
    for (const s of ['pw-1', 'tok-2', 'pw-3', 'tok-4', 'pw-5', 'blob-6']) expect(out).not.toContain(s);
    expect(out).toContain('"user":"u"');
  });
});
