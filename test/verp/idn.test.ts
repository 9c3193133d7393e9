// Internationalised domains (RFC 5890, RFC 6531): one address, two spellings. A token signed
// for anna@bücher.de must verify a report that names anna@xn--bcher-kva.de (how an MTA
// without SMTPUTF8 writes it), and the records, deliveries and suppressions that follow must
// be one address whatever spelling came in.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalAddress, canonicalDomain } from '../../src/address.js';
import { createLogger } from '../../src/log.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import { base32Encode, VerpCodec } from '../../src/verp/index.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig } from '../helpers/env.js';

const UNICODE = 'anna@bücher.de';
const ASCII = 'anna@xn--bcher-kva.de';
const s02 = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml')).toString('latin1');
/** The s02 DSN about `rcpt` (Final- and Original-Recipient), as an MTA without SMTPUTF8 writes it. */
const dsnFor = (rcpt: string) => Buffer.from(s02.replaceAll('rcpt-550-5.1.1@reject.test', rcpt), 'latin1');

describe('canonical addresses', () => {
  it('spells the domain in ASCII (IDNA), lower case; lower-cases the local part (NFC)', () => {
    expect(canonicalAddress(UNICODE)).toBe(ASCII);
    expect(canonicalAddress('Anna@BÜCHER.de')).toBe(ASCII);
    expect(canonicalAddress('ANNA@XN--BCHER-KVA.DE')).toBe(ASCII);
    // U+0308 COMBINING DIAERESIS after u: the same address once composed (NFC).
    expect(canonicalAddress('anna@bu\u0308cher.de')).toBe(ASCII);
    expect(canonicalAddress('Jürgen@bücher.de')).toBe('jürgen@xn--bcher-kva.de');
    expect(canonicalAddress('ju\u0308rgen@example.org')).toBe('jürgen@example.org');
    expect(canonicalAddress('Jane.Doe@Example.COM')).toBe('jane.doe@example.com');
    expect(canonicalDomain('Bücher.DE')).toBe('xn--bcher-kva.de');
    // What IDNA refuses is kept as given, lower-cased: nothing is lost.
    expect(canonicalAddress('x@xn--zz.example')).toBe('x@xn--zz.example');
    expect(canonicalAddress('x@[192.0.2.1]')).toBe('x@[192.0.2.1]');
    expect(canonicalAddress('no-at-sign')).toBe('no-at-sign');
  });

  it('writes a quoted local part unquoted when it can be (RFC 5321 §4.1.2), and keeps the quotes when it cannot', () => {
    expect(canonicalAddress('"John.Smith"@Example.org')).toBe('john.smith@example.org');
    expect(canonicalAddress('"jürgen"@bücher.de')).toBe('jürgen@xn--bcher-kva.de');
    expect(canonicalAddress('"John Smith"@Example.org')).toBe('"john smith"@example.org');
    expect(canonicalAddress('"a@b"@example.org')).toBe('"a@b"@example.org');
    expect(canonicalAddress('"john..smith"@example.org')).toBe('"john..smith"@example.org');
    expect(canonicalAddress('""@example.org')).toBe('""@example.org');
  });
});

describe('VERP and IDN', () => {
  it('a token signed for the Unicode spelling verifies a report naming the ASCII one, and the reverse', () => {
    const codec = new VerpCodec(TEST_SECRET, 'b');
    for (const [signed, reported] of [[UNICODE, ASCII], [ASCII, UNICODE]] as const) {
      const to = codec.encode({ account: 'acme', message: 'm-1', recipient: signed }, BOUNCE_DOMAIN);
      const d = codec.decode(to);
      expect(d).toEqual({ ok: true, fields: { account: 'acme', message: 'm-1', recipient: ASCII } });
      expect(canonicalAddress(reported)).toBe(d.ok && d.fields.recipient);
    }
  });

  it('a token made before canonical spelling (Unicode in its payload) still verifies, as the canonical address', () => {
    // The documented token format, with the recipient only lower-cased (as bounced did).
    const payload = Buffer.from(`acme\0m-1\0${UNICODE}`, 'utf8');
    const mac = createHmac('sha256', TEST_SECRET).update('v1\0').update(payload).digest().subarray(0, 10);
    const old = `b+${base32Encode(payload)}.${base32Encode(mac)}@${BOUNCE_DOMAIN}`;
    expect(new VerpCodec(TEST_SECRET, 'b').decode(old)).toEqual({ ok: true, fields: { account: 'acme', message: 'm-1', recipient: ASCII } });
  });

  it('a DSN naming anna@xn--bcher-kva.de for a token signed as anna@bücher.de is a verified hard bounce, and suppresses both spellings', async () => {
    const built = await buildPipeline(testConfig());
    const { store, verp, policy } = built;
    await policy.createAccount({ id: 'acme', tier: 'professional' }, 'test', Date.now());
    const to = verp.encode({ account: 'acme', message: 'm-1', recipient: UNICODE }, BOUNCE_DOMAIN);
    await store.messages.insert([{ receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [to], remoteIp: '127.0.0.1', helo: 'mta.test', raw: dsnFor(ASCII) }]);
    await built.processor(createLogger('silent')).drain();
    expect(await store.bounces.list({})).toMatchObject([{ verified: true, accountId: 'acme', recipient: ASCII, type: 'hard' }]);
    expect(await store.deliveries.list({})).toMatchObject([{ recipient: ASCII, state: 'hard' }]);
    // Either spelling finds the record and is suppressed.
    expect(await store.bounces.list({ recipient: UNICODE })).toHaveLength(1);
    for (const a of [UNICODE, ASCII, 'Anna@BÜCHER.DE']) expect((await policy.checkSend('acme', a, Date.now())).send, a).toBe(false);
    await store.close();
  });
});
