// Host names in free text (the words of a reply or a notice), told apart from other dotted
// words. PURE. An address or a host name is a name, not a statement: its words ("relay",
// "spam", "nxdomain", "rejected") say nothing about why a message failed, so the readers that
// look for failure words and the classifier's tables blank them first.

/** Labels of letters, digits and inner hyphens, dot-separated; the last one the top-level domain. */
const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,126}([a-z]{2,24})$/i;

/** Generic and reserved top-level domains (RFC 2606, RFC 6761) besides every two-letter country code. */
const TLDS = new Set([
  'com', 'net', 'org', 'edu', 'gov', 'mil', 'int', 'info', 'biz', 'name', 'pro', 'mobi', 'asia', 'aero', 'coop', 'museum', 'arpa',
  'test', 'example', 'invalid', 'localhost', 'local', 'localdomain', 'lan', 'internal', 'corp', 'home',
  'app', 'dev', 'cloud', 'email', 'online', 'site', 'xyz', 'top', 'club', 'shop', 'tech', 'live', 'space', 'website', 'blog',
]);

/**
 * Is the word a host name: two or more labels, the last a country code or a known top-level
 * domain? Dotted words that are not ("5.1.1", Exchange's "RESOLVER.ADR.RecipNotFound",
 * "queue.expired") are not. One anchored match, bounded labels.
 */
export function isHostName(word: string): boolean {
  if (word.length > 253 || word.indexOf('.') < 0) return false;
  const tld = HOST_NAME.exec(word)?.[1];
  return tld !== undefined && (tld.length === 2 || TLDS.has(tld.toLowerCase()));
}

/**
 * Labels that make a host name the zone of a public DNS block list (an IP or domain list that
 * receivers query, RFC 5782): "Rejected: 192.0.2.9 listed at zen.spamhaus.org", "blocked using
 * dnsbl.sorbs.net". Such a name is not a party to the mail but the list the reply says the client
 * is on, so it stays in the text, where the blocked table reads it. Each is a list operator's own
 * domain label (Spamhaus, SpamCop, SORBS, Barracuda's BRBL, the CBL at abuseat.org, UCEPROTECT,
 * Mailspike, PSBL, backscatterer.org) or a zone's generic first label ("dnsbl", "rbl").
 */
const BLOCK_LIST_LABELS = new Set([
  'spamhaus', 'spamcop', 'sorbs', 'barracudacentral', 'abuseat', 'uceprotect', 'mailspike', 'psbl', 'backscatterer', 'dnsbl', 'rbl',
]);

/** Is the host name a DNS block list's zone (one of its labels is a list's, BLOCK_LIST_LABELS)? */
export function isBlockListZone(host: string): boolean {
  let from = 0;
  const h = host.toLowerCase();
  while (from <= h.length) {
    let dot = h.indexOf('.', from);
    if (dot < 0) dot = h.length;
    if (BLOCK_LIST_LABELS.has(h.slice(from, dot))) return true;
    from = dot + 1;
  }
  return false;
}

/** Characters of a host name, a word of one. */
const HOST_CHARS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-') HOST_CHARS[c.charCodeAt(0)] = 1;
const isHostChar = (n: number): boolean => n < 128 && HOST_CHARS[n] === 1;

/**
 * The text with each host name replaced by `replacement`: words are the runs of host-name
 * characters (letters, digits, '.', '-'), without the dots and hyphens that end a sentence. One
 * pass. A DNS block list's zone (isBlockListZone) stays: it is what the reply says, not a name.
 */
export function withoutHostNames(text: string, replacement = 'x.x'): string {
  let out = '';
  let done = 0;
  let i = 0;
  while (i < text.length) {
    if (!isHostChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let end = i;
    while (end < text.length && isHostChar(text.charCodeAt(end))) end++;
    let last = end;
    while (last > i && (text[last - 1] === '.' || text[last - 1] === '-')) last--;
    const word = text.slice(i, last);
    if (last > i && isHostName(word) && !isBlockListZone(word)) {
      out += text.slice(done, i) + replacement;
      done = last;
    }
    i = end;
  }
  return done === 0 ? text : out + text.slice(done);
}
