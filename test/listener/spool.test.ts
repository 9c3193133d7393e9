// Big messages go to a spool file (issue #20), against a real daemon (dist/: `npm run build`
// first) over SMTP on loopback: a 25 MB bounce is stored, parsed, and served back byte for byte
// by the API, with RSS growth well under its size; a refused one leaves nothing; a crash
// between a file's fsync and its commit (or mid-DATA) leaves orphans that the next start
// removes, keeping every file a row names; `bounced backup` carries the spool and a restore
// from it serves the same bytes; retention removes the file.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { newSpoolName } from '../../src/spool/dir.js';
import { VerpCodec } from '../../src/verp/index.js';
import { childEnv, CLI, spawnDaemon, type ChildDaemon } from '../helpers/child.js';
import { readRows } from '../helpers/db.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, tmpDir } from '../helpers/env.js';
import { sendRaw } from '../helpers/smtp.js';

const execFileP = promisify(execFile);
const MB = 1024 * 1024;
const ADMIN_KEY = 'admin-key-for-spool-tests-0123456789';
const verp = new VerpCodec(TEST_SECRET, 'b');
const s02Rcpt = 'rcpt-550-5.1.1@reject.test';

let daemons: ChildDaemon[] = [];
afterEach(async () => {
  for (const d of daemons) {
    if (d.proc.exitCode === null && d.proc.signalCode === null) {
      d.proc.kill('SIGTERM');
      await d.exited;
    }
  }
  daemons = [];
});

const env = (dataDir: string, extra: Record<string, string> = {}) => ({
  BOUNCED_DATA_DIR: dataDir,
  BOUNCED_VERP_SECRET: TEST_SECRET,
  BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN,
  BOUNCED_ADMIN_KEY: ADMIN_KEY,
  ...extra,
});
async function start(dataDir: string, extra: Record<string, string> = {}): Promise<ChildDaemon> {
  const d = await spawnDaemon(env(dataDir, extra));
  daemons.push(d);
  return d;
}
async function stop(d: ChildDaemon): Promise<void> {
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
}

/** Resident set now and at its peak (VmHWM), in MB; clear_refs resets the peak (we are root in CI; else it includes start-up). */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)![1]) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}
function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not root: the peak then includes start-up, the bound is only looser
  }
}

/**
 * The Postfix DSN of s02 for a signed VERP address, then `bytes` of base64 lines of random
 * data after it (a returned attachment: what makes a bounce big). Random, so that a byte out
 * of place anywhere shows.
 */
function bigDsn(bytes: number, n: number): { raw: Buffer; to: string } {
  const to = verp.encode({ account: 'acme', message: `big-${n}`, recipient: s02Rcpt }, BOUNCE_DOMAIN);
  const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml')).toString('latin1').replace(/^Message-Id: <([^>]+)>/im, `Message-Id: <${n}.$1>`);
  const b64 = randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < b64.length; at += 76) lines.push(b64.slice(at, at + 76));
  return { raw: Buffer.concat([Buffer.from(dsn, 'latin1'), Buffer.from(lines.join('\r\n') + '\r\n')]), to };
}

const api = (d: ChildDaemon, path: string) => fetch(`http://127.0.0.1:${d.httpPort}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });

async function waitProcessed(d: ChildDaemon, n: number): Promise<Array<{ id: number; recipient: string }>> {
  for (let i = 0; i < 300; i++) {
    const items = (await (await api(d, '/v1/bounces')).json()).items as Array<{ id: number; recipient: string }>;
    if (items.length >= n) return items;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('bounces not recorded in time');
}

describe('big messages go to a spool file', () => {
  it('a 25 MB bounce over SMTP is spooled, parsed, and its report served byte for byte; RSS grows far less than its size', async () => {
    const dataDir = tmpDir('bounced-spool-');
    const d = await start(dataDir);
    // Warm up the big-message path once (code loaded on first use is not growth).
    const warm = bigDsn(2 * MB, 0);
    expect((await sendRaw(d.smtpPort, { from: '', to: [warm.to] }, warm.raw)).code).toBe(250);
    await waitProcessed(d, 1);
    await new Promise((r) => setTimeout(r, 300));
    resetPeak(d.proc.pid!);
    const before = memory(d.proc.pid!);
    const { raw, to } = bigDsn(25 * MB, 1);
    const res = await sendRaw(d.smtpPort, { from: '', to: [to] }, raw);
    expect(res.code, res.response).toBe(250);
    const id = Number(/stored as (\d+)/.exec(res.response)![1]);
    const items = await waitProcessed(d, 2);
    const grown = memory(d.proc.pid!).peak - before.rss;
    console.log(`25 MB spooled: peak RSS grew ${grown.toFixed(1)} MB`);
    // Held in memory it grew 44-73 MB (bench/spool.mjs); spooled 8-14 MB measured on Node 22.
    // The bound leaves room for another Node's GC: under the message's size (issue #20: <= 1x).
    expect(grown).toBeLessThan(raw.length / MB);

    const [row] = readRows<{ size: number; sha256: string; state: string }>(dataDir, 'SELECT size, sha256, state FROM messages WHERE id = ?', id);
    expect(row).toEqual({ size: raw.length, sha256: createHash('sha256').update(raw).digest('hex'), state: 'processed' });
    const [file] = readRows<{ f: string }>(dataDir, 'SELECT spool_file AS f FROM message_raw WHERE message_id = ?', id);
    expect(readFileSync(join(dataDir, 'spool', file!.f)).equals(raw)).toBe(true);
    // The newest bounce is the 25 MB one's: parsed from its head, its report the message byte for byte.
    const newest = items.reduce((a, b) => (a.id > b.id ? a : b));
    const one = (await (await api(d, `/v1/bounces/${newest.id}`)).json()).bounce;
    expect(one).toMatchObject({ accountId: 'acme', messageId: 'big-1', recipient: s02Rcpt, type: 'hard', verified: true });
    const report = await api(d, `/v1/bounces/${newest.id}/report`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toMatch(/^message\/rfc822/);
    const body = Buffer.from(await report.arrayBuffer());
    expect(body.length).toBe(raw.length);
    expect(body.equals(raw)).toBe(true);
    await stop(d);
  }, 120_000);

  it('a refused big message holds nothing and leaves no file (552 past the limit, mid-spool)', async () => {
    const dataDir = tmpDir('bounced-spool-');
    const d = await start(dataDir, { BOUNCED_SMTP_MAX_MESSAGE_BYTES: String(10 * MB) });
    const warm = bigDsn(2 * MB, 0);
    expect((await sendRaw(d.smtpPort, { from: '', to: [warm.to] }, warm.raw)).code).toBe(250);
    await new Promise((r) => setTimeout(r, 500));
    resetPeak(d.proc.pid!);
    const before = memory(d.proc.pid!);
    const { raw, to } = bigDsn(25 * MB, 1);
    const res = await sendRaw(d.smtpPort, { from: '', to: [to] }, raw);
    expect(res.code).toBe(552);
    const grown = memory(d.proc.pid!).peak - before.rss;
    console.log(`25 MB refused at 10 MB: peak RSS grew ${grown.toFixed(1)} MB`);
    // Measured 1.2-1.8 MB on Node 22 (0.05-0.07x; issue #20: <= 0.1x); generous for other Nodes.
    expect(grown).toBeLessThan(0.3 * (raw.length / MB));
    expect(readdirSync(join(dataDir, 'spool'))).toHaveLength(1); // the warm-up's only
    await stop(d);
  }, 120_000);

  it('a crash between a spool file and its commit (or mid-DATA) leaves orphans that the next start removes; named files stay', async () => {
    const dataDir = tmpDir('bounced-spool-');
    const d = await start(dataDir);
    const kept = bigDsn(2 * MB, 1);
    expect((await sendRaw(d.smtpPort, { from: '', to: [kept.to] }, kept.raw)).code).toBe(250);
    // A session killed with the daemon in the middle of its DATA (past spool.aboveBytes).
    const sock = connect(d.smtpPort, '127.0.0.1');
    let replies = '';
    sock.on('data', (b) => (replies += b.toString()));
    sock.on('error', () => {});
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 200 && !re.test(replies); i++) await new Promise((r) => setTimeout(r, 20));
    };
    await waitFor(/^220 /m);
    sock.write(`EHLO mta.test\r\nMAIL FROM:<>\r\nRCPT TO:<${kept.to}>\r\nDATA\r\n`);
    await waitFor(/^354 /m);
    sock.write(bigDsn(3 * MB, 2).raw);
    const spool = join(dataDir, 'spool');
    for (let i = 0; i < 100 && readdirSync(spool).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(spool)).toHaveLength(2);
    d.proc.kill('SIGKILL');
    await d.exited;
    sock.destroy();
    // What a crash after a file's fsync and before its commit leaves: a whole file no row names.
    const synced = newSpoolName();
    writeFileSync(join(spool, synced), bigDsn(2 * MB, 3).raw);
    writeFileSync(join(spool, 'not-a-spool-file.txt'), 'left alone');
    const [{ f: keptFile }] = readRows<{ f: string }>(dataDir, 'SELECT spool_file AS f FROM message_raw WHERE spool_file IS NOT NULL');
    expect(readdirSync(spool)).toHaveLength(4);

    const again = await start(dataDir);
    expect(again.log()).toMatch(/"evt":"SPOOL_IN_USE".*"files":1,"orphansRemoved":2/);
    expect(readdirSync(spool).sort()).toEqual([keptFile!, 'not-a-spool-file.txt'].sort());
    expect(readFileSync(join(spool, keptFile!)).equals(kept.raw)).toBe(true);
    // The sender of the cut message had no 250: its retry is taken.
    const retry = bigDsn(3 * MB, 2);
    expect((await sendRaw(again.smtpPort, { from: '', to: [retry.to] }, retry.raw)).code).toBe(250);
    await stop(again);
  }, 120_000);

  it('bounced backup carries the spool (FILE.spool); a restore from it serves the same bytes; prune-raw removes the file', async () => {
    const dataDir = tmpDir('bounced-spool-');
    const d = await start(dataDir);
    const big = bigDsn(3 * MB, 1);
    const res = await sendRaw(d.smtpPort, { from: '', to: [big.to] }, big.raw);
    expect(res.code).toBe(250);
    const id = Number(/stored as (\d+)/.exec(res.response)![1]);
    await waitProcessed(d, 1);

    const out = join(tmpDir('bounced-spool-backup-'), 'copy.db');
    const r = await execFileP(process.execPath, [CLI, 'backup', out], { env: childEnv(env(dataDir)), timeout: 60_000 });
    expect(r.stdout).toMatch(new RegExp(`^wrote ${out}: .* quick_check ok\\ncopied 1 spool files \\(${big.raw.length} bytes\\) to ${out}\\.spool\\n$`));
    await stop(d);

    // Restore into a new data directory: the copy as bounced.db, FILE.spool as spool/.
    const restored = tmpDir('bounced-spool-restored-');
    copyFileSync(out, join(restored, 'bounced.db'));
    cpSync(`${out}.spool`, join(restored, 'spool'), { recursive: true });
    const back = await start(restored);
    expect(back.log()).toMatch(/"evt":"SPOOL_IN_USE".*"files":1,"orphansRemoved":0/);
    const items = await waitProcessed(back, 1);
    const report = await api(back, `/v1/bounces/${items[0]!.id}/report`);
    expect(Buffer.from(await report.arrayBuffer()).equals(big.raw)).toBe(true);
    await stop(back);

    // Retention: with rawDays 1, a tick a few days on drops the bytes and removes the file.
    const [{ f }] = readRows<{ f: string }>(restored, 'SELECT spool_file AS f FROM message_raw WHERE message_id = ?', id);
    const later = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const t = await execFileP(process.execPath, [CLI, 'tick', '--now', later], { env: childEnv(env(restored, { BOUNCED_RETENTION_RAW_DAYS: '1' })), timeout: 60_000 });
    expect(JSON.parse(t.stdout).ran).toContain('prune-raw');
    expect(existsSync(join(restored, 'spool', f!))).toBe(false);
    expect(readRows(restored, 'SELECT message_id FROM message_raw WHERE message_id = ?', id)).toEqual([]);
    expect(readRows<{ state: string }>(restored, 'SELECT state FROM messages WHERE id = ?', id)).toEqual([{ state: 'processed' }]);
  }, 180_000);
});
