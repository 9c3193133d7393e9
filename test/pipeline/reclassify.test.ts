// `bounced reclassify` (issue #19): records made by an older classifier are brought to what
// the classifier says now, from the stored report, with an audit entry each; evidence,
// deliveries, sends, events and suppressions are left as they were (nothing counted twice);
// a second run changes nothing. Records as an older classifier left them are made here by
// rewriting the current ones (the store's own reclassify), then the command runs in a child
// process on the real parse worker (dist/: `npm run build` first).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { buildPipeline, type Built } from '../../src/pipeline/build.js';
import { InlineParser } from '../../src/pipeline/parse-host.js';
import { reclassify } from '../../src/pipeline/reclassify.js';
import type { BounceClassification, BounceRecord } from '../../src/store/contract.js';
import { childEnv, CLI } from '../helpers/child.js';
import { buildDsn } from '../helpers/dsn.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig, tmpDir } from '../helpers/env.js';

const OLD: BounceClassification = { reason: 'filtered', category: 'policy', type: 'soft', hardbounce: false, rule: 'old.rule' };

describe('reclassify', () => {
  const dir = tmpDir('esp2-reclassify-');
  let built: Built;
  let records: BounceRecord[];
  afterAll(async () => {
    await built?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    built = await buildPipeline(testConfig({ dataDir: dir, verp: { secret: TEST_SECRET } }));
    const { store, verp, policy } = built;
    await policy.createAccount({ id: 'acme', tier: 'professional' }, 'test', Date.now());
    await policy.createAccount({ id: 'other', tier: 'professional' }, 'test', Date.now());
    const s02 = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
    const final = 'rcpt-550-5.1.1@reject.test';
    const msgs = [
      { account: 'acme', raw: s02, rcpt: final },
      // other bytes (the same bytes again would be a duplicate of the first)
      { account: 'other', raw: Buffer.concat([Buffer.from('X-Copy: 2\r\n'), s02]), rcpt: final },
      // two recipients in one report, one of them the token's
      { account: 'acme', raw: await buildDsn({ recipients: 2, messageId: '<two@mx.example.org>', recipient: (i) => `two${i}@example.com` }), rcpt: 'two0@example.com' },
    ];
    for (const [i, m] of msgs.entries()) {
      const to = verp.encode({ account: m.account, message: `m-${i}`, recipient: m.rcpt }, BOUNCE_DOMAIN);
      await store.messages.insert([{ receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [to], remoteIp: '127.0.0.1', helo: 'mta.test', raw: m.raw }]);
    }
    await built.processor(createLogger('silent')).drain();
    records = await store.bounces.list({});
    expect(records).toHaveLength(4);
    expect(records.every((r) => r.type === 'hard' && r.category === 'unknown_user')).toBe(true);
  }, 60_000);

  /** Everything reclassify must leave alone. */
  const counted = async () => {
    const { store } = built;
    return {
      deliveries: await store.deliveries.list({}),
      evidence: await Promise.all(records.map((r) => store.bounces.evidence(r.id))),
      sends: await store.sends.list(),
      suppressions: await store.suppressions.list({ accountId: 'acme', limit: 1000 }),
      counts: await store.messages.counts(),
    };
  };

  it('brings records an older classifier made to the current classification, audited; nothing else moves; the second run changes nothing', async () => {
    const { store, verp } = built;
    for (const r of records) await store.bounces.reclassify(r.id, OLD);
    const before = await counted();
    const parser = new InlineParser(verp);

    // A dry run counts and writes nothing.
    const dry = await reclassify(store, parser, {}, { now: Date.now(), actor: 'test', dryRun: true });
    expect(dry).toMatchObject({ records: 4, messages: 3, changed: 4, unchanged: 0 });
    expect((await store.bounces.get(records[0]!.id))!.rule).toBe('old.rule');

    // Only the account asked for (the two-recipient report's unverified record has no account).
    const changes: unknown[] = [];
    const acme = await reclassify(store, parser, { accountId: 'acme' }, { now: Date.now(), actor: 'test', onChange: (c) => changes.push(c) });
    expect(acme).toMatchObject({ records: 2, messages: 2, changed: 2, unchanged: 0, skipped: { esp: 0, raw_pruned: 0, unparseable: 0, shape_changed: 0 } });
    expect((await store.bounces.get(records[1]!.id))!.rule).toBe('old.rule'); // other's
    expect((await store.bounces.get(records[3]!.id))!).toMatchObject({ accountId: null, rule: 'old.rule' });
    for (const r of records.filter((x) => x.accountId === 'acme')) {
      expect(await store.bounces.get(r.id)).toMatchObject({ reason: r.reason, category: r.category, type: r.type, hardbounce: r.hardbounce, rule: r.rule });
    }
    const audit = (await store.audit.list('acme')).filter((a) => a.action === 'bounce.reclassify');
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ actor: 'test', subject: `bounce:${records[0]!.id}`, detail: { from: OLD, to: { reason: records[0]!.reason, type: 'hard', category: 'unknown_user', hardbounce: true, rule: records[0]!.rule } } });
    expect(changes).toHaveLength(2);

    // Idempotent: again, nothing to change and no new audit entry.
    expect(await reclassify(store, parser, { accountId: 'acme' }, { now: Date.now(), actor: 'test' })).toMatchObject({ changed: 0, unchanged: 2 });
    expect((await store.audit.list('acme')).filter((a) => a.action === 'bounce.reclassify')).toHaveLength(2);
    expect(await counted()).toEqual(before);
  });

  it('filters by date and detector; a pruned report is skipped and counted; a report whose recipients no longer line up is not rewritten', async () => {
    const { store, verp } = built;
    const parser = new InlineParser(verp);
    const t = records[0]!.createdAt;
    expect((await reclassify(store, parser, { since: t + 60_000 }, { now: Date.now(), actor: 'test', dryRun: true })).records).toBe(0);
    expect((await reclassify(store, parser, { detector: 'no-such-detector' }, { now: Date.now(), actor: 'test', dryRun: true })).records).toBe(0);
    expect((await reclassify(store, parser, { detector: records[1]!.detector, accountId: 'other' }, { now: Date.now(), actor: 'test', dryRun: true })).changed).toBe(1);
    // A record that no longer lines up with the report (its recipient is not the one at its place).
    const two = records.filter((r) => r.messageRow === records[3]!.messageRow);
    expect(two).toHaveLength(2);
    const r = await reclassify(store, { decide: async (m, now) => {
      const res = await parser.decide(m, now);
      if (res.ok && res.outcome.state === 'processed' && m.id === two[0]!.messageRow) res.outcome.bounces.reverse();
      return res;
    }, ready: async () => {}, close: async () => {} }, {}, { now: Date.now(), actor: 'test', dryRun: true });
    expect(r.skipped.shape_changed).toBe(2);
    // Retention dropped the bytes: skipped, counted.
    expect(await store.messages.pruneRaw(Date.now() + 1, 100)).toBeGreaterThan(0);
    const pruned = await reclassify(store, parser, {}, { now: Date.now(), actor: 'test' });
    expect(pruned).toMatchObject({ changed: 0, messages: 0, skipped: { raw_pruned: 4 } });
  });
});

describe('bounced reclassify (CLI, the parse worker)', () => {
  const dir = tmpDir('esp2-reclassify-cli-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rewrites what changed, prints a summary; a second run finds nothing; --dry-run writes nothing', async () => {
    const built = await buildPipeline(testConfig({ dataDir: dir, verp: { secret: TEST_SECRET } }));
    const { store, verp, policy } = built;
    await policy.createAccount({ id: 'acme', tier: 'professional' }, 'test', Date.now());
    const s02 = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
    const to = verp.encode({ account: 'acme', message: 'm-cli', recipient: 'rcpt-550-5.1.1@reject.test' }, BOUNCE_DOMAIN);
    await store.messages.insert([{ receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [to], remoteIp: '127.0.0.1', helo: 'mta.test', raw: s02 }]);
    await built.processor(createLogger('silent')).drain();
    const [rec] = await store.bounces.list({});
    await store.bounces.reclassify(rec!.id, OLD);
    await built.close();

    const env = childEnv({ BOUNCED_DATA_DIR: dir, BOUNCED_VERP_SECRET: TEST_SECRET });
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'reclassify', ...args], { env, encoding: 'utf8' });
    const dry = run('--dry-run');
    expect(dry.status, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout.trim().split('\n').pop()!)).toMatchObject({ dryRun: true, records: 1, changed: 1 });
    const first = run('--account', 'acme', '--verbose');
    expect(first.status, first.stderr).toBe(0);
    const lines = first.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ bounceId: rec!.id, from: OLD, to: { type: 'hard', category: 'unknown_user', rule: rec!.rule } });
    expect(lines[1]).toMatchObject({ dryRun: false, records: 1, messages: 1, changed: 1 });
    expect(JSON.parse(run().stdout.trim())).toMatchObject({ changed: 0, unchanged: 1 });
    expect(run('--since', 'yesterday').status).not.toBe(0);
  }, 60_000);
});
