// Formats of the gen9 round of the generated corpus (issue #13, Round 13b), read in place from
// fixtures/generated: the senders' bounces for mail refused by the stock filters of self-hosted
// stacks in front of the receiving Postfix: amavisd-new as a before-queue proxy (its own reply
// to DATA), spamass-milter with spamd, Postfix's own header_checks / body_checks,
// postscreen's DNSBL check, anvil's client message rate limit, reject_unknown_sender_domain,
// reject_unknown_helo_hostname. Expected answers: the documented meaning of each filter's stock reply
// (fixtures/generated/recv-cases-gen9.mjs), never what bounced answered.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';

const dir = fileURLToPath(new URL('../../fixtures/generated/', import.meta.url));
const SENDERS = ['postfix', 'exim', 'sendmail'];
const filesOf = (mta: string, caseId: string) =>
  existsSync(join(dir, mta)) ? readdirSync(join(dir, mta)).filter((f) => f.includes(`-${caseId}--failed.eml`)).map((f) => `${mta}/${f}`) : [];
const raw = (file: string) => readFileSync(join(dir, file)).toString('latin1').replace(/\s+/g, ' ');
const verdicts = (file: string) => classify(parseMessageSync(readFileSync(join(dir, file))));
// the case's own message (one recipient) and the message to three recipients that carried the same content
const rows = () => JSON.parse(`[${readFileSync(join(dir, 'expected.jsonl'), 'utf8').trim().split('\n').join(',')}]`) as { file: string; recipient: string; case: string }[];

describe('amavisd-new before the receiving Postfix (smtpd_proxy_filter): its reply to DATA', () => {
  it.each(SENDERS)('"Reject, id=... - BANNED: <part>" (%s-to-amavis): the site\'s banned file names, a policy, not a block of the host', (m) => {
    const f = filesOf(`${m}-to-amavis`, 'recv-amavis-banned');
    expect(f).toHaveLength(1);
    expect(raw(f[0])).toMatch(/554 5\.7\.0 Reject, id=\d+-\d+ - BANNED: .*invoice-2026-0142\.exe/);
    expect(verdicts(f[0])).toHaveLength(1);
    expect(verdicts(f[0])[0]).toMatchObject({ status: '5.7.0', reason: 'policyviolation', hardbounce: false });
  });
  it.each(SENDERS)('"Reject, id=... - INFECTED: <name>" (%s-to-amavis): the virus scanner\'s find, whatever the name', (m) => {
    const f = filesOf(`${m}-to-amavis`, 'recv-amavis-virus');
    expect(f).toHaveLength(1);
    expect(raw(f[0])).toMatch(/554 5\.7\.0 Reject, id=\d+-\d+ - INFECTED: Bounced\.Test\.Attachment\.UNOFFICIAL/);
    expect(verdicts(f[0])[0]).toMatchObject({ status: '5.7.0', reason: 'virusdetected', hardbounce: false });
  });
  it.each(SENDERS)('"Reject, id=... - spam" (%s-to-amavis): SpamAssassin\'s verdict through amavis', (m) => {
    const f = filesOf(`${m}-to-amavis`, 'recv-amavis-spam');
    expect(f).toHaveLength(1);
    expect(raw(f[0])).toMatch(/554 5\.7\.0 Reject, id=\d+-\d+ - spam/);
    expect(verdicts(f[0])[0]).toMatchObject({ status: '5.7.0', reason: 'spamdetected', hardbounce: false });
  });
  it('a banned message to three recipients: one record per recipient, each the policy', () => {
    const multi = rows().filter((r) => /-to-amavis\/.*recv-multi-data/.test(r.file) && r.case === 'recv-amavis-banned');
    expect(multi.length).toBeGreaterThanOrEqual(6);
    for (const file of new Set(multi.map((r) => r.file))) {
      const got = verdicts(file);
      expect(got.map((v) => v.recipient).sort()).toEqual(multi.filter((r) => r.file === file).map((r) => r.recipient).sort());
      for (const v of got) expect(v).toMatchObject({ reason: 'policyviolation', hardbounce: false });
    }
  });
});

describe('spamass-milter and Postfix\'s own content checks on the receiving Postfix', () => {
  it.each(SENDERS)('spamass-milter -r 15 on GTUBE (%s-to-pfchecks): its stock "5.7.1 Blocked by SpamAssassin" is spam', (m) => {
    const f = filesOf(`${m}-to-pfchecks`, 'recv-spamass-gtube');
    expect(f).toHaveLength(1);
    expect(raw(f[0])).toMatch(/550 5\.7\.1 Blocked by SpamAssassin/);
    expect(verdicts(f[0])[0]).toMatchObject({ status: '5.7.1', reason: 'spamdetected', hardbounce: false });
  });
  it.each(SENDERS)('header_checks and body_checks REJECT without text (%s-to-pfchecks): cleanup\'s "5.7.1 message content rejected"', (m) => {
    for (const id of ['recv-pf-header-check', 'recv-pf-body-check']) {
      const f = filesOf(`${m}-to-pfchecks`, id);
      expect(f).toHaveLength(1);
      expect(raw(f[0])).toMatch(/550 5\.7\.1 message content rejected/);
      expect(verdicts(f[0])[0]).toMatchObject({ status: '5.7.1', reason: 'spamdetected', hardbounce: false });
    }
  });
});

describe('postscreen in front of the receiving smtpd (postscreen_dnsbl_action = enforce)', () => {
  it.each(SENDERS)('its 550 at each RCPT (%s-to-postscreen): "Service unavailable; client [ip] blocked using <zone>", the sending host is listed', (m) => {
    const all = rows().filter((r) => r.file.startsWith(`${m}-to-postscreen/`));
    expect(all.length).toBe(6);
    for (const file of new Set(all.map((r) => r.file))) {
      expect(raw(file)).toMatch(/550 5\.7\.1 Service unavailable; client \[127\.0\.2\.1\] blocked using bl\.dnsbl\.test/);
      const got = verdicts(file);
      expect(got.map((v) => v.recipient).sort()).toEqual(all.filter((r) => r.file === file).map((r) => r.recipient).sort());
      for (const v of got) expect(v).toMatchObject({ status: '5.7.1', reason: 'blocked', hardbounce: false });
    }
  });
});

describe('anvil\'s client message rate limit (smtpd_client_message_rate_limit): smtpd\'s deferral at MAIL FROM', () => {
  it('"450 4.7.1 Error: too much mail from <client>", on delay notices and on the final failures: a rate limit, never hard', () => {
    const all = rows().filter((r) => /^(postfix|exim|sendmail)-to-pfrate\//.test(r.file));
    // (which messages the limit let through depends on their order: at least one sender's files)
    expect(all.length).toBeGreaterThan(0);
    const kinds = new Set<string>();
    for (const file of new Set(all.map((r) => r.file))) {
      expect(raw(file)).toMatch(/450 4\.7\.1 Error: too much mail from 127\.0\.2\.1/);
      kinds.add(file.replace(/^.*--/, ''));
      const got = verdicts(file);
      expect(got.map((v) => v.recipient).sort()).toEqual(all.filter((r) => r.file === file).map((r) => r.recipient).sort());
      for (const v of got) expect(v).toMatchObject({ status: '4.7.1', reason: 'ratelimited', hardbounce: false });
    }
    expect([...kinds].sort()).toEqual(['delayed.eml', 'failed.eml']);
  });
});

describe('reject_unknown_sender_domain: the ENVELOPE SENDER\'s domain does not resolve', () => {
  it('"450 4.1.8 <sender>: Sender address rejected: Domain not found": the sender refused, never an unknown host of the recipient, never hard', () => {
    const all = rows().filter((r) => /^(postfix|exim|sendmail)-to-pfsender\//.test(r.file));
    expect(all.length).toBeGreaterThan(0);
    const kinds = new Set<string>();
    for (const file of new Set(all.map((r) => r.file))) {
      expect(raw(file)).toMatch(/450 4\.1\.8 <bounces\+[a-z]+-to-pfsender-\d+@sink\.test>: Sender address rejected: Domain not found/);
      kinds.add(file.replace(/^.*--/, ''));
      const got = verdicts(file);
      expect(got.map((v) => v.recipient).sort()).toEqual(all.filter((r) => r.file === file).map((r) => r.recipient).sort());
      for (const v of got) expect(v).toMatchObject({ status: '4.1.8', reason: 'rejected', hardbounce: false });
    }
    expect([...kinds].sort()).toEqual(['delayed.eml', 'failed.eml']);
  });
});

describe('reject_unknown_helo_hostname: the sending host\'s HELO name does not resolve', () => {
  it('"450 4.7.1 <helo name>: Helo command rejected: Host not found": the sending host refused, not the recipient\'s domain unknown, never hard', () => {
    const all = rows().filter((r) => /^(postfix|exim|sendmail)-to-pfhelo\//.test(r.file));
    expect(all.length).toBeGreaterThan(0);
    const kinds = new Set<string>();
    for (const file of new Set(all.map((r) => r.file))) {
      expect(raw(file)).toMatch(/450 4\.7\.1 <mta-[a-z]+\.example\.org>: Helo command rejected: Host not found/);
      kinds.add(file.replace(/^.*--/, ''));
      const got = verdicts(file);
      expect(got.map((v) => v.recipient).sort()).toEqual(all.filter((r) => r.file === file).map((r) => r.recipient).sort());
      for (const v of got) expect(v).toMatchObject({ status: '4.7.1', reason: 'blocked', hardbounce: false });
    }
    expect([...kinds].sort()).toEqual(['delayed.eml', 'failed.eml']);
  });
});
