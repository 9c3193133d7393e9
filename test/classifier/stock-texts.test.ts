// The stock texts of MTAs, filters and directory servers, each in a plain RFC 3464 report (as a
// relaying MTA would quote it), through the real parser and classifier (issue #13, round 14).
// Each expected reason comes from the program's own meaning of its text (its source, binary or
// documentation: the `source` of the entry that decides it in src/classifier); the rule tables'
// own test checks each entry alone, this one checks that nothing earlier in the tiers shadows
// them once a report carries them (a generic "invalid user", "unable to relay", X.1.x code).
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { dsn } from '../helpers/ndr-builders.js';

interface Case {
  /** Whose text it is. */
  who: string;
  status: string;
  diagnostic: string;
  reason: string;
  hard?: boolean;
}

const CASES: Case[] = [
  // amavisd-new could not pass the checked message back to its MTA: not a relay refusal
  { who: 'amavisd-new CC_MTA', status: '5.3.5', diagnostic: '550 5.3.5 Reject, id=12345-01 - Unable to relay message back to MTA', reason: 'systemerror' },
  { who: 'amavisd-new CC_MTA', status: '4.3.5', diagnostic: '450 4.3.5 Reject, id=12345-01 - Temporary MTA failure on relaying', reason: 'systemerror' },
  { who: 'amavisd-new spam', status: '5.7.0', diagnostic: '554 5.7.0 Reject, id=12345-01 - spam', reason: 'spamdetected' },
  // Dovecot: the user's settings or the user database failed, the mailbox is not missing
  { who: 'Dovecot 2.0-2.2', status: '5.3.5', diagnostic: '550 5.3.5 <kijitora@example.jp> Invalid user settings. Refer to server log for more information.', reason: 'systemerror', hard: false },
  { who: 'Dovecot 2.3 LMTP', status: '4.3.0', diagnostic: '451 4.3.0 <kijitora@example.jp> Temporary user lookup failure', reason: 'systemerror' },
  // Exchange's transport codes, whatever the prose
  { who: 'Exchange', status: '5.1.4', diagnostic: '550 5.1.4 RESOLVER.ADR.Ambiguous; ambiguous address', reason: 'systemerror', hard: false },
  { who: 'Exchange', status: '5.7.1', diagnostic: '550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized', reason: 'rejected' },
  { who: 'Exchange', status: '5.4.4', diagnostic: '554 5.4.4 SMTPSEND.DNS.MxLoopback; DNS records for the destination domain are misconfigured to loop back', reason: 'networkerror', hard: false },
  { who: 'Exchange', status: '5.4.4', diagnostic: '554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain', reason: 'hostunknown', hard: true },
  // RFC 3463 X.1.4 without words: mailboxes exist, none is missing
  { who: 'RFC 3463', status: '5.1.4', diagnostic: '550 5.1.4 Destination mailbox address ambiguous', reason: 'filtered', hard: false },
  // Courier's esmtp client, HCL Domino
  { who: 'Courier', status: '5.0.0', diagnostic: "This domain's DNS violates RFC 1035.", reason: 'systemerror', hard: false },
  { who: 'Domino', status: '5.0.0', diagnostic: 'Several matches found in Domino Directory', reason: 'systemerror', hard: false },
  // Exim's parser, bash under a local delivery program
  { who: 'Exim', status: '5.0.0', diagnostic: 'angle-brackets nested too deep', reason: 'syntaxerror' },
  { who: 'bash under qmail-local', status: '5.0.0', diagnostic: '/home/u/.qmail: /usr/local/bin/filter: /usr/bin/perl: bad interpreter: No such file or directory', reason: 'mailererror', hard: false },
  // the sender named, a recipient's words
  { who: 'RFC 3463 X.1.8', status: '5.1.8', diagnostic: '550 5.1.8 Sender mailbox unavailable', reason: 'rejected', hard: false },
  { who: 'RFC 4954 535', status: '5.7.8', diagnostic: '535 5.7.8 Error: authentication failed: user unknown', reason: 'securityerror', hard: false },
];

describe('stock texts in a plain report', () => {
  for (const c of CASES) {
    it(`${c.who}: "${c.diagnostic}" is ${c.reason}`, async () => {
      const raw = await dsn({ text: 'Delivery failed.', recipients: [{ final: 'kijitora@example.jp', status: c.status, diagnostic: `smtp; ${c.diagnostic}` }] });
      const report = parseMessageSync(raw);
      const [v] = classify(report);
      expect(v?.reason).toBe(c.reason);
      if (c.hard !== undefined) expect(v?.hardbounce).toBe(c.hard);
    });
  }
});
