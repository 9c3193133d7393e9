// One rule for accounts (src/policy/service.ts, "The account rule"): signed evidence creates
// its account, which then shows everywhere; an id typed by hand must name an existing one.
import { afterEach, describe, expect, it } from 'vitest';
import { VerpCodec } from '../../src/verp/index.js';
import { childEnv, runCli } from '../helpers/child.js';
import { readRows } from '../helpers/db.js';
import { BOUNCE_DOMAIN, TEST_SECRET } from '../helpers/env.js';
import { dsn } from '../helpers/policy-mail.js';
import { world, type World } from '../helpers/world.js';

let worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds) await w.close();
  worlds = [];
});
async function open() {
  const w = await world();
  worlds.push(w);
  return w;
}

describe('the account rule', () => {
  it('a verified bounce for an account nobody created creates it (free, default, audited); accounts health shows it', async () => {
    const w = await open();
    await w.bounce('newco', 'm-1', 'gone@example.org');
    expect(await w.policy.getAccount('newco')).toMatchObject({ id: 'newco', tier: 'free', profile: 'default', contactEmail: null });
    const h = await w.policy.health('newco', Date.now());
    expect(h).not.toBeNull();
    expect(h!.rates.hardBounce.count).toBe(1);
    expect((await w.policy.listSuppressions({ accountId: 'newco' })).items).toEqual([expect.objectContaining({ address: 'gone@example.org', reason: 'hard_bounce' })]);
    const audit = readRows<{ actor: string; detail: string }>(w.config.dataDir, `SELECT actor, action, detail FROM policy_audit WHERE account_id = 'newco' AND action = 'account.create'`);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe('policy');
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ implicit: true, tier: 'free' });
    // More evidence changes nothing about the account.
    await w.bounce('newco', 'm-2', 'gone2@example.org');
    expect((await w.policy.listAccounts()).filter((a) => a.id === 'newco')).toHaveLength(1);
  });

  it('an unverified (forged) bounce creates no account', async () => {
    const w = await open();
    const forger = new VerpCodec('not-our-secret', 'b');
    const rp = forger.encode({ account: 'victim', message: 'm-1', recipient: 'ann@example.org' }, BOUNCE_DOMAIN);
    await w.deliver(rp, await dsn({ returnPath: rp, recipient: 'ann@example.org', failure: 'unknown_user', n: 1 }));
    expect((await w.store.bounces.list({})).map((b) => b.verified)).toEqual([false]);
    expect(await w.policy.getAccount('victim')).toBeNull();
    expect(await w.policy.listAccounts()).toEqual([]);
  });

  it('an unsubscribe (one-click or mailto) for an unknown account creates it', async () => {
    const w = await open();
    const token = w.verp.unsubscribeToken({ account: 'optco', message: 'news-1', recipient: 'reader@example.org' });
    expect(await w.policy.unsubscribe(token, Date.now())).toMatchObject({ ok: true, accountId: 'optco' });
    expect(await w.policy.getAccount('optco')).toMatchObject({ tier: 'free' });
    expect((await w.policy.health('optco', Date.now()))!.rates.unsubscribe.count).toBe(1);
  });

  it('the CLI refuses data typed for an account that does not exist (exit 1, nothing written), and takes it once it exists', async () => {
    const w = await open();
    const env = childEnv({ BOUNCED_DATA_DIR: w.config.dataDir, BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN });
    const bounced = (...args: string[]) => runCli(env, args);
    const typed = [
      ['suppressions', 'add', 'a@example.org', '--account', 'acmee'],
      ['sends', 'add', '--account', 'acmee', '--count', '10'],
      ['campaigns', 'sends', '--account', 'acmee', '--campaign', 'c1', '--count', '10'],
      ['accounts', 'abuse', 'acmee', '--detail', 'x'],
      ['accounts', 'suspend', 'acmee', '--reason', 'x'],
      ['accounts', 'review', 'hold', 'acmee'],
      ['suppressions', 'check', 'a@example.org', '--account', 'acmee'],
      ['accounts', 'health', 'acmee'],
    ];
    // `suppressions check` answers by its exit status (1: do not send), so an unknown
    // account is EX_NOUSER (67) there, not 1.
    const isCheck = (args: string[]) => args[1] === 'check';
    for (const args of typed) {
      const r = bounced(...args);
      expect(r.code, args.join(' ')).toBe(isCheck(args) ? 67 : 1);
      expect(r.err, args.join(' ')).toMatch(/no account acmee/);
    }
    const count = (sql: string) => Object.values(readRows(w.config.dataDir, sql)[0]!)[0] as number;
    expect(count(`SELECT count(*) FROM accounts`)).toBe(0);
    expect(count(`SELECT count(*) FROM suppressions`)).toBe(0);
    expect(count(`SELECT count(*) FROM sends`)).toBe(0);
    expect(count(`SELECT count(*) FROM campaigns`)).toBe(0);
    expect(count(`SELECT count(*) FROM account_policy`)).toBe(0);
    // Once created, the same commands are taken.
    expect(bounced('accounts', 'create', '--id', 'acmee', '--tier', 'starter').code).toBe(0);
    // ...and the check says "do not send": the address was just suppressed by the first command.
    for (const args of typed) expect(bounced(...args).code, args.join(' ')).toBe(isCheck(args) ? 1 : 0);
    expect(count(`SELECT count(*) FROM suppressions WHERE account_id = 'acmee'`)).toBe(1);
  });
});
