// The one-to-one channel's own health (issue #17): bounces found in connected inboxes over the
// sends of those inboxes, per month. Warns from warnFraction of its limit, suspends one-to-one
// sending past it (the pre-send check with channel=one_to_one says so), never touches
// marketing; the appeal flow reinstates it, and the same month's bounces do not suspend it
// again. On a real SQLite store through the intake (src/pipeline/inbox-intake.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_STATE, monthOf } from '../../src/domain/index.js';
import type { FoundBounce } from '../../src/inbox/types.js';
import { takeFoundBounce } from '../../src/pipeline/inbox-intake.js';
import { buildPipeline, type Built } from '../../src/pipeline/build.js';
import { evaluateOneToOne, ONE_TO_ONE_WARNING, type PolicyConfig } from '../../src/policy/rules.js';
import type { Verdict } from '../../src/report.js';
import { testConfig } from '../helpers/env.js';

const NOW = Date.now();
const MONTH = monthOf(NOW);
const cfg = testConfig().policy as PolicyConfig;

describe('evaluateOneToOne (pure)', () => {
  const ok = { ...DEFAULT_POLICY_STATE };
  it('counts from the minimum volume, warns from warnFraction of the limit, suspends past it', () => {
    // defaults: limit 0.1, warn at 0.08, from 20 sends
    expect(evaluateOneToOne(ok, { hardBounces: 5, sends: 19 }, MONTH, cfg, false)).toMatchObject({ suspend: null, warn: false });
    expect(evaluateOneToOne(ok, { hardBounces: 1, sends: 20 }, MONTH, cfg, false)).toMatchObject({ suspend: null, warn: false });
    expect(evaluateOneToOne(ok, { hardBounces: 2, sends: 25 }, MONTH, cfg, false)).toMatchObject({ suspend: null, warn: true });
    expect(evaluateOneToOne(ok, { hardBounces: 2, sends: 20 }, MONTH, cfg, false)).toMatchObject({ suspend: null, warn: true });
    const s = evaluateOneToOne(ok, { hardBounces: 3, sends: 20 }, MONTH, cfg, false);
    expect(s.suspend?.detail).toBe('one-to-one hard-bounce rate 15.0 % (3 of 20 sends) passed the limit of 10.0 %');
    // warned once a month; reinstated this month: warns no more, never suspends again this month
    expect(evaluateOneToOne({ ...ok, warned: { month: MONTH, causes: [ONE_TO_ONE_WARNING] } }, { hardBounces: 2, sends: 20 }, MONTH, cfg, false).warn).toBe(false);
    expect(evaluateOneToOne(ok, { hardBounces: 9, sends: 20 }, MONTH, cfg, true)).toMatchObject({ suspend: null, warn: true });
    // already suspended: nothing to do
    expect(evaluateOneToOne({ ...ok, oneToOne: 'suspended' }, { hardBounces: 9, sends: 20 }, MONTH, cfg, false)).toMatchObject({ suspend: null, warn: false });
  });
});

const verdict = (recipient: string): Verdict => ({
  recipient, kind: 'bounce', action: 'failed', status: '5.1.1', reason: 'userunknown', hardbounce: true, category: 'unknown_user', type: 'hard',
  replyCode: 550, diagnosticCode: '550 5.1.1 no such user', remoteMta: 'mx.customer.test', reportingMta: 'mta.sales.test', originalMessageId: null,
  feedbackType: null, rule: 'status.5.1.1', matched: null, detector: 'rfc3464',
});

describe('one-to-one health on the store, through the inbox intake', () => {
  let b: Built;
  const inbox = { id: 'ibx_1', accountId: 'acme', user: 'alice' };
  let uid = 0;
  const bounce = async (n: number) => {
    const rcpt = `gone${n}@customer.test`;
    const f: FoundBounce = {
      inboxId: inbox.id, folder: 'INBOX', uid: ++uid, uidValidity: 1, method: 'dsn_message_id', sentMessageId: `m${n}@sales.test`, recipient: rcpt, verdict: verdict(rcpt),
      bounceMessageId: `dsn${n}@mta.test`, dedupeKey: `k${n}`, receivedAt: NOW, subjectMatched: null,
    };
    return takeFoundBounce(b.store, b.rules, inbox, f, Buffer.from(`Subject: failure ${n}\r\n\r\nx\r\n`), NOW);
  };
  const check = (channel: 'one_to_one' | 'marketing') => b.policy.checkSend('acme', 'someone@customer.test', NOW, { channel });

  beforeAll(async () => {
    b = await buildPipeline(testConfig());
    await b.policy.createAccount({ id: 'acme', tier: 'starter', contactEmail: 'ops@acme.test' }, 'test', NOW);
    await b.store.inboxes.add({ id: inbox.id, accountId: 'acme', host: '127.0.0.1', port: 143, tls: 'none', user: 'alice', auth: 'password', credentials: 'v1.a.b.c', sentFolder: null, moveTo: null, windowHours: null }, NOW);
    // 20 one-to-one sends this month (the sent index: the Sent folder or the API)
    await b.store.inboxes.addSent(inbox.id, Array.from({ length: 20 }, (_, i) => ({ messageId: `m${i}@sales.test`, recipients: [`c${i}@customer.test`], subject: null, sentAt: NOW })), 'api');
  });
  afterAll(async () => b?.store.close());

  it('warns at 2 of 20, suspends one-to-one sending at 3 of 20; marketing is untouched', async () => {
    expect(await bounce(1)).toMatchObject({ recorded: true });
    expect(await bounce(1)).toEqual({ recorded: false, reason: 'duplicate' });
    expect((await b.store.accounts.state('acme')).warned).toBeNull();
    await bounce(2);
    const warned = await b.store.accounts.state('acme');
    expect(warned).toMatchObject({ oneToOne: 'ok', warned: { month: MONTH, causes: [ONE_TO_ONE_WARNING] } });
    expect((await b.store.notifications.list('acme')).map((n) => n.subject)).toEqual(['[bounced] Warning about the mail sent from your connected inboxes']);
    expect((await check('one_to_one')).send).toBe(true);

    await bounce(3);
    const s = await b.store.accounts.state('acme');
    expect(s).toMatchObject({ oneToOne: 'suspended', oneToOneSuspension: 'rates', marketing: 'ok' });
    expect(await check('one_to_one')).toMatchObject({ send: false, reasons: [{ code: 'account_suspended', scope: 'account' }] });
    expect((await check('marketing')).send).toBe(true);
    // the bounced addresses are not suppressed for marketing either
    expect((await b.policy.checkSend('acme', 'gone1@customer.test', NOW)).send).toBe(true);
    expect((await b.store.counters.month('acme', MONTH, 'marketing')).hardBounces).toBe(0);
    expect((await b.store.counters.month('acme', MONTH, 'one_to_one')).hardBounces).toBe(3);
  });

  it('the same appeal flow reinstates it; the month\'s bounces do not suspend it again', async () => {
    const filed = await b.policy.fileAppeal('acme', { channel: 'one_to_one', importedOptOutList: true, cleanedLists: true, mailedWithinYear: true, contactsSource: 'our CRM', message: 'typos fixed' }, NOW);
    if (!filed.ok) throw new Error(filed.error);
    expect(await b.policy.decideAppeal(filed.appealId, 'reinstate', 'ok', 'admin', NOW)).toEqual({ ok: true });
    expect((await check('one_to_one')).send).toBe(true);
    await bounce(4);
    expect((await b.store.accounts.state('acme')).oneToOne).toBe('ok');
  });
});
