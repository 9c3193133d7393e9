// The returned message's body says nothing about this report (round 30; issue #13, harm 1). A
// sender's message can itself be about another failure: it quotes a bounce it got ("> " marks)
// or holds one as a client forwards it (no marks), DSN fields included. Below a plain notice,
// after the notice's copy marker ("------- Returned Message --------", "--- Original message
// follows."), those fields were read as this report's own and recorded the address they name.
// Each case is a real fixture with such a body pasted under its original's first line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { fixturesDir } from '../helpers/env.js';

const OTHER = 'old.friend@elsewhere.example';
const forwarded = (mark: string) =>
  [
    '',
    mark + '-----Original Message-----',
    mark + 'From: Mail Delivery Subsystem <mailer-daemon@relay.example>',
    mark + 'Subject: Undelivered Mail Returned to Sender',
    mark,
    mark + `${OTHER}: host mx.elsewhere.example[192.0.2.61] said: 550 5.1.1 <${OTHER}>:`,
    mark + '    Recipient address rejected: User unknown in virtual mailbox table',
    mark,
    mark + `Final-Recipient: rfc822; ${OTHER}`,
    mark + 'Action: failed',
    mark + 'Status: 5.1.1',
    '',
  ].join('\n');

const records = (raw: string) => classify(parseMessageSync(Buffer.from(raw, 'latin1'))).map((v) => [v.recipient, v.reason, v.status]);

describe("a failure notice inside the returned message's body", () => {
  it.each([
    ['families-b/notes-hop-count.eml', '> '],
    ['families-b/notes-hop-count.eml', ''],
    ['families-b/x2-two-recipients.eml', '> '],
    ['families-b/x2-two-recipients.eml', ''],
  ])('%s, the notice quoted with "%s"', (fixture, mark) => {
    const raw = readFileSync(join(fixturesDir, fixture), 'latin1');
    const first = raw.indexOf('\nHello team,\n');
    expect(first, `${fixture} still holds its original's first line`).toBeGreaterThan(0);
    const noisy = raw.slice(0, first + 12) + forwarded(mark) + raw.slice(first + 12);
    const want = records(raw);
    expect(want.length).toBeGreaterThan(0);
    expect(records(noisy)).toEqual(want);
  });
});
