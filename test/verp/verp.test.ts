import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, VerpCodec } from '../../src/verp/index.js';

const codec = new VerpCodec('test-secret-1', 'b');
const fields = { account: 'Acct-42', message: 'msg-0001', recipient: 'Jane.Doe@Example.COM' };

describe('VERP tokens', () => {
  it('round-trips account, message and (lower-cased) recipient', () => {
    const address = codec.encode(fields, 'bounces.example.com');
    expect(address).toMatch(/^b\+[a-z2-7]+\.[a-z2-7]{16}@bounces\.example\.com$/);
    expect(codec.decode(address)).toEqual({ ok: true, fields: { ...fields, recipient: 'jane.doe@example.com' } });
  });

  it('survives an MTA that upper-cases the local part, and angle brackets', () => {
    const address = codec.encode(fields, 'bounces.example.com');
    const [local, domain] = address.split('@');
    expect(codec.decode(`<${local!.toUpperCase()}@${domain}>`).ok).toBe(true);
  });

  it('fails verification when any one character of the token changes', () => {
    const address = codec.encode(fields, 'bounces.example.com');
    const local = address.split('@')[0]!;
    // Every position of the payload and of the MAC: a changed byte must never verify.
    for (let i = 2; i < local.length; i++) {
      if (local[i] === '.') continue;
      const swapped = local[i] === 'a' ? 'b' : 'a';
      const forged = local.slice(0, i) + swapped + local.slice(i + 1) + '@bounces.example.com';
      const result = codec.decode(forged);
      expect(result.ok, `position ${i}`).toBe(false);
    }
  });

  it('rejects a token signed with another secret, and tells non-VERP addresses apart', () => {
    const other = new VerpCodec('another-secret', 'b');
    const address = other.encode(fields, 'bounces.example.com');
    expect(codec.decode(address)).toMatchObject({ ok: false, error: 'bad-signature', fields: { account: 'Acct-42' } });
    expect(codec.decode('postmaster@bounces.example.com')).toEqual({ ok: false, error: 'not-verp' });
    expect(codec.decode('b+not-base32!@bounces.example.com')).toEqual({ ok: false, error: 'malformed' });
  });

  it('passes over a BATV tag a relay put in front (prvs=<tag>=<return path>); the MAC still decides', () => {
    const address = codec.encode(fields, 'bounces.example.com');
    const want = { ok: true, fields: { ...fields, recipient: 'jane.doe@example.com' } };
    expect(codec.decode(`prvs=0891a9abd5=${address}`)).toEqual(want);
    expect(codec.decode(`<PRVS=1234567890=${address.toUpperCase()}>`)).toEqual(want);
    // Only the documented form, in front: no other prefix, no tag with other characters.
    expect(codec.decode(`xprvs=0891a9abd5=${address}`)).toEqual({ ok: false, error: 'not-verp' });
    expect(codec.decode(`prvs=08+91=${address}`)).toEqual({ ok: false, error: 'not-verp' });
    // A BATV tag does not make a forged token verify.
    const forged = new VerpCodec('another-secret', 'b').encode(fields, 'bounces.example.com');
    expect(codec.decode(`prvs=0891a9abd5=${forged}`)).toMatchObject({ ok: false, error: 'bad-signature' });
  });

  it('base32 round-trips arbitrary bytes', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    }
  });
});
