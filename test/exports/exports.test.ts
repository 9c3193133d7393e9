// Exports (issue #19 §3): CSV and JSON lines of bounces, deliveries, suppressions and provider events,
// filtered by account, date and category, from the API and the CLI; streamed a page at a
// time, which the memory test checks: the CLI's peak RSS exporting 100,000 rows against 10,000
// (a ratio, not a timing).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField } from '../../src/exports/index.js';
import type { BounceInput, Evidence, Store } from '../../src/store/contract.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { childEnv, CLI } from '../helpers/child.js';
import { TEST_SECRET, tmpDir } from '../helpers/env.js';
import { admin, apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';

const JAN = Date.UTC(2026, 0, 10);
const FEB = Date.UTC(2026, 1, 10);

const bounce = (over: Partial<BounceInput>): BounceInput => ({
  createdAt: JAN, accountId: 'acme', messageId: 'spring/m1', recipient: 'a@example.test', reportedRecipient: null, kind: 'bounce',
  action: 'failed', status: '5.1.1', reason: 'userunknown', hardbounce: true, category: 'unknown_user', type: 'hard', rule: 'r1',
  detector: 'postfix', replyCode: 550, diagnostic: '550 5.1.1 no such user', remoteMta: null, reportingMta: null, originalMessageId: null,
  feedbackType: null, verified: true, warning: null, ...over,
});

async function seedBounces(store: Store, n: number, over: (i: number) => Partial<BounceInput>, perTx = 5000): Promise<void> {
  const [row] = await store.messages.insert([{ receivedAt: JAN, source: 'smtp', mailFrom: '', rcptTo: [], remoteIp: null, helo: null, raw: Buffer.from('x') }]);
  for (let i = 0; i < n; i += perTx) {
    await store.transaction(async (tx) => {
      for (let j = i; j < Math.min(n, i + perTx); j++) await tx.bounces.insert(row!, bounce(over(j)));
    });
  }
}

const evidence = (over: Partial<Evidence>): Evidence => ({
  accountId: 'acme', messageId: 'spring/m1', recipient: 'd@example.test', at: JAN, source: 'log', state: 'delivered', status: '2.0.0',
  reason: 'delivered', category: 'none', diagnostic: '250 2.0.0 ok', qid: null, dedupKey: 'k', countsAsSend: true, ...over,
});

async function seedDeliveries(store: Store, n: number, over: (i: number) => Partial<Evidence>, perTx = 5000): Promise<void> {
  for (let i = 0; i < n; i += perTx) {
    await store.transaction(async (tx) => {
      for (let j = i; j < Math.min(n, i + perTx); j++) await tx.deliveries.applyEvidence(evidence({ dedupKey: `seed:${j}`, ...over(j) }), null, JAN);
    });
  }
}

/** A minimal RFC 4180 reader for the tests (quoted fields, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    }
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('CSV fields', () => {
  it('quotes commas, quotes and line breaks (RFC 4180); defuses spreadsheet formulas', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(550)).toBe('550');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "no"\r\nthen')).toBe('"say ""no""\r\nthen"');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('-1+2')).toBe("'-1+2");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });
});

describe('API exports', () => {
  let fx: Fixture;
  let keys: Record<string, string>;
  beforeAll(async () => {
    fx = await apiFixture();
    keys = await withAccounts(fx, 'acme', 'other');
    await seedBounces(fx.store, 6, (i) => ({
      createdAt: i < 3 ? JAN + i : FEB + i,
      accountId: i === 5 ? 'other' : 'acme',
      recipient: `r${i}@example.test`,
      category: i % 2 ? 'mailbox_full' : 'unknown_user',
      diagnostic: i === 0 ? '550 "quoted", with comma\r\nand a second line' : '=cmd|calc',
    }));
    await fx.store.suppressions.add('acme', 'one@example.test', 'hard_bounce', 'delivery:1', JAN);
    await fx.store.suppressions.add('acme', 'two@example.test', 'unsubscribe', 'mailto', FEB);
    await fx.store.suppressions.add('*', 'global@example.test', 'global_bounce', '3 accounts', FEB);
    await fx.store.suppressions.add('other', 'theirs@example.test', 'manual', null, FEB);
    const [row] = await fx.store.messages.insert([{ receivedAt: FEB, source: 'esp', mailFrom: '', rcptTo: [], remoteIp: null, helo: 'esp:sg', raw: Buffer.from('[]') }]);
    for (const [i, kind] of ['bounce', 'complaint', 'delivery'].entries()) {
      await fx.store.espEvents.add({ provider: i === 2 ? 'ses' : 'sendgrid', eventId: `e${i}`, endpointId: 'sg', accountId: 'acme', kind, recipient: `e${i}@example.test`, messageId: null, at: FEB, receivedAt: FEB + i, messageRow: row! });
    }
  });
  afterAll(() => fx?.close());

  const exp = async (url: string, key = keys.acme!) => fx.app.inject({ method: 'GET', url, headers: bearer(key) });

  it('bounces as CSV: a header, one record per row, text quoted and defused, filtered by date and category', async () => {
    const r = await exp('/v1/exports/bounces?format=csv');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toBe('attachment; filename="bounces-acme.csv"');
    const rows = parseCsv(r.body);
    const header = rows[0]!;
    expect(header.slice(0, 4)).toEqual(['id', 'created_at', 'account_id', 'message_id']);
    const col = (name: string) => rows.slice(1).map((x) => x[header.indexOf(name)]);
    expect(col('recipient')).toEqual(['r0@example.test', 'r1@example.test', 'r2@example.test', 'r3@example.test', 'r4@example.test']);
    expect(col('diagnostic')[0]).toBe('550 "quoted", with comma\r\nand a second line');
    expect(col('diagnostic')[1]).toBe("'=cmd|calc");
    expect(col('created_at')[0]).toBe(new Date(JAN).toISOString());
    const feb = parseCsv((await exp(`/v1/exports/bounces?since=${FEB}`)).body).slice(1);
    expect(feb.map((x) => x[header.indexOf('recipient')])).toEqual(['r3@example.test', 'r4@example.test']);
    const jan = parseCsv((await exp(`/v1/exports/bounces?until=2026-02-01T00:00:00Z&category=mailbox_full`)).body).slice(1);
    expect(jan.map((x) => x[header.indexOf('recipient')])).toEqual(['r1@example.test']);
  });

  it('JSON lines; an account key sees its own account only; the admin sees all; a bad category is 400', async () => {
    const r = await exp('/v1/exports/bounces?format=jsonl');
    expect(r.headers['content-type']).toBe('application/x-ndjson');
    const lines = r.body.trimEnd().split('\n').map((l) => JSON.parse(l) as { recipient: string; accountId: string });
    expect(lines.map((l) => l.recipient)).toHaveLength(5);
    expect(new Set(lines.map((l) => l.accountId))).toEqual(new Set(['acme']));
    expect((await exp('/v1/exports/bounces?account=other', keys.acme!)).statusCode).toBe(404);
    const all = (await fx.app.inject({ method: 'GET', url: '/v1/exports/bounces?format=jsonl', headers: admin })).body.trimEnd().split('\n');
    expect(all).toHaveLength(6);
    const bad = await exp('/v1/exports/bounces?category=nope');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/category of bounces must be one of/);
  });

  it('suppressions (the account\'s and the global ones, by reason) and provider events (by kind and provider)', async () => {
    const s = parseCsv((await exp('/v1/exports/suppressions')).body);
    expect(s[0]).toEqual(['id', 'created_at', 'scope', 'account_id', 'address', 'reason', 'source']);
    expect(s.slice(1).map((x) => [x[2], x[4], x[5]])).toEqual([
      ['account', 'one@example.test', 'hard_bounce'],
      ['account', 'two@example.test', 'unsubscribe'],
      ['global', 'global@example.test', 'global_bounce'],
    ]);
    expect(parseCsv((await exp('/v1/exports/suppressions?category=unsubscribe')).body).slice(1).map((x) => x[4])).toEqual(['two@example.test']);
    const adminNoAccount = await fx.app.inject({ method: 'GET', url: '/v1/exports/suppressions', headers: admin });
    expect(adminNoAccount.statusCode).toBe(400);
    const ev = (await exp('/v1/exports/events?format=jsonl&provider=sendgrid')).body.trimEnd().split('\n').map((l) => JSON.parse(l) as { kind: string });
    expect(ev.map((e) => e.kind)).toEqual(['bounce', 'complaint']);
    expect(parseCsv((await exp('/v1/exports/events?category=delivery')).body).slice(1).map((x) => x[8])).toEqual(['e2@example.test']);
  });
});

describe('API exports of deliveries', () => {
  let fx: Fixture;
  let keys: Record<string, string>;
  beforeAll(async () => {
    fx = await apiFixture();
    keys = await withAccounts(fx, 'acme', 'other');
    await seedDeliveries(fx.store, 5, (i) => ({
      at: i < 2 ? JAN + i : FEB + i,
      accountId: i === 4 ? 'other' : 'acme',
      recipient: `d${i}@example.test`,
      messageId: `spring/d${i}`,
      state: i === 1 ? 'hard' : i === 3 ? 'pending' : 'delivered',
      diagnostic: i === 1 ? '550 5.1.1 "no", such user' : '250 ok',
    }));
  });
  afterAll(() => fx?.close());
  const exp = async (url: string, key = keys.acme!) => fx.app.inject({ method: 'GET', url, headers: bearer(key) });

  it('CSV with a header, filtered by state (category), first evidence date and account; JSON lines; a bad state is 400', async () => {
    const r = await exp('/v1/exports/deliveries');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-disposition']).toBe('attachment; filename="deliveries-acme.csv"');
    const rows = parseCsv(r.body);
    const header = rows[0]!;
    expect(header).toEqual(['id', 'first_at', 'last_at', 'account_id', 'message_id', 'recipient', 'state', 'pending_since', 'attempts', 'evidence_count', 'status', 'reason', 'category', 'diagnostic', 'updated_at']);
    const col = (rs: string[][], name: string) => rs.slice(1).map((x) => x[header.indexOf(name)]);
    expect(col(rows, 'recipient')).toEqual(['d0@example.test', 'd1@example.test', 'd2@example.test', 'd3@example.test']);
    expect(col(rows, 'state')).toEqual(['delivered', 'hard', 'delivered', 'pending']);
    expect(col(rows, 'diagnostic')[1]).toBe('550 5.1.1 "no", such user');
    expect(col(rows, 'first_at')[0]).toBe(new Date(JAN).toISOString());
    expect(col(rows, 'evidence_count')).toEqual(['1', '1', '1', '1']);
    expect(col(parseCsv((await exp('/v1/exports/deliveries?category=hard')).body), 'recipient')).toEqual(['d1@example.test']);
    expect(col(parseCsv((await exp(`/v1/exports/deliveries?since=${FEB}`)).body), 'recipient')).toEqual(['d2@example.test', 'd3@example.test']);
    expect(col(parseCsv((await exp(`/v1/exports/deliveries?until=2026-02-01T00:00:00Z&category=delivered`)).body), 'recipient')).toEqual(['d0@example.test']);
    const lines = (await exp('/v1/exports/deliveries?format=jsonl', keys.other!)).body.trimEnd().split('\n').map((l) => JSON.parse(l) as { recipient: string; state: string });
    expect(lines).toEqual([expect.objectContaining({ recipient: 'd4@example.test', state: 'delivered' })]);
    const all = await fx.app.inject({ method: 'GET', url: '/v1/exports/deliveries?format=jsonl', headers: admin });
    expect(all.body.trimEnd().split('\n')).toHaveLength(5);
    const bad = await exp('/v1/exports/deliveries?category=sent');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/category of deliveries must be one of pending, delivered, soft, hard/);
  });
});

describe('CLI export and memory', () => {
  const dir = tmpDir('espb-export-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = childEnv({ BOUNCED_DATA_DIR: dir, BOUNCED_VERP_SECRET: TEST_SECRET });
  // The CLI in this process's Node, reporting its peak resident set at exit.
  const WRAP = `process.on('exit', () => process.stderr.write('MAXRSS_KB ' + process.resourceUsage().maxRSS + '\\n'));
    process.argv = [process.argv[0], ${JSON.stringify(CLI)}, ...process.argv.slice(1)];
    import(${JSON.stringify('file://' + CLI)});`;
  const run = (...args: string[]) => runWith([], ...args);
  const runWith = (nodeFlags: string[], ...args: string[]) => {
    const r = spawnSync(process.execPath, [...nodeFlags, '-e', WRAP, ...args], { env, encoding: 'utf8', maxBuffer: 1024 * 1024 });
    return { code: r.status, out: r.stdout, err: r.stderr, maxRssKb: Number(/MAXRSS_KB (\d+)/.exec(r.stderr)?.[1] ?? NaN) };
  };

  it('bounced export writes the same rows as the API, and bounced accounts soft-limit sets and shows the limit', async () => {
    const store = openSqlite({ dataDir: dir });
    await store.accounts.insert({ id: 'acme', name: null, tier: 'free', profile: 'default', contactEmail: null }, JAN);
    await seedBounces(store, 3, (i) => ({ recipient: `cli${i}@example.test` }));
    await store.close();
    const out = join(dir, 'b.jsonl');
    const r = run('export', 'bounces', '--format', 'jsonl', '--account', 'acme', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { recipient: string }).recipient)).toEqual(['cli0@example.test', 'cli1@example.test', 'cli2@example.test']);
    expect(run('export', 'suppressions').code).toBe(1);
    const set = run('accounts', 'soft-limit', '--account', 'acme', '--bounces', '3', '--window-days', '7', '--suppress-days', '30');
    expect(set.code, set.err).toBe(0);
    expect(JSON.parse(set.out)).toEqual({ account: 'acme', softBounceLimit: { bounces: 3, windowDays: 7, suppressDays: 30 } });
    expect(run('accounts', 'soft-limit', '--account', 'acme', '--bounces', '1', '--window-days', '7', '--suppress-days', '30').code).toBe(1);
    expect(JSON.parse(run('accounts', 'soft-limit', '--account', 'acme', '--off').out).softBounceLimit).toBeNull();
  });

  it('memory stays flat: 100,000 rows (over 100 MB of text) export within a 64 MB heap, at a peak RSS within 1.5x of 10,000 rows', async () => {
    const store = openSqlite({ dataDir: dir });
    // Rows of about 1.2 KB (a long diagnostic): 100,000 of them held at once would be over 100 MB.
    const long = `550 5.7.1 ${'x'.repeat(1000)}`;
    await seedBounces(store, 100_000, (i) => ({ accountId: i < 10_000 ? 'small' : 'big', recipient: `m${i}@example.test`, diagnostic: long }), 10_000);
    await store.close();
    // The heap is capped (V8 collects before it grows past it, so RSS measures what is held,
    // not garbage waiting on a loaded machine); an export holding its rows could not fit.
    const cap = ['--max-old-space-size=64'];
    const small = runWith(cap, 'export', 'bounces', '--account', 'small', '--out', '/dev/null');
    const bigCsv = runWith(cap, 'export', 'bounces', '--out', '/dev/null');
    const bigJsonl = runWith(cap, 'export', 'bounces', '--format', 'jsonl', '--out', '/dev/null');
    for (const r of [small, bigCsv, bigJsonl]) expect(r.code, r.err).toBe(0);
    console.log(`export peak RSS: 10k rows ${small.maxRssKb} KB, 100k CSV ${bigCsv.maxRssKb} KB, 100k JSONL ${bigJsonl.maxRssKb} KB`);
    expect(bigCsv.maxRssKb / small.maxRssKb).toBeLessThan(1.5);
    expect(bigJsonl.maxRssKb / small.maxRssKb).toBeLessThan(1.5);
    // Everything arrived: one line per row.
    const file = join(dir, 'big.jsonl');
    expect(run('export', 'bounces', '--format', 'jsonl', '--account', 'big', '--out', file).code).toBe(0);
    const bytes = readFileSync(file);
    let lines = 0;
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
    expect(lines).toBe(90_000);
  }, 300_000);

  it('deliveries too: 100,000 rows export within a 64 MB heap, at a peak RSS within 1.5x of 10,000 rows; every row arrives', async () => {
    const store = openSqlite({ dataDir: dir });
    const long = `250 2.0.0 Ok: queued as ${'y'.repeat(1000)}`;
    await seedDeliveries(store, 100_000, (i) => ({ accountId: i < 10_000 ? 'dsmall' : 'dbig', messageId: `m/${i}`, recipient: `dl${i}@example.test`, diagnostic: long }), 10_000);
    await store.close();
    const cap = ['--max-old-space-size=64'];
    const small = runWith(cap, 'export', 'deliveries', '--account', 'dsmall', '--out', '/dev/null');
    const bigCsv = runWith(cap, 'export', 'deliveries', '--out', join(dir, 'd.csv'));
    for (const r of [small, bigCsv]) expect(r.code, r.err).toBe(0);
    console.log(`deliveries export peak RSS: 10k rows ${small.maxRssKb} KB, 100k CSV ${bigCsv.maxRssKb} KB`);
    expect(bigCsv.maxRssKb / small.maxRssKb).toBeLessThan(1.5);
    const bytes = readFileSync(join(dir, 'd.csv'));
    let lines = 0;
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
    expect(lines).toBe(100_001); // the header and every row
    expect(run('export', 'deliveries', '--category', 'sent').code).toBe(1);
  }, 300_000);
});
