// Gmail's delay notice whatever its heading says (round 30). The heading of Gmail's current
// notices ("** Delivery incomplete **") is one of several Google has used; the notice says it is
// a delay in two more places: its Subject ("Delivery Status Notification (Delay)", the DSN
// subjects Google sends) and Google's own sentence under the heading ("Gmail will retry for 46
// more hours"). With another heading either one keeps it a delay (pending), not a failure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { fixturesDir } from '../helpers/env.js';

const raw = readFileSync(join(fixturesDir, 'providers/gmail-current-delay-text-only.eml'), 'latin1');

function read(text: string) {
  const report = parseMessageSync(Buffer.from(text, 'latin1'));
  return { kind: report.kind, detector: report.detector, records: classify(report).map((v) => [v.recipient, v.action, v.type]) };
}

describe('a Gmail delay notice under another heading', () => {
  const other = raw.replace('** Delivery incomplete **', '** Message not delivered yet **');
  it.each([
    ['the heading alone changed (Subject and sentence say delay)', other],
    ['the Subject says Failure, the sentence says Gmail will retry', other.replace('Subject: Delivery Status Notification (Delay)', 'Subject: Delivery Status Notification (Failure)')],
    ['no retry sentence, the Subject says Delay', other.replace(/Gmail will retry for 46 more hours\. You'll=\r?\n be notified if the delivery fails permanently\./, 'See the response below.')],
  ])('%s', (_, text) => {
    expect(text).not.toBe(raw);
    expect(read(text)).toEqual({ kind: 'delay', detector: 'gmail', records: [['kijitora@example.net', 'delayed', 'pending']] });
  });

  it('a failure notice with the same frame stays a failure', () => {
    const failed = raw
      .replace('** Delivery incomplete **', '** Message not delivered **')
      .replace('Subject: Delivery Status Notification (Delay)', 'Subject: Delivery Status Notification (Failure)')
      .replace(/Gmail will retry for 46 more hours\. You'll=\r?\n be notified if the delivery fails permanently\./, 'See the response below.');
    expect(read(failed)).toEqual({ kind: 'bounce', detector: 'gmail', records: [['kijitora@example.net', 'failed', 'soft']] });
  });
});
