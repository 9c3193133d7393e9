// The scenarios over real SQLite and real SMTP: DSNs and ARF reports sent with
// nodemailer to a real listener, processed by the real pipeline with the policy rules
// attached by openPipeline. Time is the wall clock for the reports and passed in (`now`)
// for the questions; nothing sleeps.
import { afterEach, describe, expect, it } from 'vitest';
import { nextMonth, world, type World } from '../helpers/world.js';

let worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds) await w.close();
  worlds = [];
});
async function open(overrides: Record<string, unknown> = {}): Promise<World> {
  const w = await world(overrides);
  worlds.push(w);
  return w;
}

const APPEAL = {
  importedOptOutList: true,
  cleanedLists: true,
  mailedWithinYear: true,
  contactsSource: 'sign-up form on our shop, double opt-in',
  message: 'We removed every address that bounced.',
};

describe('monthly limits', () => {
  it('1,000 sends and 51 hard bounces in a month: suspended, every pre-send check says do not send', async () => {
    const w = await open();
    await w.policy.createAccount({ id: 'acme', tier: 'starter', contactEmail: 'Owner@Acme.example' }, 'test', Date.now());
    await w.sends('acme', 1000);
    await w.bounces('acme', 51);
    const now = Date.now();
    const h = (await w.policy.health('acme', now))!;
    expect(h.status).toBe('suspended');
    expect(h.suspension).toBe('rates');
    expect(h.rates.hardBounce).toMatchObject({ count: 51, sends: 1000, rate: 0.051, limit: 0.05 });
    expect(h.banner).toMatch(/suspended/);
    expect(h.canAppeal).toBe(true);
    const d = await w.policy.checkSend('acme', 'somebody-new@example.org', now);
    expect(d.send).toBe(false);
    expect(d.reasons[0]).toMatchObject({ code: 'account_suspended', scope: 'account' });
    // Suspended once, in the transaction of the 51st bounce: one event, one audit row, one mail.
    expect(await w.events('account.suspended')).toHaveLength(1);
    expect((await w.audit('acme')).filter((a) => a.action === 'account.suspend')).toHaveLength(1);
    expect((await w.notifications('acme')).map((n) => [n.kind, n.recipient])).toContainEqual(['suspension', 'owner@acme.example']);
  });

  it('49 hard bounces in 1,000: warned at the configured level, still sending, with a banner that says why', async () => {
    const w = await open();
    await w.policy.createAccount({ id: 'acme', tier: 'starter', contactEmail: 'owner@acme.example' }, 'test', Date.now());
    await w.sends('acme', 1000);
    await w.bounces('acme', 49);
    const h = (await w.policy.health('acme', Date.now()))!;
    expect(h.status).toBe('warning');
    expect(h.rates.hardBounce.rate).toBeCloseTo(0.049);
    expect(h.rates.hardBounce.warnAt).toBeCloseTo(0.04);
    expect(h.banner).toContain('hard-bounce rate 4.9 %');
    expect(h.banner).toContain('5.0 %');
    expect(h.recommendations.join(' ')).toMatch(/Clean your list/);
    expect((await w.policy.checkSend('acme', 'fresh@example.org', Date.now())).send).toBe(true);
    expect(await w.events('account.warning')).toHaveLength(1); // announced once, not per bounce
    expect(await w.events('account.suspended')).toHaveLength(0);
  });

  it('2 spam complaints (ARF, abuse) in 1,000 sends suspend; a not-spam report counts nothing', async () => {
    const w = await open();
    await w.policy.createAccount({ id: 'acme', tier: 'professional' }, 'test', Date.now());
    await w.sends('acme', 1000);
    await w.complaint('acme', 'm-1', 'ann@example.org', 'not-spam');
    expect((await w.policy.health('acme', Date.now()))!.rates.complaint.count).toBe(0);
    await w.complaint('acme', 'm-1', 'ann@example.org');
    await w.complaint('acme', 'm-2', 'bob@example.org');
    const h = (await w.policy.health('acme', Date.now()))!;
    expect(h.rates.complaint).toMatchObject({ count: 2, rate: 0.002, limit: 0.001 });
    expect(h.status).toBe('suspended');
    expect(await w.events('complaint')).toHaveLength(2);
    // The complainers are suppressed for the account.
    expect((await w.policy.checkSend('acme', 'ann@example.org', Date.now())).reasons.map((r) => r.code)).toContain('complaint');
  });

  it('below the minimum volume the rates do not count', async () => {
    const w = await open();
    await w.policy.createAccount({ id: 'small', tier: 'starter' }, 'test', Date.now());
    await w.sends('small', 100);
    await w.bounces('small', 20);
    const h = (await w.policy.health('small', Date.now()))!;
    expect(h.status).toBe('ok');
    expect(h.rates.hardBounce).toMatchObject({ count: 20, sends: 100, rate: 0 });
  });

  it('a new month starts clean: last month\'s warning is gone, a suspension stays until reinstated', async () => {
    const w = await open();
    await w.policy.createAccount({ id: 'warned', tier: 'starter' }, 'test', Date.now());
    await w.policy.createAccount({ id: 'suspended', tier: 'starter' }, 'test', Date.now());
    await w.sends('warned', 1000);
    await w.sends('suspended', 1000);
    await w.bounces('warned', 45, 'unknown_user', 'w');
    await w.bounces('suspended', 60, 'unknown_user', 's');
    expect((await w.policy.health('warned', Date.now()))!.status).toBe('warning');
    const next = nextMonth(Date.now());
    const hw = (await w.policy.health('warned', next))!;
    expect(hw.status).toBe('ok');
    expect(hw.month).toBe(new Date(next).toISOString().slice(0, 7));
    expect(hw.rates.hardBounce).toMatchObject({ count: 0, sends: 0, rate: 0 });
    const hs = (await w.policy.health('suspended', next))!;
    expect(hs.rates.hardBounce.count).toBe(0);
    expect(hs.status).toBe('suspended');
    // The suppressions stay whatever the month.
    expect((await w.policy.checkSend('warned', 'w0@example.org', next)).reasons.map((r) => r.code)).toEqual(['hard_bounce']);
  });
});

describe('suppression', () => {
  it('three accounts hard-bouncing the same address make it global; a fourth account\'s pre-send check refuses it', async () => {
    const w = await open();
    const dead = 'Gone@Example.org';
    await w.bounce('a1', 'm-1', dead, 'unknown_user');
    await w.bounce('a2', 'm-1', dead, 'mailbox_full');
    expect((await w.policy.checkSend('a4', dead, Date.now())).send).toBe(true); // two accounts: not yet
    await w.bounce('a3', 'c9/m-7', dead, 'unknown_user');
    const d = await w.policy.checkSend('a4', dead, Date.now());
    expect(d.send).toBe(false);
    // a4 never mailed it: the global suppression, no hard bounce of its own.
    expect(d.reasons).toEqual([expect.objectContaining({ code: 'global_bounce', scope: 'global' })]);
    expect((await w.policy.checkSend('a1', dead, Date.now())).reasons.map((r) => `${r.code}/${r.scope}`)).toEqual(['hard_bounce/account', 'global_bounce/global']);
    expect(await w.events('suppression.global')).toHaveLength(1);
    expect((await w.policy.listSuppressions({ accountId: 'a4' })).items).toEqual([expect.objectContaining({ accountId: null, address: 'gone@example.org', reason: 'global_bounce' })]);
  });

  it('policy bounces do not make an address global (not an address reason)', async () => {
    const w = await open();
    for (const a of ['p1', 'p2', 'p3']) await w.bounce(a, 'm-1', 'ann@example.org', 'policy');
    expect((await w.policy.checkSend('p4', 'ann@example.org', Date.now())).send).toBe(true);
  });

  it('unbounce lifts only the account\'s own suppression, never a global one, and is audited', async () => {
    const w = await open();
    for (const a of ['a1', 'a2', 'a3']) await w.bounce(a, 'm-1', 'gone@example.org');
    await w.bounce('a1', 'm-2', 'allowlisted@example.org');
    const now = Date.now();
    expect(await w.policy.removeSuppression('a1', 'allowlisted@example.org', 'support:jo', 'contact allowlisted our IPs', now)).toBe(true);
    expect((await w.policy.checkSend('a1', 'allowlisted@example.org', now)).send).toBe(true);
    // The global suppression stays: only a1's own reason goes.
    expect(await w.policy.removeSuppression('a1', 'gone@example.org', 'support:jo', 'asked', now)).toBe(true);
    expect((await w.policy.checkSend('a1', 'gone@example.org', now)).reasons.map((r) => r.code)).toEqual(['global_bounce']);
    expect(await w.policy.removeSuppression('a1', 'gone@example.org', 'support:jo', 'again', now)).toBe(false);
    expect((await w.policy.checkSend('a2', 'gone@example.org', now)).reasons.map((r) => r.code)).toEqual(['hard_bounce', 'global_bounce']);
    const audit = (await w.audit('a1')).filter((a) => a.action === 'suppression.unbounce');
    expect(audit).toEqual([
      expect.objectContaining({ actor: 'support:jo', at: now, subject: 'allowlisted@example.org', detail: { why: 'contact allowlisted our IPs', reasons: ['hard_bounce'] } }),
      expect.objectContaining({ subject: 'gone@example.org' }),
    ]);
  });

  it('an unsubscribe or a complaint cannot be unbounced', async () => {
    const w = await open();
    await w.complaint('acme', 'm-1', 'ann@example.org');
    expect(await w.policy.removeSuppression('acme', 'ann@example.org', 'x', 'why', Date.now())).toBe(false);
    expect((await w.policy.checkSend('acme', 'ann@example.org', Date.now())).send).toBe(false);
  });

  it('soft bounces do not suppress; forged tokens never do; suppression is by address', async () => {
    const w = await open();
    // A forged token: right shape, wrong MAC.
    const genuine = w.returnPath('acme', 'm-1', 'victim@example.org');
    const forged = genuine.replace(/\.([a-z2-7])/, (_m, c: string) => `.${c === 'a' ? 'b' : 'a'}`);
    const { dsn } = await import('../helpers/policy-mail.js');
    await w.deliver(forged, await dsn({ returnPath: forged, recipient: 'victim@example.org', failure: 'unknown_user', n: 'forged' }));
    expect(await w.store.bounces.list({ recipient: 'victim@example.org' })).toEqual([expect.objectContaining({ verified: false, accountId: null })]);
    expect((await w.policy.checkSend('acme', 'victim@example.org', Date.now())).send).toBe(true);
    // Suppression is by address, whatever the case the sender writes it in.
    await w.bounce('acme', 'm-2', 'Carl@Example.org');
    expect((await w.policy.checkSend('acme', 'CARL@example.ORG', Date.now())).send).toBe(false);
  });

  it('one-to-one bounces are recorded and shown but suppress nothing and do not count', async () => {
    const w = await open();
    await w.policy.createAccount({ id: 'acme', tier: 'starter' }, 'test', Date.now());
    await w.sends('acme', 1000);
    await w.bounces('acme', 0);
    await w.bounce('acme', 'o2o:crm-1', 'lead@example.org');
    expect(await w.store.deliveries.list({ accountId: 'acme' })).toEqual([expect.objectContaining({ messageId: 'o2o:crm-1', state: 'hard' })]);
    expect((await w.policy.checkSend('acme', 'lead@example.org', Date.now())).send).toBe(true);
    expect((await w.policy.health('acme', Date.now()))!.rates.hardBounce.count).toBe(0);
  });
});

describe('profiles', () => {
  it('a policy bounce suppresses under default, counts against the account under conservative; a profile change replays', async () => {
    const w = await open();
    const now = Date.now();
    await w.policy.createAccount({ id: 'def', tier: 'starter' }, 'test', now);
    await w.policy.createAccount({ id: 'con', tier: 'starter', profile: 'conservative' }, 'test', now);
    await w.bounce('def', 'm-1', 'ann@example.org', 'policy');
    await w.bounce('con', 'm-1', 'ann@example.org', 'policy');
    await w.bounce('con', 'm-2', 'gone@example.org', 'unknown_user');
    expect((await w.policy.checkSend('def', 'ann@example.org', now)).reasons.map((r) => r.code)).toEqual(['hard_bounce']);
    expect((await w.policy.checkSend('con', 'ann@example.org', now)).send).toBe(true);
    expect((await w.policy.checkSend('con', 'gone@example.org', now)).send).toBe(false); // address reasons still suppress
    const h = (await w.policy.health('con', now))!;
    expect(h.figures!.senderFailures).toBe(1);
    expect(h.rates.hardBounce.count).toBe(2); // both count against the account
    expect(h.recommendations.join(' ')).toMatch(/SPF, DKIM and DMARC/);

    // Replay from the stored failures: default -> conservative lifts, and back re-suppresses.
    await w.policy.updateAccount('def', { profile: 'conservative' }, 'admin', now + 1);
    expect((await w.policy.checkSend('def', 'ann@example.org', now)).send).toBe(true);
    await w.policy.updateAccount('def', { profile: 'default' }, 'admin', now + 2);
    expect((await w.policy.checkSend('def', 'ann@example.org', now)).send).toBe(false);
    // An unbounce survives a replay (the failures it lifted are older than it).
    const later = Date.now() + 1000;
    await w.policy.removeSuppression('def', 'ann@example.org', 'support', 'allowlisted', later);
    await w.policy.updateAccount('def', { profile: 'conservative' }, 'admin', later + 1);
    await w.policy.updateAccount('def', { profile: 'default' }, 'admin', later + 2);
    expect((await w.policy.checkSend('def', 'ann@example.org', later)).send).toBe(true);
  });
});

describe('unsubscribes', () => {
  it('mail to the List-Unsubscribe mailto: address unsubscribes, whatever it says, and is never a bounce', async () => {
    const w = await open();
    const h = w.policy.unsubscribeHeaders('acme', 'spring/m-1', 'Ann@Example.org');
    expect(h['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const mailto = /<mailto:([^>]+)>/.exec(h['List-Unsubscribe'])![1]!;
    expect(mailto).toMatch(/^u\+[a-z2-7]+\.[a-z2-7]+@bounces\.test$/);
    await w.deliver(mailto, Buffer.from('From: ann@example.org\r\nTo: x\r\nSubject: unsubscribe\r\n\r\n550 5.1.1 user unknown\r\n'));
    expect(await w.store.bounces.list({})).toEqual([]);
    const d = await w.policy.checkSend('acme', 'ann@example.org', Date.now());
    expect(d.reasons.map((r) => r.code)).toEqual(['unsubscribe']);
    expect(await w.events('unsubscribe')).toHaveLength(1);
    // The same message again (or the one-click too) counts once.
    const url = /<(http[^>]+)>/.exec(h['List-Unsubscribe'])![1]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:8025\/v1\/unsubscribe\/[a-z2-7]+\.[a-z2-7]+$/);
    expect(await w.policy.unsubscribe(url.split('/').pop()!, Date.now())).toEqual({ ok: true, accountId: 'acme', address: 'ann@example.org' });
    expect(await w.events('unsubscribe')).toHaveLength(1);
  });

  it('one-click: a token for another prefix domain or with a bad MAC is refused', async () => {
    const w = await open();
    const token = w.verp.unsubscribeToken({ account: 'acme', message: 'm-1', recipient: 'bob@example.org' });
    const bad = token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a');
    expect(await w.policy.unsubscribe(bad, Date.now())).toMatchObject({ ok: false });
    // A bounce return path is not an unsubscribe token (its own MAC domain).
    const bounceToken = w.returnPath('acme', 'm-1', 'bob@example.org').split('+')[1]!.split('@')[0]!;
    expect(await w.policy.unsubscribe(bounceToken, Date.now())).toMatchObject({ ok: false, error: 'bad-signature' });
    expect((await w.policy.checkSend('acme', 'bob@example.org', Date.now())).send).toBe(true);
    await w.sends('acme', 1000);
    await w.policy.createAccount({ id: 'acme', tier: 'starter' }, 'test', Date.now());
    expect(await w.policy.unsubscribe(token, Date.now())).toMatchObject({ ok: true });
    expect((await w.policy.health('acme', Date.now()))!.rates.unsubscribe.count).toBe(1);
  });
});

describe('campaigns, blocklists, spam traps, abuse, review', () => {
  it('the canary cancels a campaign whose first sends bounce past the limit; three cancelled campaigns suspend', async () => {
    const w = await open({ policy: { canarySends: 20 } });
    await w.policy.createAccount({ id: 'acme', tier: 'starter' }, 'test', Date.now());
    await w.sends('acme', 100_000); // the monthly rates hold
    for (const [i, c] of ['c1', 'c2', 'c3'].entries()) {
      await w.bounce('acme', `${c}/m-1`, `a${i}@example.org`);
      expect((await w.policy.checkSend('acme', 'new@example.org', Date.now(), { campaign: c })).send).toBe(true); // 1 of 20: 5 %, not past
      await w.bounce('acme', `${c}/m-2`, `b${i}@example.org`);
      const d = await w.policy.checkSend('acme', 'new@example.org', Date.now(), { campaign: c });
      expect(d.reasons.map((r) => r.code)).toContain('campaign_cancelled');
      if (i === 0) {
        const h = (await w.policy.health('acme', Date.now()))!;
        expect(h.status).toBe('warning');
        expect(h.banner).toMatch(/campaign/);
      }
    }
    const h = (await w.policy.health('acme', Date.now()))!;
    expect(h.status).toBe('suspended');
    expect(h.suspension).toBe('campaigns');
    expect(h.rates.hardBounce.rate).toBeLessThan(0.001);
  });

  it('blocklisting bounces warn, and past the configured count suspend', async () => {
    const w = await open({ policy: { blocklistSuspendCount: 2 } });
    await w.policy.createAccount({ id: 'acme', tier: 'starter' }, 'test', Date.now());
    await w.sends('acme', 10_000);
    await w.bounce('acme', 'm-1', 'ann@example.org', 'blocked');
    expect((await w.policy.health('acme', Date.now()))!).toMatchObject({ status: 'warning' });
    await w.bounce('acme', 'm-2', 'bob@example.org', 'blocked');
    expect((await w.policy.health('acme', Date.now()))!).toMatchObject({ status: 'suspended', suspension: 'blocklist' });
  });

  it('mail to a spam trap suspends for fraud (both channels), whatever the rates', async () => {
    const w = await open({ policy: { spamTraps: ['Trap@Example.net'] } });
    await w.policy.createAccount({ id: 'acme', tier: 'enterprise' }, 'test', Date.now());
    await w.sends('acme', 100_000);
    await w.bounce('acme', 'm-1', 'trap@example.net', 'mailbox_full');
    const h = (await w.policy.health('acme', Date.now()))!;
    expect(h).toMatchObject({ status: 'suspended', suspension: 'fraud', channel: { marketing: 'suspended', oneToOne: 'suspended' } });
    expect((await w.policy.checkSend('acme', 'x@example.org', Date.now(), { channel: 'one_to_one' })).send).toBe(false);
  });

  it('a direct complaint to the abuse desk can suspend at once', async () => {
    const w = await open();
    await w.policy.createAccount({ id: 'acme', tier: 'starter' }, 'test', Date.now());
    await w.policy.recordAbuseReport('acme', 'complaint from postmaster@isp.example', true, 'admin:kim', Date.now());
    expect((await w.policy.health('acme', Date.now()))!).toMatchObject({ status: 'suspended', suspension: 'abuse' });
  });

  it('one-to-one sending can be suspended on its own; marketing goes on', async () => {
    const w = await open();
    const now = Date.now();
    await w.policy.createAccount({ id: 'acme', tier: 'starter' }, 'test', now);
    await w.policy.suspendChannel('acme', 'one_to_one', 'connected inbox sent 3,000 cold mails in an hour', 'admin:kim', now);
    expect((await w.policy.checkSend('acme', 'x@example.org', now, { channel: 'one_to_one' })).send).toBe(false);
    expect((await w.policy.checkSend('acme', 'x@example.org', now)).send).toBe(true);
    const filed = await w.policy.fileAppeal('acme', { ...APPEAL, channel: 'one_to_one' }, now);
    expect(filed.ok).toBe(true);
    expect((await w.policy.decideAppeal((filed as { appealId: number }).appealId, 'reinstate', 'inbox disconnected', 'admin:kim', now)).ok).toBe(true);
    expect((await w.policy.checkSend('acme', 'x@example.org', now, { channel: 'one_to_one' })).send).toBe(true);
  });

  it('review: marketing locked until the form is submitted and approved; the banner follows', async () => {
    const w = await open({ policy: { reviewNewAccounts: true } });
    const now = Date.now();
    await w.policy.createAccount({ id: 'new', tier: 'trial' }, 'test', now);
    expect((await w.policy.checkSend('new', 'x@example.org', now)).reasons.map((r) => r.code)).toEqual(['account_under_review']);
    expect((await w.policy.health('new', now))!.banner).toMatch(/held for review/);
    expect((await w.policy.submitReview('new', { contactsSource: 'webinar sign-ups', emailPurpose: 'monthly newsletter' }, now)).ok).toBe(true);
    expect((await w.policy.health('new', now))!.banner).toMatch(/received your form/);
    expect((await w.policy.decideReview('new', 'approve', 'looks fine', 'admin:kim', now)).ok).toBe(true);
    expect((await w.policy.health('new', now))!.status).toBe('ok');
    expect((await w.policy.checkSend('new', 'x@example.org', now)).send).toBe(true);
  });
});

describe('appeals', () => {
  async function suspended(tier: 'free' | 'starter' | 'legacy-basic') {
    const w = await open();
    await w.policy.createAccount({ id: 'acme', tier, contactEmail: 'owner@acme.example' }, 'test', Date.now());
    await w.sends('acme', 1000);
    await w.bounces('acme', 60);
    expect((await w.policy.health('acme', Date.now()))!.status).toBe('suspended');
    return w;
  }

  it('a free account\'s appeal is refused; its marketing stays locked', async () => {
    const w = await suspended('free');
    expect(await w.policy.fileAppeal('acme', APPEAL, Date.now())).toEqual({ ok: false, code: 'free_tier', error: expect.stringMatching(/free accounts cannot appeal/) });
    const h = (await w.policy.health('acme', Date.now()))!;
    expect(h.canAppeal).toBe(false);
    expect(h.banner).toMatch(/Free accounts cannot appeal/);
  });

  it('a legacy plan is not offered the form: its primary contact gets a mail from the deliverability team', async () => {
    const w = await suspended('legacy-basic');
    expect(await w.policy.fileAppeal('acme', APPEAL, Date.now())).toMatchObject({ ok: false, code: 'legacy_tier', error: expect.stringMatching(/legacy/) });
    expect((await w.notifications('acme')).map((n) => n.kind)).toContain('outreach');
  });

  it('a paid account\'s appeal, reinstated, keeps its suppressions; one appeal at a time; all audited', async () => {
    const w = await suspended('starter');
    const now = Date.now();
    expect(await w.policy.fileAppeal('acme', { ...APPEAL, cleanedLists: false }, now)).toMatchObject({ ok: false, code: 'invalid_form', error: expect.stringMatching(/cleanedLists/) });
    const filed = await w.policy.fileAppeal('acme', APPEAL, now);
    expect(filed.ok).toBe(true);
    expect(await w.policy.fileAppeal('acme', APPEAL, now)).toMatchObject({ ok: false, code: 'appeal_open', error: expect.stringMatching(/already open/) });
    expect((await w.policy.health('acme', now))!.banner).toMatch(/being reviewed/);
    const id = (filed as { appealId: number }).appealId;
    expect(await w.policy.decideAppeal(id, 'reinstate', '', 'admin:kim', now)).toMatchObject({ ok: false, code: 'reason_required' });
    expect(await w.policy.decideAppeal(id, 'reinstate', 'lists cleaned, opt-outs imported', 'admin:kim', now + 1)).toEqual({ ok: true });
    expect(await w.policy.decideAppeal(id, 'deny', 'changed my mind', 'admin:kim', now + 2)).toMatchObject({ ok: false, code: 'appeal_decided' });

    const h = (await w.policy.health('acme', now + 3))!;
    expect(h.status).not.toBe('suspended');
    expect((await w.policy.checkSend('acme', 'fresh@example.org', now + 3)).send).toBe(true);
    expect((await w.policy.checkSend('acme', 'x0@example.org', now + 3)).reasons.map((r) => r.code)).toEqual(['hard_bounce']);
    expect(await w.events('account.reinstated')).toHaveLength(1);
    // The bounces that suspended it do not suspend it again at once; new ones past the limit would.
    await w.bounce('acme', 'm-after', 'after@example.org');
    expect((await w.policy.health('acme', Date.now()))!.status).not.toBe('suspended');

    const actions = (await w.audit('acme')).map((a) => `${a.action}:${a.actor}`);
    expect(actions).toEqual(expect.arrayContaining(['account.suspend:policy', 'appeal.file:account:acme', 'appeal.decide:admin:kim', 'account.reinstate:admin:kim']));
    expect((await w.notifications('acme')).map((n) => n.kind)).toEqual(expect.arrayContaining(['suspension', 'appeal_received', 'decision']));
  });

  it('an appeal needs a suspension; a denied appeal leaves it suspended', async () => {
    const w = await suspended('starter');
    const filed = await w.policy.fileAppeal('acme', APPEAL, Date.now()) as { ok: true; appealId: number };
    expect((await w.policy.decideAppeal(filed.appealId, 'deny', 'list bought', 'admin:kim', Date.now())).ok).toBe(true);
    expect((await w.policy.health('acme', Date.now()))!.status).toBe('suspended');
    const w2 = await open();
    await w2.policy.createAccount({ id: 'fine', tier: 'starter' }, 'test', Date.now());
    expect(await w2.policy.fileAppeal('fine', APPEAL, Date.now())).toMatchObject({ ok: false, error: expect.stringMatching(/not suspended/) });
  });
});

describe('evidence from the Postfix log', () => {
  it('counts campaign sends from the first attempt line, and a mail delivered to a spam trap suspends for fraud', async () => {
    const { applyLogEvent } = await import('../../src/pipeline/log-evidence.js');
    const { parseLogLine } = await import('../../src/logtail/parse.js');
    const w = await open({ policy: { spamTraps: ['trap@example.net'] } });
    await w.policy.createAccount({ id: 'acme', tier: 'starter' }, 'test', Date.now());
    const now = Date.now();
    const feed = (line: string) => w.built.rules.transaction(w.store, now, (p) => applyLogEvent(parseLogLine(line, now)!, line, { policy: p, verp: w.verp }));
    const sent = async (qid: string, rcpt: string, message: string) => {
      await feed(`Nov 23 02:44:41 mta postfix/qmgr[1]: ${qid}: from=<${w.returnPath('acme', message, rcpt)}>, size=2126, nrcpt=1 (queue active)`);
      await feed(`Nov 23 02:44:42 mta postfix/smtp[2]: ${qid}: to=<${rcpt}>, relay=mx.example[192.0.2.1]:25, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X)`);
    };
    await sent('0A1B2C3D4E', 'ann@example.org', 'spring/m-1');
    await sent('0A1B2C3D4F', 'bob@example.org', 'spring/m-2');
    expect(await w.policy.campaignHealth('acme', 'spring')).toMatchObject({ sends: 2, hardBounces: 0, state: 'active' });
    await w.policy.unsubscribe(w.verp.unsubscribeToken({ account: 'acme', message: 'spring/m-1', recipient: 'ann@example.org' }), now);
    expect(await w.policy.campaignHealth('acme', 'spring')).toMatchObject({ unsubscribes: 1, unsubscribeRate: 0.5, complaints: 0 });
    expect((await w.policy.health('acme', now))!.status).toBe('ok');
    await sent('0A1B2C3D50', 'trap@example.net', 'spring/m-3');
    expect((await w.policy.health('acme', now))!).toMatchObject({ status: 'suspended', suspension: 'fraud' });
    expect((await w.policy.checkSend('acme', 'trap@example.net', now)).reasons.map((r) => r.code)).toContain('spam_trap');
  });
});
