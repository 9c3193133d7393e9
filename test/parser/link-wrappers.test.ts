// Links a link-protection service rewrote read as the links they were (src/parser/mime/
// link-wrappers.ts): a connected inbox behind an organisation's gateway sees every link of a
// notice rewritten. Google Groups' notice is found by its help-centre link; rewritten, it lost
// its reason (the metamorphic harness's link-protection: 12 of 671 pairs). Its growth rate is
// checked in test/parser/linear.test.ts.
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { withoutLinkWrappers } from '../../src/parser/mime/link-wrappers.js';
import { parseMessageSync } from '../../src/parser/index.js';

const HELP = 'https://groups.google.com/support/';

const notice = (link: string) =>
  Buffer.from(
    [
      'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
      'To: bounces@sender.example.org',
      'Subject: Delivery Status Notification (Failure)',
      'X-Failed-Recipients: neko-group@example.org',
      'Content-Type: text/plain; charset=UTF-8',
      '',
      'Hello bounces@sender.example.org,',
      '',
      "We're writing to let you know that the group you tried to contact (neko-group) may not exist, or you may not have permission to post messages to the group. A few more details on why you weren't able to post:",
      '',
      ' * You might have spelled or formatted the group name incorrectly.',
      ' * You may need to join the group before receiving permission to post.',
      '',
      `If you have questions related to this or any other Google Group, visit the Help Center at ${link}.`,
      '',
      'Thanks,',
      '',
      'Google Groups',
      '',
    ].join('\r\n'),
  );

describe('link-protection wrappers', () => {
  const safeLinks = `https://eur03.safelinks.protection.outlook.com/?url=${encodeURIComponent(HELP)}&data=05%7C02%7C%7Cf3a1&sdata=x1&reserved=0`;
  const urlDefense = 'https://urldefense.proofpoint.com/v2/url?u=https-3A__groups.google.com_support_&d=DwMFaQ&c=abc&r=def&m=ghi&s=jkl&e=';
  const barracuda = `https://linkprotect.cudasvc.com/url?a=${encodeURIComponent(HELP)}&c=E,1,x1y2z3&typo=1`;

  it('Safe Links, URL Defense v2 and Barracuda give back the original link', () => {
    for (const w of [safeLinks, urlDefense, barracuda]) expect(withoutLinkWrappers(`visit ${w}.`)).toBe(`visit ${HELP}.`);
    // URL Defense v2 writes "-" and "_" of the original as -2D and -5F
    expect(withoutLinkWrappers('https://urldefense.proofpoint.com/v2/url?u=https-3A__mx.example-2Dnet.org_a-5Fb&d=x')).toBe('https://mx.example-net.org/a_b');
  });

  it('leaves opaque rewrites, broken encodings and anything but a web link as they are', () => {
    const kept = [
      'https://protect-eu.mimecast.com/s/AbCdEfGh?domain=groups.google.com',
      'https://eur03.safelinks.protection.outlook.com/?url=%E0%A4%A&data=1',
      `https://eur03.safelinks.protection.outlook.com/?url=${encodeURIComponent('mailto:help@example.org')}&data=1`,
      'https://example.org/?url=https%3A%2F%2Fgroups.google.com',
    ];
    for (const t of kept) expect(withoutLinkWrappers(t)).toBe(t);
  });

  it('a Google Groups notice whose help link was rewritten is the same notice', () => {
    const plain = classify(parseMessageSync(notice(HELP)));
    expect(plain.map((v) => [v.recipient, v.reason])).toEqual([['neko-group@example.org', 'rejected']]);
    for (const w of [safeLinks, urlDefense, barracuda]) {
      const r = parseMessageSync(notice(w));
      expect(r.detector).toBe('googlegroups');
      expect(classify(r).map((v) => [v.recipient, v.reason, v.status])).toEqual(plain.map((v) => [v.recipient, v.reason, v.status]));
    }
  });
});
