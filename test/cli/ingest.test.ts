// `bounced ingest` (Postfix's pipe(8)) stores and exits: it processes at most its own
// message, within the processing budget, never the backlog. Real child processes.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../helpers/db.js';
import { VerpCodec } from '../../src/verp/index.js';
import { childEnv, CLI } from '../helpers/child.js';
import { buildDsn } from '../helpers/dsn.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, tmpDir } from '../helpers/env.js';

const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
const verp = new VerpCodec(TEST_SECRET, 'b');
const to = verp.encode({ account: 'acme', message: 'm-1', recipient: 'rcpt-550-5.1.1@reject.test' }, BOUNCE_DOMAIN);

function ingest(env: Record<string, string>, raw: Buffer) {
  const r = spawnSync(process.execPath, [CLI, 'ingest', '--sender', '', '--recipient', to, '-'], { env: childEnv(env), input: raw, timeout: 60_000 });
  return { code: r.status, stderr: r.stderr.toString() };
}

describe('bounced ingest', () => {
  const env = () => ({ BOUNCED_DATA_DIR: tmpDir(), BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN });

  it('processes its own message only: a backlog stays for the daemon', async () => {
    const e = env();
    // What the daemon has not processed yet (it may be down, or busy with a slow report).
    const store = await openStore(loadConfig({ env: e }));
    const backlog = await store.messages.insert(
      [1, 2, 3].map((n) => ({ receivedAt: Date.now(), source: 'smtp' as const, mailFrom: '', rcptTo: [`postmaster@${BOUNCE_DOMAIN}`], remoteIp: null, helo: null, raw: Buffer.from(dsn.toString('latin1').replace(/^Message-Id: <([^>]+)>/im, `Message-Id: <${n}.$1>`), 'latin1') })),
    );
    await store.close();
    const r = ingest(e, dsn);
    expect(r.code, r.stderr).toBe(0);
    const after = await openStore(loadConfig({ env: e }));
    const messages = await after.messages.list({});
    await after.close();
    expect(messages.filter((m) => backlog.includes(m.id))).toEqual(backlog.map(() => expect.objectContaining({ state: 'received', attempts: 0 })));
    expect(messages.find((m) => !backlog.includes(m.id))).toMatchObject({ source: 'ingest', state: 'processed', kind: 'bounce', attempts: 1 });
  }, 60_000);

  it('reads a message that reaches its stdin late and in pieces (as pipe(8) may write it)', async () => {
    // Importing commander (an ES module that imports node:process) sets stdin O_NONBLOCK: a
    // read before the writer has written got EAGAIN, exit 66, and Postfix bounced the report.
    const e = env();
    const child = spawn(process.execPath, [CLI, 'ingest', '--sender', '', '--recipient', to, '-'], { env: childEnv(e), stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    await new Promise((r) => setTimeout(r, 1500));
    const half = Math.floor(dsn.length / 2);
    child.stdin.write(dsn.subarray(0, half));
    await new Promise((r) => setTimeout(r, 300));
    child.stdin.end(dsn.subarray(half));
    expect(await exited, stderr).toBe(0);
    const store = await openStore(loadConfig({ env: e }));
    const [m] = await store.messages.list({});
    await store.close();
    expect(m).toMatchObject({ source: 'ingest', size: dsn.length, state: 'processed', kind: 'bounce' });
  }, 60_000);

  it('exits 0 with its message stored as unparseable when the parse exceeds the budget', async () => {
    const e = { ...env(), BOUNCED_PIPELINE_PARSE_BUDGET_MS: '25' };
    const slow = await buildDsn({ recipients: 10_000, diagnostic: () => null, messageId: '<slow@mx.example.org>' });
    const r = ingest(e, slow);
    expect(r.code, r.stderr).toBe(0);
    const store = await openStore(loadConfig({ env: e }));
    const [m] = await store.messages.list({});
    await store.close();
    expect(m).toMatchObject({ source: 'ingest', size: slow.length, state: 'unparseable', error: 'processing budget exceeded: 25 ms' });
  }, 60_000);
});
