// Signed unsubscribe tokens (src/verp): their own MAC domain and prefix, beside the bounce VERP.
import { describe, expect, it } from 'vitest';
import { VerpCodec } from '../../src/verp/index.js';

const codec = new VerpCodec('secret', 'b');
const fields = { account: 'acme', message: 'spring/m-1', recipient: 'Ann@Example.org' };

describe('unsubscribe tokens', () => {
  it('round-trip as a mailto: address and as a bare token, case-insensitively', () => {
    const address = codec.encodeUnsubscribe(fields, 'Bounces.Example');
    expect(address).toMatch(/^u\+[a-z2-7]+\.[a-z2-7]+@bounces\.example$/);
    const want = { ok: true, fields: { ...fields, recipient: 'ann@example.org' } };
    expect(codec.decodeUnsubscribe(address)).toEqual(want);
    expect(codec.decodeUnsubscribe(`<mailto:${address.toUpperCase()}>`)).toEqual(want);
    expect(codec.decodeUnsubscribe(codec.unsubscribeToken(fields))).toEqual(want);
    expect(codec.isUnsubscribeAddress(address)).toBe(true);
  });

  it('are not bounce tokens, and bounce tokens are not unsubscribe tokens', () => {
    const unsub = codec.encodeUnsubscribe(fields, 'b.example');
    const bounce = codec.encode(fields, 'b.example');
    expect(codec.decode(unsub)).toEqual({ ok: false, error: 'not-verp' });
    expect(codec.decode(unsub.replace(/^u\+/, 'b+'))).toMatchObject({ ok: false, error: 'bad-signature' });
    expect(codec.decodeUnsubscribe(bounce)).toEqual({ ok: false, error: 'not-verp' });
    expect(codec.decodeUnsubscribe(bounce.replace(/^b\+/, 'u+'))).toMatchObject({ ok: false, error: 'bad-signature' });
    // The bounce VERP is unchanged by the addition.
    expect(codec.decode(bounce)).toEqual({ ok: true, fields: { ...fields, recipient: 'ann@example.org' } });
  });

  it('refuse another secret, garbage, and a prefix equal to the bounce prefix', () => {
    expect(new VerpCodec('other', 'b').decodeUnsubscribe(codec.unsubscribeToken(fields))).toMatchObject({ ok: false, error: 'bad-signature' });
    expect(codec.decodeUnsubscribe('nonsense')).toEqual({ ok: false, error: 'malformed' });
    expect(codec.decodeUnsubscribe('')).toEqual({ ok: false, error: 'malformed' });
    expect(() => new VerpCodec('s', 'u', 'u')).toThrow(/differ/);
  });
});
