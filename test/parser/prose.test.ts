// The prose of relays' own notices (issue #13 harms 1, 3 and 4): sentences about an address
// wrapped over two lines, list entries with their reason on their own line, addresses in other
// roles (help, the sender, a new address, the message replied to), the same in other languages.
// Fixtures built by fixtures/make-prose.mjs; the returned messages name addresses that did not
// fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { fixturesDir } from '../helpers/env.js';

/** `address action status reason` per recipient, and each one's diagnostic. */
function read(file: string) {
  const report = parseMessageSync(readFileSync(join(fixturesDir, 'prose', file)));
  return classify(report).map((v) => ({ line: `${v.recipient} ${v.action} ${v.status} ${v.reason}`, diagnostic: v.diagnosticCode ?? '' }));
}

describe('a sentence wrapped over two lines', () => {
  it('the address that opens the line after "please contact our help desk at" is help, not a failure', () => {
    // (its "+1 555 0100" is a telephone number, not a reply code)
    expect(read('help-address-wrapped.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown']);
  });

  it('a help sentence naming two addresses on lines of their own: neither is a failure, however many lines it runs', () => {
    // (round 29: "... help desk at" / "helpdesk@x" / "or see https://x (ticket" / "t-4711@x).")
    expect(read('help-sentence-two-addresses.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown', 'omar.haddad@example.net failed 5.2.2 mailboxfull']);
  });

  it('the address that opens the line after "because the sender" is the sender: no record', () => {
    expect(read('sender-wrapped.eml').map((g) => g.line)).toEqual([]);
  });

  it('"Your message to a@x was" reads on into "not delivered: 550 5.1.1 ..." on the next line', () => {
    const got = read('failure-next-line.eml');
    expect(got.map((g) => g.line)).toEqual(['omar.haddad@example.net failed 5.1.1 userunknown']);
    expect(got[0].diagnostic).toContain('not delivered: 550 5.1.1 user unknown');
  });
});

describe('help after a remote reply', () => {
  it('"a@x: 550 5.1.1 mailbox closed. Please write to b@y instead.": b@y is help', () => {
    expect(read('help-after-reply.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown']);
  });
});

describe('the new address of a recipient who moved', () => {
  it('"has moved to b@y (551 User not local)", on the line and wrapped onto the next: b@y is where mail goes now', () => {
    expect(read('moved-to.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.6 hasmoved', 'omar.haddad@example.net failed 5.1.6 hasmoved']);
  });
});

describe('the same sentences in German, French and Spanish', () => {
  for (const lang of ['de', 'fr', 'es']) {
    it(`${lang}: the failed recipient from "message to a@x", not the help desk's address after the error number`, () => {
      expect(read(`localized-${lang}.eml`).map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown']);
    });
  }
});

describe('labelled blocks of delivered recipients', () => {
  it('"Delivery Status: DELIVERED" / "Recipient: b@y" / "Status: 250 2.0.0 OK": b@y did not fail', () => {
    expect(read('labelled-blocks-delivered.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown']);
  });
});

describe('X-Failed-Recipients when the text names no address', () => {
  it('the field names who failed, with the text as the reason; the returned copy names nobody', () => {
    expect(read('x-failed-recipients.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown']);
  });
});

describe('a Final-Recipient that is a bare local part', () => {
  it('completed from the one address with that local part in its own Diagnostic-Code; never guessed', () => {
    expect(read('local-part-final-recipient.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown']);
  });
});

describe("Sendmail's entry expanded from an alias", () => {
  it('"<a@x>" / "(expanded from: <team@x>)": a@x failed, the alias did not', () => {
    expect(read('sendmail-expanded-alias.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown']);
  });
});

describe('several failed addresses on one line', () => {
  it('"a (550 ...), b (552 ...) and c (554 ...)": each its own reason; "(Lee Chan)" only names the person', () => {
    const got = read('one-line-own-reasons.eml');
    expect(got.map((g) => g.line)).toEqual([
      'jane.doe@example.com failed 5.1.1 userunknown',
      'sam.lee@example.com failed 5.2.2 mailboxfull',
      'kim.park@example.org failed 5.7.1 norelaying',
      'lee.chan@example.com failed 5.1.1 userunknown',
      'omar.haddad@example.net failed 5.1.1 userunknown',
    ]);
    expect(got[0].diagnostic).not.toContain('sam.lee');
  });

  it('a reason that names its own address again ("b (550 5.1.1 <b> recipient rejected)") is still only b\'s (round 30)', () => {
    const raw = readFileSync(join(fixturesDir, 'prose', 'one-line-own-reasons.eml'), 'latin1');
    expect(raw).toContain('(552 5.2.2 mailbox full)');
    const report = parseMessageSync(Buffer.from(raw.replace('(552 5.2.2 mailbox full)', '(550 5.1.1 <sam.lee@example.com> recipient rejected)'), 'latin1'));
    const got = classify(report).map((v) => `${v.recipient} ${v.status} ${v.reason}`);
    expect(got).toEqual([
      'jane.doe@example.com 5.1.1 userunknown',
      'sam.lee@example.com 5.1.1 userunknown',
      'kim.park@example.org 5.7.1 norelaying',
      'lee.chan@example.com 5.1.1 userunknown',
      'omar.haddad@example.net 5.1.1 userunknown',
    ]);
  });
});

describe('the message replied to, quoted below a reply attribution', () => {
  it('"On <date>, <name> wrote:" then quoted lines: no address of the quote is recorded', () => {
    expect(read('quoted-original.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown']);
  });
});

describe('list entries with their reason on their own line, back to back', () => {
  it('"  a@x: 550 ..." entries: each address keeps its own reply', () => {
    const got = read('indented-own-lines.eml');
    expect(got.map((g) => g.line)).toEqual([
      'alice.moreau@example.com failed 5.1.1 userunknown',
      'bruno.silva@example.net failed 5.2.2 mailboxfull',
      'chen.wei@example.org failed 5.7.1 norelaying',
    ]);
    expect(got[0].diagnostic).not.toContain('bruno');
    expect(got[1].diagnostic).not.toContain('chen');
  });

  it('"  a@x (reason)" entries end at the next address; "(Chen Wei)" names the person, the reason is below', () => {
    const got = read('comment-entries.eml');
    expect(got.map((g) => g.line)).toEqual([
      'alice.moreau@example.com failed 5.2.2 mailboxfull',
      'bruno.silva@example.net failed 5.1.1 userunknown',
      'chen.wei@example.org failed 5.1.1 userunknown',
    ]);
    expect(got[0].diagnostic).not.toContain('bruno');
    expect(got[1].diagnostic).not.toContain('chen');
    expect(got[2].diagnostic).toContain('550 5.1.1 no such user');
  });

  it('"Failed for: a, b" then, one blank line below, "Reason: ...": the reason of that block, not of the next', () => {
    expect(read('reason-set-apart.eml').map((g) => g.line)).toEqual([
      'alice.moreau@example.com failed 5.1.1 userunknown',
      'bruno.silva@example.net failed 5.1.1 userunknown',
      'chen.wei@example.org failed 5.2.2 mailboxfull',
    ]);
  });
});

describe('a remote reply that names the recipient otherwise', () => {
  // (round 27) the reply under an entry answers that entry; the name it uses (an alias's target,
  // the canonical form) was never mailed and did not fail on its own
  it("Postfix's reply wrapped onto the entry's next line: the entry failed, the reply's address made no record", () => {
    expect(read('reply-names-recipient-otherwise.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown', 'omar.haddad@example.net failed 5.2.2 mailboxfull']);
  });
  it("Sendmail's reason line and transcript: one record, the entry's", () => {
    const got = read('sendmail-reply-names-otherwise.eml');
    expect(got.map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown']);
    expect(got[0].diagnostic).toContain('User unknown');
  });
  it('a list entry with "Remote host said:" indented under it: each entry its own reply, no third record', () => {
    expect(read('list-reply-names-otherwise.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown', 'sam.lee@example.com failed 5.2.2 mailboxfull']);
  });
  it('the same re-wrapped by a relay, "said:" cut onto a line of its own at the margin: still the entry\'s reply', () => {
    expect(read('reply-names-otherwise-rewrapped.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown']);
  });
  it("a service address's entry (a list's owner address, never taken for a failed recipient): the list its reply names makes no record either", () => {
    expect(read('service-entry-reply-names-list.eml').map((g) => g.line)).toEqual(['omar.haddad@example.net failed 5.2.2 mailboxfull']);
  });
});

describe('a transcript reply that names the recipient otherwise', () => {
  it("Courier's layout, the entry's own transcript below it: each entry its own reply, no third record", () => {
    expect(read('transcript-reply-names-otherwise.eml').map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.2.2 mailboxfull', 'omar.haddad@example.net failed 5.1.1 userunknown']);
  });
  it("Sendmail's list entry and its transcript after DATA: one record; Sendmail's own line is the entry's reason, not the session's next reply", () => {
    const got = read('sendmail-data-reply-names-otherwise.eml');
    expect(got.map((g) => g.line)).toEqual(['jane.doe@example.com failed 5.1.1 userunknown']);
    expect(got[0].diagnostic).not.toContain('Need RCPT');
  });
});
