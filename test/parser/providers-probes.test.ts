// Probes of the large receivers' own report layouts (issue #13, providers helper): Gmail, Google
// Groups, Yahoo, Amazon SES notifications, Mail.ru, GMX/1&1, ARF (RFC 5965) and RFC 3834
// auto-replies, built by fixtures/make-providers.mjs with what real mail varies: several failed
// recipients, addresses that did not fail beside them (the returned message's To/Cc, the sender,
// help text), delay notices, CR-only / LF line endings, base64 and quoted-printable bodies.
// The expected answers come from the documented meaning of each reply (RFC 3463 codes, the
// provider's published wording, RFC 3464/3834/5965 for the report kinds), never from bounced.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import type { ParsedReport } from '../../src/report.js';
import { fixturesDir } from '../helpers/env.js';

interface Probe {
  file: string;
  kind: ParsedReport['kind'];
  detector: string;
  /** `address action reason hard|soft` per record, in report order. */
  records: string[];
  /** What the probe shows, and where its expected answer comes from. */
  why: string;
}

const PROBES: Probe[] = [
  // Gmail / Google Workspace
  {
    file: 'gmail-classic-two-recipients.eml', kind: 'bounce', detector: 'gmail',
    records: ['kijitora@example.jp failed userunknown hard', 'mikeneko@example.jp failed userunknown hard'],
    why: 'every indented address of the classic list; not the Cc of the returned message; 5.1.1 is a bad mailbox (RFC 3463)',
  },
  {
    file: 'gmail-classic-delayed.eml', kind: 'delay', detector: 'gmail',
    records: ['kijitora@example.jp delayed expired soft'],
    why: '"has been delayed" / "will be retried": a delay, no failure (harm class 7); no answer from the host is expired in the labels\' convention',
  },
  {
    file: 'gmail-current-x-failed-two.eml', kind: 'bounce', detector: 'gmail',
    records: ['kijitora@example.com failed userunknown hard', 'mikeneko@example.com failed userunknown hard'],
    why: 'both X-Failed-Recipients, not the Cc; Google: "The email account that you tried to reach does not exist" (5.1.1)',
  },
  {
    file: 'gmail-current-base64-cr.eml', kind: 'bounce', detector: 'gmail',
    records: ['kijitora@example.com failed userunknown hard', 'mikeneko@example.com failed userunknown hard'],
    why: 'the same notice in base64 with CR-only line endings reads the same',
  },
  {
    file: 'gmail-current-dsn-two-records.eml', kind: 'bounce', detector: 'gmail',
    records: ['kijitora@example.org failed mailboxfull soft', 'mikeneko@example.org failed authfailure soft'],
    why: 'one record per DSN block with its own reply: Google OverQuotaPerm (5.2.2 mailbox full) and 5.7.26 DMARC (authfailure); neither says the address is bad',
  },
  {
    file: 'gmail-current-delivery-incomplete.eml', kind: 'delay', detector: 'gmail',
    records: ['kijitora@example.net delayed expired soft'],
    why: '"** Delivery incomplete **", Action: delayed (RFC 3464): a delay, never a failure',
  },
  {
    file: 'gmail-current-domain-not-found.eml', kind: 'bounce', detector: 'gmail',
    records: ['kijitora@nonexistent.example failed hostunknown hard'],
    why: 'the address only in "wasn\'t delivered to X because the domain ... couldn\'t be found"; NXDOMAIN is an unknown host (RFC 3463 X.1.2)',
  },
  {
    file: 'gmail-current-message-blocked.eml', kind: 'bounce', detector: 'gmail',
    records: ['kijitora@example.net failed spamdetected soft'],
    why: '"** Message blocked **": the remote refusal of the content as spam; the address is not bad',
  },
  {
    file: 'gmail-classic-dns-error.eml', kind: 'bounce', detector: 'gmail',
    records: ['kijitora@nonexistent.example failed hostunknown hard'],
    why: 'a tab-indented address; Google\'s own "DNS Error: ... Domain name not found" is an unknown host',
  },
  // Zoho Mail
  {
    file: 'zoho-two-invalid.eml', kind: 'bounce', detector: 'fallback',
    records: ['kijitora@example.co.jp failed filtered soft', 'mikeneko@example.co.jp failed mailboxfull soft'],
    why: 'each "<address> Invalid Address, ERROR_CODE" line, not the returned To/Cc below it; a bare "mailbox unavailable" naming no command is filtered (the labels\' convention, docs/classification.md), 5.2.2 is full',
  },
  {
    file: 'gmail-current-delay-text-only.eml', kind: 'delay', detector: 'gmail',
    records: ['kijitora@example.net delayed mailboxfull soft'],
    why: 'a delay notice naming the address only in "temporary problem delivering your message to X."; the reply (Google OverQuotaTemp, 4.2.2) is the cause; before, the text fallback read it as expired',
  },
  // Google Groups
  {
    file: 'googlegroups-post-refused.eml', kind: 'bounce', detector: 'googlegroups',
    records: ['cat-lovers@googlegroups.com failed rejected soft'],
    why: 'the group refused the post (X-Failed-Recipients); the sender greeted in "Hello ..." did not fail',
  },
  // Yahoo: its qmail's "Failure Notice" and opening (the qmail reader since lhost5, as Sisimai 5's
  // qmail module files them)
  {
    file: 'yahoo-two-blocks.eml', kind: 'bounce', detector: 'qmail',
    records: ['kijitora@example.ne.jp failed userunknown hard', 'mikeneko@example.ne.jp failed mailboxfull soft'],
    why: 'each "<address>:" block with its "Remote host said:" reply (5.1.1 unknown, 5.2.2 full); not the returned Cc',
  },
  {
    file: 'yahoo-spam-qp-lf.eml', kind: 'bounce', detector: 'qmail',
    records: ['kijitora@example.co.jp failed spamdetected soft'],
    why: 'quoted-printable, LF line endings; "rejected as spam" is a spam verdict on the content',
  },
  // Amazon SES (event notifications through SNS)
  {
    file: 'ses-bounce-two-of-three.eml', kind: 'bounce', detector: 'amazonses',
    records: ['kijitora@example.com failed userunknown hard', 'mikeneko@example.net failed userunknown hard'],
    why: 'bouncedRecipients only, not the third address of mail.destination (SES notification contents)',
  },
  {
    file: 'ses-delivery-delay.eml', kind: 'delay', detector: 'amazonses',
    records: ['kijitora@example.com delayed mailboxfull soft'],
    why: 'a DeliveryDelay event (SES event publishing): delayedRecipients are delayed, nothing failed; before, the text fallback recorded the sender as failed',
  },
  {
    file: 'ses-send-event.eml', kind: 'unknown', detector: 'amazonses',
    records: [],
    why: 'a Send event names no failure: no record for the destinations',
  },
  {
    file: 'ses-complaint-one-of-two.eml', kind: 'complaint', detector: 'amazonses',
    records: ['mikeneko@example.net - feedback soft'],
    why: 'complainedRecipients only, not the other destination',
  },
  {
    file: 'ses-bounce-subtypes.eml', kind: 'bounce', detector: 'amazonses',
    records: ['kijitora@example.com failed suppressed soft'],
    why: 'bounceSubType Suppressed: SES sent nothing, the address is on its suppression list (SES Developer Guide, bounce types); its note "history of bouncing as an invalid address" is no remote refusal',
  },
  {
    file: 'ses-bounce-noemail.eml', kind: 'bounce', detector: 'amazonses',
    records: ['kijitora@example.com failed userunknown hard'],
    why: 'Permanent/NoEmail with no remote text: SES says the address does not exist (as the ESP intake reads it, src/esp/ses.ts)',
  },
  {
    file: 'ses-bounce-transient-mailboxfull.eml', kind: 'bounce', detector: 'amazonses',
    records: ['kijitora@example.com failed mailboxfull soft'],
    why: 'Transient/MailboxFull with no remote text: mailbox full, the address stays',
  },
  // Mail.ru
  {
    file: 'mailru-two-failed.eml', kind: 'bounce', detector: 'fallback',
    records: ['kijitora@example.ru failed userunknown hard', 'mikeneko@example.ru failed suspend soft'],
    why: 'the Russian and the English list name the same two addresses: one record each; Mail.ru: "user not found", "account is disabled"',
  },
  // GMX / 1&1
  {
    file: 'gmx-two-own-reasons.eml', kind: 'bounce', detector: 'einsundeins',
    records: ['kijitora@example.de failed userunknown hard', 'mikeneko@example.de failed spamdetected soft'],
    why: "each address with its own reply; the returned header block's Cc is no failure",
  },
  // KDDI au (EZweb), BIGLOBE
  {
    file: 'ezweb-two-recipients.eml', kind: 'bounce', detector: 'ezweb',
    records: ['kijitora@ezweb.ne.jp failed userunknown hard', 'mikeneko@ezweb.ne.jp failed userunknown hard'],
    why: 'each "Recipient:" block with its RCPT transcript; not the returned Cc',
  },
  {
    file: 'biglobe-two-addresses.eml', kind: 'bounce', detector: 'biglobe',
    records: ['kijitora@mxr.biglobe.ne.jp failed mailboxfull soft', 'mikeneko@mxr.biglobe.ne.jp failed mailboxfull soft'],
    why: 'every listed address shares the one "Non-delivered information" (mailbox over its limit)',
  },
  // ARF (RFC 5965) and auto-replies (RFC 3834)
  {
    file: 'arf-abuse-one-recipient.eml', kind: 'complaint', detector: 'arf',
    records: ['kijitora@example.com - feedback soft'],
    why: 'Original-Rcpt-To names the complainer (RFC 5965 §3.2); the To/Cc of the reported message do not',
  },
  {
    file: 'auto-reply-out-of-office.eml', kind: 'auto_reply', detector: 'auto-reply',
    records: ['kijitora@example.com - vacation soft'],
    why: 'Auto-Submitted: auto-replied (RFC 3834 §5): never a failure; the colleague named in the text is no record',
  },
  {
    file: 'auto-reply-not-monitored.eml', kind: 'auto_reply', detector: 'auto-reply',
    records: ['support@example.net - vacation soft'],
    why: 'X-Autoreply: "no longer monitored" is still an auto-reply, not a dead mailbox; the help address is no record',
  },
  {
    file: 'auto-reply-mailbox-full-words.eml', kind: 'auto_reply', detector: 'auto-reply',
    records: ['kijitora@example.com - vacation soft'],
    why: '"Automatic reply:" from a person whose text says "my mailbox is full": the person\'s words, not an MTA\'s (RFC 3834)',
  },
  {
    file: 'auto-reply-subject-rejected.eml', kind: 'auto_reply', detector: 'auto-reply',
    records: ['kijitora@example.com - vacation soft'],
    why: '"Automatic reply: Your payment was rejected": the rest of the subject is the original\'s (RFC 3834 §3.1.5)',
  },
  {
    file: 'auto-reply-german.eml', kind: 'auto_reply', detector: 'auto-reply',
    records: ['kijitora@example.de - vacation soft'],
    why: '"Abwesenheitsnotiz", ISO-8859-1 quoted-printable, no Auto-Submitted field',
  },
];

const read = (file: string) => parseMessageSync(readFileSync(join(fixturesDir, 'providers', file)));
const records = (report: ParsedReport) =>
  classify(report).map((v, i) => `${report.recipients[i].finalRecipient} ${report.recipients[i].action ?? '-'} ${v.reason} ${v.hardbounce ? 'hard' : 'soft'}`);

describe('provider report layouts (fixtures/providers, built by fixtures/make-providers.mjs)', () => {
  for (const p of PROBES) {
    it(`${p.file}: ${p.why}`, () => {
      const report = read(p.file);
      expect(report.kind).toBe(p.kind);
      expect(report.detector).toBe(p.detector);
      expect(records(report)).toEqual(p.records);
    });
  }

  it('no probe records an address that did not fail (the sender, returned To/Cc, help text)', () => {
    const innocent = ['news@sender.example.org', 'help@sender.example.org', 'sabatora@', 'helpdesk@example.net'];
    for (const p of PROBES.filter((x) => x.kind === 'bounce' || x.kind === 'delay')) {
      const got = read(p.file).recipients.map((r) => r.finalRecipient);
      for (const a of got) expect(innocent.some((i) => a.startsWith(i) || a === i), `${p.file}: ${a}`).toBe(false);
    }
  });
});
