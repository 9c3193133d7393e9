import { domainToASCII } from 'node:url';

// The one spelling of an email address that bounced signs, stores and compares. The same
// mailbox reaches us spelled several ways: an internationalised domain in Unicode
// (`anna@bücher.de`, RFC 6531 SMTPUTF8) or in ASCII (`anna@xn--bcher-kva.de`, how every
// MTA without SMTPUTF8 writes it), in any letter case. VERP tokens, bounce records,
// deliveries, suppressions, imports and the pre-send check all pass addresses through here,
// so that a token signed for one spelling verifies a report in the other and a suppression
// holds whichever spelling the sender asks about.
//
// - Domain: IDNA to ASCII (UTS #46 via WHATWG URL's domainToASCII: A-labels, lower case).
//   What IDNA refuses (a bad xn-- label, an address literal [192.0.2.1]) is kept as given,
//   lower-cased: nothing is dropped.
// - Local part: lower-cased, as bounced has always done (the VERP payload too). RFC 5321
//   §2.4 lets a receiving host treat local parts as case-sensitive, but no mailbox provider
//   does, and treating Ann@ and ann@ as two people would let a suppression be missed. A
//   non-ASCII local part is also put in Unicode NFC (RFC 6530 §10.1 asks senders for it),
//   so a composed and a decomposed ü are one mailbox. No other folding (dots, +tags):
//   those are one provider's rules, not the address's.
// - A quoted local part that could be written unquoted (`"john.smith"@x`: its inside is a
//   Dot-string) is written unquoted: RFC 5321 §4.1.2 makes both spellings one mailbox and
//   asks senders for the unquoted one. Any other quoted local part (`"john smith"@x`) keeps
//   its quotes, the only way to write it.

const PLAIN_ASCII = /^[\x20-\x7e]*$/;
const PLAIN_DOMAIN = /^[a-z0-9.-]*$/;
/** RFC 5321 Dot-string, with RFC 6531's non-ASCII characters: atoms joined by single dots. */
const DOT_STRING = /^[a-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+)*$/i;

/**
 * `"john.smith"@x` as john.smith@x: an address whose quoted local part is a Dot-string (RFC 5321
 * §4.1.2, the same mailbox either way), unquoted; any other address as given. The one rule for
 * it: the canonical spelling below and the report parser (../parser/smtp-text.ts) both use it.
 */
export function unquoteDotString(address: string): string {
  if (address.charCodeAt(0) !== 34) return address;
  const close = address.lastIndexOf('"@');
  if (close < 2) return address;
  const local = address.slice(1, close);
  return DOT_STRING.test(local) ? local + address.slice(close + 1) : address;
}

/** A domain in its ASCII (A-label) form, lower case; kept lower-cased as given when IDNA refuses it. */
export function canonicalDomain(domain: string): string {
  const lower = domain.toLowerCase();
  // The common case costs one regex: plain LDH labels without a Punycode label to check.
  if (PLAIN_DOMAIN.test(lower) && !lower.includes('xn--')) return lower;
  const ascii = domainToASCII(lower);
  return ascii === '' ? lower : ascii;
}

/** The canonical spelling of an address (see above). Does not trim: callers decide what white space means. */
export function canonicalAddress(given: string): string {
  const address = unquoteDotString(given);
  const at = address.lastIndexOf('@');
  if (at < 0) return localPart(address);
  return `${localPart(address.slice(0, at))}@${canonicalDomain(address.slice(at + 1))}`;
}

function localPart(local: string): string {
  const lower = local.toLowerCase();
  return PLAIN_ASCII.test(lower) ? lower : lower.normalize('NFC');
}
