// The inbound MX over real SMTP on loopback, nodemailer as the sending MTA, real SQLite.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { DB_FILE } from '../../src/store/sqlite/open.js';
import { RAW_HEAD_BYTES } from '../../src/domain/index.js';
import { VerpCodec } from '../../src/verp/index.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig } from '../helpers/env.js';
import { rawSession, sendRaw, withMessageId } from '../helpers/smtp.js';

const verp = new VerpCodec(TEST_SECRET, 'b');
const postfix = (name: string) => readFileSync(join(fixturesDir, 'postfix', name));
const silent = createLogger('silent');

let daemons: Daemon[] = [];
async function start(overrides: Record<string, unknown> = {}) {
  const config = testConfig(overrides);
  const d = await startDaemon(config, silent);
  daemons.push(d);
  return { d, config, port: d.smtpAddress.port };
}
afterEach(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
  daemons = [];
});

// The Postfix DSN for rcpt-550-5.1.1@reject.test (550 5.1.1 user unknown), sent to the
// signed return path that a sender of account acme used for that recipient.
const s02 = () => postfix('s02-remote-rcpt550--failed.eml');
const s02Rcpt = 'rcpt-550-5.1.1@reject.test';

describe('SMTP listener', () => {
  it('stores and classifies a DSN sent to a signed VERP address', async () => {
    const { d, port } = await start();
    const to = verp.encode({ account: 'acme', message: 'm-1', recipient: s02Rcpt }, BOUNCE_DOMAIN);
    const res = await sendRaw(port, { from: '', to: [to] }, s02());
    expect(res).toMatchObject({ ok: true, code: 250 });
    expect(res.response).toMatch(/stored as \d+/);
    await d.processor.drain();
    const [msg] = await d.store.messages.list({});
    expect(msg).toMatchObject({ state: 'processed', source: 'smtp', mailFrom: '', rcptTo: [to], kind: 'bounce' });
    const bounces = await d.store.bounces.list({});
    expect(bounces).toHaveLength(1);
    expect(bounces[0]).toMatchObject({
      accountId: 'acme',
      messageId: 'm-1',
      recipient: s02Rcpt,
      verified: true,
      type: 'hard',
      reason: 'userunknown',
      category: 'unknown_user',
      status: '5.1.1',
      hardbounce: true,
    });
  });

  it('stores a forged or token-less bounce as unverified, with no account', async () => {
    const { d, port } = await start();
    const forged = verp.encode({ account: 'acme', message: 'm-1', recipient: s02Rcpt }, BOUNCE_DOMAIN).replace(/\.([a-z2-7])/, (_, c) => `.${c === 'a' ? 'b' : 'a'}`);
    const replayed = verp.encode({ account: 'acme', message: 'm-1', recipient: 'someone-else@example.org' }, BOUNCE_DOMAIN);
    expect((await sendRaw(port, { from: '', to: [forged] }, s02())).code).toBe(250);
    // Each its own report (own Message-ID), so that none is a duplicate of another.
    expect((await sendRaw(port, { from: '', to: [replayed] }, withMessageId(s02(), 2))).code).toBe(250);
    expect((await sendRaw(port, { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, withMessageId(s02(), 3))).code).toBe(250);
    await d.processor.drain();
    const bounces = await d.store.bounces.list({});
    expect(bounces).toHaveLength(3);
    for (const b of bounces) expect(b).toMatchObject({ verified: false, accountId: null, recipient: s02Rcpt, type: 'hard' });
  });

  it('refuses recipients outside the bounce domains with 550 (no open relay)', async () => {
    const { d, port } = await start();
    const res = await sendRaw(port, { from: 'someone@example.org', to: ['victim@example.com'] }, s02());
    expect(res.ok).toBe(false);
    expect(res.code).toBe(550);
    expect((await d.store.messages.counts()).received + (await d.store.messages.counts()).processed).toBe(0);
  });

  it('refuses a message over the size limit with 552 and stores nothing', async () => {
    const { d, port } = await start({ smtp: { port: 0, maxMessageBytes: 8192 } });
    const big = Buffer.concat([s02(), Buffer.from('\r\n' + 'x'.repeat(76) + '\r\n').subarray(0, 80)]);
    const huge = Buffer.concat([big, Buffer.alloc(20_000, 'y')]);
    const res = await sendRaw(port, { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, huge);
    expect(res.code).toBe(552);
    expect(await d.store.messages.list({})).toHaveLength(0);
  });

  // The DSN, then 3.5 MB of base64-like lines: what a returned attachment looks like.
  const bigDsn = () => {
    const line = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n');
    return Buffer.concat([s02(), ...Array.from({ length: Math.ceil(3.5 * 2 ** 20 / line.length) }, () => line)]);
  };
  const rawRows = (dataDir: string, id: number) => {
    const db = new Database(join(dataDir, DB_FILE), { readonly: true });
    try {
      const head = db.prepare('SELECT length(raw) AS length, spool_file AS file FROM message_raw WHERE message_id = ?').get(id) as { length: number; file: string | null };
      const tail = db.prepare('SELECT count(*) FROM message_raw_tail WHERE message_id = ?').pluck().get(id) as number;
      return { ...head, tail };
    } finally {
      db.close();
    }
  };

  for (const worker of [true, false]) {
    it(`stores a 3.5 MB bounce whole in memory parts when not spooling, and processes its head (${worker ? 'its parts moved to the pipeline worker' : 'in-process intake'})`, async () => {
      const { d, port, config } = await start({ pipeline: { worker }, spool: { aboveBytes: 0 } });
      const raw = bigDsn();
      const to = verp.encode({ account: 'acme', message: 'big-1', recipient: s02Rcpt }, BOUNCE_DOMAIN);
      const res = await sendRaw(port, { from: '', to: [to] }, raw);
      expect(res.code).toBe(250);
      await d.processor.drain();
      const [summary] = await d.store.messages.list({});
      expect(summary).toMatchObject({ state: 'processed', size: raw.length, sha256: createHash('sha256').update(raw).digest('hex') });
      expect((await d.store.messages.raw(summary!.id))!.equals(raw)).toBe(true);
      // Only the head is kept in one piece; the rest follows in parts.
      const rows = rawRows(config.dataDir, summary!.id);
      expect(rows.length).toBe(RAW_HEAD_BYTES);
      expect(rows.file).toBeNull();
      expect(rows.tail).toBeGreaterThanOrEqual(3);
      expect(readdirSync(join(config.dataDir, 'spool'))).toEqual([]);
      expect(await d.store.bounces.list({})).toMatchObject([{ recipient: s02Rcpt, accountId: 'acme', verified: true, hardbounce: true }]);
    });

    it(`spools a 3.5 MB bounce to a file (head in the database) and processes its head (${worker ? 'pipeline worker' : 'in-process intake'})`, async () => {
      const { d, port, config } = await start({ pipeline: { worker } });
      const raw = bigDsn();
      const to = verp.encode({ account: 'acme', message: 'big-1', recipient: s02Rcpt }, BOUNCE_DOMAIN);
      const res = await sendRaw(port, { from: '', to: [to] }, raw);
      expect(res.code).toBe(250);
      await d.processor.drain();
      const [summary] = await d.store.messages.list({});
      expect(summary).toMatchObject({ state: 'processed', size: raw.length, sha256: createHash('sha256').update(raw).digest('hex') });
      const rows = rawRows(config.dataDir, summary!.id);
      expect(rows).toMatchObject({ length: RAW_HEAD_BYTES, tail: 0 });
      const spoolDir = join(config.dataDir, 'spool');
      expect(readdirSync(spoolDir)).toEqual([rows.file]);
      expect(readFileSync(join(spoolDir, rows.file!)).equals(raw)).toBe(true);
      expect(statSync(join(spoolDir, rows.file!)).mode & 0o777, 'owner only').toBe(0o600);
      expect((await d.store.messages.raw(summary!.id))!.equals(raw)).toBe(true);
      expect(await d.store.bounces.list({})).toMatchObject([{ recipient: s02Rcpt, accountId: 'acme', verified: true, hardbounce: true }]);
    });
  }

  it('stores nothing of a big message whose session is cut mid-DATA, and serves the next', async () => {
    const { d, port, config } = await start({ pipeline: { worker: true } });
    const sock = net.connect(port, '127.0.0.1');
    const replies: string[] = [];
    sock.on('data', (b) => replies.push(b.toString()));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 200 && !re.test(replies.join('')); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await waitFor(/^220 /m);
    sock.write(`EHLO mta.test\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@${BOUNCE_DOMAIN}>\r\nDATA\r\n`);
    await waitFor(/^354 /m);
    // 2.5 MB: two whole parts are held when the connection drops.
    sock.write(Buffer.concat([s02(), Buffer.alloc(2.5 * 2 ** 20, 'QUJD\r\n')]));
    await new Promise((r) => setTimeout(r, 200));
    sock.destroy();
    const res = await sendRaw(port, { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, withMessageId(s02(), 'after-cut'));
    expect(res.code).toBe(250);
    await d.processor.drain();
    expect(await d.store.messages.list({})).toMatchObject([{ state: 'processed', size: withMessageId(s02(), 'after-cut').length }]);
    // The cut message had gone to a spool file (past 1 MiB): removed with its session. The
    // removal runs after the session's pending writes (SpoolWriter.discard), which on a loaded
    // machine can finish after the next message is processed: it must happen, within seconds.
    const spool = join(config.dataDir, 'spool');
    for (let i = 0; i < 100 && readdirSync(spool).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(spool)).toEqual([]);
  });

  it('answers 451 when a spool file cannot be written, stores nothing, and takes the retry', async () => {
    const { d, port, config } = await start({ pipeline: { worker: true } });
    const spoolDir = join(config.dataDir, 'spool');
    // The spool directory gone (a failed mount, a careless clean-up): the file cannot be created.
    rmSync(spoolDir, { recursive: true });
    const raw = bigDsn();
    const to = verp.encode({ account: 'acme', message: 'big-1', recipient: s02Rcpt }, BOUNCE_DOMAIN);
    const refused = await sendRaw(port, { from: '', to: [to] }, raw);
    expect(refused.code).toBe(451);
    expect(refused.response).toMatch(/^451 4\.3\.0/);
    expect(await d.store.messages.list({})).toEqual([]);
    mkdirSync(spoolDir);
    expect((await sendRaw(port, { from: '', to: [to] }, raw)).code).toBe(250);
    await d.processor.drain();
    expect(await d.store.messages.list({})).toMatchObject([{ state: 'processed', size: raw.length }]);
  });

  it('answers 452 past the recipient limit', async () => {
    const { d, port } = await start({ smtp: { port: 0, maxRecipients: 2 } });
    const res = await sendRaw(port, { from: '', to: ['a@bounces.test', 'b@bounces.test', 'c@bounces.test'] }, s02());
    // The first two are taken; the third is refused with 452 and the message goes to two.
    expect(res.rejected).toEqual([{ address: 'c@bounces.test', code: 452 }]);
    await d.processor.drain();
    expect((await d.store.messages.list({}))[0]!.rcptTo).toEqual(['a@bounces.test', 'b@bounces.test']);
  });

  it('answers 451 when the store cannot write, loses nothing, and takes the retry', async () => {
    const { d, config, port } = await start({ store: { busyTimeoutMs: 100 } });
    // Another process holds the write lock: the same fault as a wedged or locked database.
    const other = new Database(join(config.dataDir, DB_FILE));
    other.exec('BEGIN EXCLUSIVE');
    const to = verp.encode({ account: 'acme', message: 'm-2', recipient: s02Rcpt }, BOUNCE_DOMAIN);
    const failed = await sendRaw(port, { from: '', to: [to] }, s02());
    expect(failed.code).toBe(451);
    other.exec('ROLLBACK');
    other.close();
    // The sending MTA retries; now it is stored once and processed.
    const retried = await sendRaw(port, { from: '', to: [to] }, s02());
    expect(retried.code).toBe(250);
    await d.processor.drain();
    expect(await d.store.messages.list({})).toHaveLength(1);
    expect(await d.store.bounces.list({})).toHaveLength(1);
  });

  it('at the whole-session limit, still answers a message received whole before closing (no 421 over a stored message)', async () => {
    // The session's time runs out while a received message waits for the write lock: its reply
    // is owed and comes first, then the 421. Cutting the session there made the sender resend
    // a message that was stored anyway (seen once per session in a 20-minute bench run).
    const { d, config, port } = await start({ smtp: { port: 0, maxSessionMs: 800 }, store: { busyTimeoutMs: 10_000 } });
    const other = new Database(join(config.dataDir, DB_FILE));
    other.exec('BEGIN EXCLUSIVE');
    const { sock, said, saw, closed } = rawSession(port);
    await saw(/^220 /m);
    sock.write('EHLO mx.example.org\r\n');
    await saw(/^250 /m);
    sock.write(`MAIL FROM:<>\r\nRCPT TO:<postmaster@${BOUNCE_DOMAIN}>\r\nDATA\r\n`);
    await saw(/^354 /m);
    sock.write(Buffer.concat([s02(), Buffer.from('\r\n.\r\n')]));
    // Past the session's limit while the commit still waits for the lock.
    await new Promise((r) => setTimeout(r, 1500));
    expect(said()).not.toMatch(/^421 /m);
    other.exec('ROLLBACK');
    other.close();
    await closed;
    expect(said()).toMatch(/^250 2\.0\.0 Ok: stored as \d+\r\n421 .*Session too long/m);
    expect(await d.store.messages.list({})).toHaveLength(1);
  });

  it('at the whole-session limit, cuts a message still arriving and stores none of it', async () => {
    const { d, port } = await start({ smtp: { port: 0, maxSessionMs: 800 } });
    const { sock, said, saw, closed } = rawSession(port);
    await saw(/^220 /m);
    sock.write(`EHLO mx.example.org\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@${BOUNCE_DOMAIN}>\r\nDATA\r\n`);
    await saw(/^354 /m);
    // Most of the message, with a dot-stuffed line, and no final dot.
    sock.write(Buffer.concat([s02(), Buffer.from('\r\n..a stuffed line\r\n')]));
    await closed;
    expect(said()).toMatch(/^421 .*Session too long/m);
    expect(said()).not.toMatch(/^250 2\.0\.0/m);
    await d.processor.drain();
    expect(await d.store.messages.list({})).toHaveLength(0);
  });

  it('gives one set of records for a report received twice (same bytes, or same Message-ID)', async () => {
    const { d, port } = await start();
    const to = verp.encode({ account: 'acme', message: 'm-3', recipient: s02Rcpt }, BOUNCE_DOMAIN);
    expect((await sendRaw(port, { from: '', to: [to] }, s02())).code).toBe(250);
    expect((await sendRaw(port, { from: '', to: [to] }, s02())).code).toBe(250);
    // A resend with a new Received line on top: other bytes, same report Message-ID.
    const relayed = Buffer.concat([Buffer.from('Received: from relay.example by mx.example; Mon, 23 Nov 2026 02:45:00 +0000\r\n'), s02()]);
    expect((await sendRaw(port, { from: '', to: [to] }, relayed)).code).toBe(250);
    await d.processor.drain();
    const messages = await d.store.messages.list({});
    expect(messages.map((m) => m.state)).toEqual(['processed', 'duplicate', 'duplicate']);
    expect(messages[1]!.duplicateOf).toBe(messages[0]!.id);
    expect(await d.store.bounces.list({})).toHaveLength(1);
  });

  it('stores garbage bytes and marks them unparseable with the error', async () => {
    const { d, port } = await start();
    const garbage = Buffer.from(Array.from({ length: 3000 }, (_, i) => ((i * 7919) % 251) + 1).filter((b) => b !== 10 && b !== 13 && b !== 46));
    const res = await sendRaw(port, { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, garbage);
    expect(res.code).toBe(250);
    await d.processor.drain();
    const [msg] = await d.store.messages.list({});
    expect(msg!.state).toBe('unparseable');
    expect(msg!.error).toBeTruthy();
    expect((await d.store.messages.raw(msg!.id))!.length).toBeGreaterThan(0);
    expect(await d.store.bounces.list({})).toHaveLength(0);
  });

  it('keeps refusing early talkers while the greeting delay is configurable', async () => {
    // A delay long enough that our EHLO surely arrives before the greeting.
    const { port } = await start({ smtp: { port: 0, greetingDelayMs: 400 } });
    const net = await import('node:net');
    const early = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1', () => sock.write('EHLO early.example\r\n'));
      let buf = '';
      sock.on('data', (b) => (buf += b.toString()));
      sock.on('close', () => resolve(buf));
      sock.once('error', reject);
      setTimeout(() => sock.destroy(), 3000);
    });
    expect(early).toMatch(/^421 .*talk too soon/);
  });
});
