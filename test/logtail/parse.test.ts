import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLogLine, QID_RE, readStatus, type LogEvent } from '../../src/logtail/parse.js';
import { allStrings } from '../helpers/strings.js';
import { fixturesDir } from '../helpers/env.js';

const now = new Date(2026, 10, 23, 12, 0, 0).getTime(); // local time, like the log
const lines = readFileSync(join(fixturesDir, 'postfix', 'maillog.txt'), 'utf8').trim().split('\n');

describe('Postfix log line parser', () => {
  it('reads every status line of a real Postfix 3.7 log', () => {
    const events = lines.map((l) => parseLogLine(l, now));
    expect(events.every((e) => e !== null)).toBe(true);
    const statuses = events.filter((e): e is Extract<LogEvent, { type: 'delivery' }> => e?.type === 'delivery').map((e) => e.status);
    const count = (s: string) => statuses.filter((x) => x === s).length;
    // The same counts as `grep -o status=... maillog.txt | sort | uniq -c`.
    expect({ sent: count('sent'), deferred: count('deferred'), bounced: count('bounced'), expired: count('expired') }).toEqual({
      sent: 16,
      deferred: 18,
      bounced: 12,
      expired: 2,
    });
    expect(events.filter((e) => e?.type === 'from')).toHaveLength(lines.filter((l) => /: [0-9A-F]+: from=<[^>]*>, size=/.test(l)).length);
    expect(events.filter((e) => e?.type === 'ndr').length).toBeGreaterThan(0);
  });

  it('splits a bounced line into its fields, keeping the remote text whole', () => {
    const line = lines.find((l) => l.includes('to=<rcpt-550-5.1.1@reject.test>') && l.includes('status=bounced'))!;
    expect(parseLogLine(line, now)).toEqual({
      type: 'delivery',
      time: new Date(2026, 10, 23, 2, 44, 41).getTime(),
      qid: 'EED1F2168D3',
      service: 'smtp',
      to: 'rcpt-550-5.1.1@reject.test',
      origTo: null,
      from: null,
      relay: '127.0.0.1[127.0.0.1]:2527',
      dsn: '5.1.1',
      status: 'bounced',
      text: 'host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <rcpt-550-5.1.1@reject.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)',
    });
  });

  it('reads the whole-message expiry line with its sender', () => {
    const line = lines.find((l) => l.includes('status=expired'))!;
    expect(parseLogLine(line, now)).toMatchObject({ type: 'delivery', status: 'expired', to: null, from: 'bounces+s06-unreachable@bounces.test', text: 'returned to sender' });
  });

  it('reads Postfix 3.11 lines with tls= before dsn=, RFC 3339 stamps and instance names', () => {
    const l311 =
      '2026-11-23T10:15:02.123456+00:00 mx1 postfix-out/smtp[4242]: 4F2A11C0B3D: to=<ann@example.org>, orig_to=<Ann@Example.org>, relay=mx.example.org[192.0.2.7]:25, delay=1.2, delays=0.1/0/0.5/0.6, tls=TLSv1.3 with cipher TLS_AES_256_GCM_SHA384, dsn=2.0.0, status=sent (250 2.0.0 OK, queued (id 42))';
    expect(parseLogLine(l311, now)).toMatchObject({
      type: 'delivery',
      time: Date.parse('2026-11-23T10:15:02.123456+00:00'),
      qid: '4F2A11C0B3D',
      service: 'smtp',
      to: 'ann@example.org',
      origTo: 'ann@example.org',
      dsn: '2.0.0',
      status: 'sent',
      text: '250 2.0.0 OK, queued (id 42)',
    });
    expect(parseLogLine('Nov  3 01:02:03 mx postfix/submission/smtpd[7]: 3Tbz5T6Lh4z9vL0: client=x[192.0.2.1]', now)).toMatchObject({ type: 'other', service: 'smtpd' });
    expect(
      parseLogLine('Nov  3 01:02:03 mx postfix/smtp[7]: 3Tbz5T6Lh4z9vL0: to=<a@b.example>, relay=none, delay=0, dsn=4.4.1, status=deferred (connect to b.example: Connection refused)', now),
    ).toMatchObject({ type: 'delivery', qid: '3Tbz5T6Lh4z9vL0', status: 'deferred', dsn: '4.4.1' });
  });

  it('puts a December line read in January into last year', () => {
    const jan2 = new Date(2027, 0, 2, 0, 0, 0).getTime();
    const e = parseLogLine('Dec 31 23:59:59 mx postfix/qmgr[1]: ABCDEF123: removed', jan2);
    expect(new Date(e!.time).getFullYear()).toBe(2026);
  });

  it('returns null for lines that are not Postfix lines, and never throws on junk', () => {
    expect(parseLogLine('Nov 23 02:44:41 mta sshd[1]: Accepted publickey for root', now)).toBeNull();
    expect(parseLogLine('', now)).toBeNull();
    expect(parseLogLine('garbage \u0000\u00ff'.repeat(1000), now)).toBeNull();
  });
});

describe('the queue id and status patterns read as their earlier (quadratic) forms did', () => {
  // the forms before the linear rewrite, as references: same matches and same groups on every
  // short string over the characters that decide them (line breaks included)
  const OLD_QID = /^([0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}z[0-9A-Za-z]+): (.*)$/;
  const OLD_STATUS = /^status=(sent|deferred|bounced|expired)\b\s*(.*)$/;

  it('queue ids: the same id and rest', () => {
    const wrong: string[] = [];
    let n = 0;
    // a 9-character long-id head, then every string of up to 6 over the deciding characters
    for (const prefix of ['BCDFG0123', 'ABC12', '']) {
      for (const s of allStrings(['z', 'B', 'a', 'A', ':', ' ', '\r', '\u2028'], prefix ? 6 : 4, prefix)) {
        const old = OLD_QID.exec(s);
        const got = QID_RE.exec(s);
        if (String(old && [...old]) !== String(got && [...got]) || !old !== !got) wrong.push(s);
        n++;
      }
    }
    expect(wrong).toEqual([]);
    expect(n).toBeGreaterThan(300_000);
  });

  it('status: the same status and rest, and no match where the rest holds a line break', () => {
    const wrong: string[] = [];
    let n = 0;
    for (const prefix of ['status=sent', 'status=bounced']) {
      for (const s of allStrings([' ', '\t', 'x', '\n', '\r', '\u2028', '\u2029', ','], 6, prefix)) {
        const old = OLD_STATUS.exec(s);
        const got = readStatus(s);
        if (!old !== !got || (old && got && (old[1] !== got.status || old[2] !== got.rest))) wrong.push(s);
        n++;
      }
    }
    expect(wrong).toEqual([]);
    expect(n).toBeGreaterThan(500_000);
  });
});
