// bounced beside a real Postfix (../shared/postfix/harness.sh, Postfix 3.7 on loopback).
// Mail goes in on 2526 with a signed return path; Postfix fails it and sends its DSN:
//   way 1  straight to bounced's SMTP listener on 2525 (the harness routes bounces.test there,
//          as DNS would route a bounce domain whose MX is bounced);
//   way 2a Postfix is the MX of relay.bounces.test and relays it to bounced, refusing unknown
//          local parts with config/postfix/relay_recipients.regexp;
//   way 2b Postfix pipes pipe.bounces.test into `bounced ingest` with the master.cf entry of
//          config/postfix/master.cf;
//   way 3  bounced tails Postfix's maillog_file: status=bounced|deferred lines become the same
//          delivery records as the DSNs, joined per (account, message, recipient).
// In CI (CI=true) a missing Postfix fails the run; elsewhere these tests skip and say why.
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { expirePending } from '../../src/scheduler/jobs.js';
import { PolicyRules } from '../../src/policy/apply.js';
import type { BounceRecord } from '../../src/store/contract.js';
import { readRows } from '../helpers/db.js';
import { VerpCodec } from '../../src/verp/index.js';
import { childEnv, CLI } from '../helpers/child.js';
import { BOUNCE_DOMAIN, fixturesDir, inCI, repoRoot, TEST_SECRET, testConfig, tmpDir } from '../helpers/env.js';
import { postfixMissing, REMOTE_PORT, removeInstance, SINK_PORT, startHarness, submit, SUBMISSION_PORT, type Harness } from '../helpers/postfix.js';
import { sendRaw, withMessageId } from '../helpers/smtp.js';
import { busyPorts } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

const RELAY_DOMAIN = 'relay.bounces.test';
const PIPE_DOMAIN = 'pipe.bounces.test';
const verp = new VerpCodec(TEST_SECRET, 'b');
const token = (account: string, message: string, recipient: string, domain = BOUNCE_DOMAIN) => verp.encode({ account, message, recipient }, domain);

const missing = postfixMissing();
if (missing && !inCI) console.warn(`SKIPPED: Postfix end-to-end tests (test/e2e/postfix.test.ts): ${missing}`);

/** The "bounced" pipe service of config/postfix/master.cf as one `postconf -M` value. */
function pipeServiceFromDocs(subst: { user: string; path: string; config: string }): string {
  const text = readFileSync(join(repoRoot, 'config/postfix/master.cf'), 'utf8');
  const m = /^bounced\s+unix\s.*(?:\n[ \t]+\S.*)*/m.exec(text);
  if (!m) throw new Error('config/postfix/master.cf has no "bounced unix" entry');
  const entry = m[0].replace(/\s*\n\s+/g, ' ');
  const out = entry
    .replace('user=bounced', `user=${subst.user}`)
    .replace('PATH=/usr/local/bin:', `PATH=${subst.path}:/usr/local/bin:`)
    .replace('BOUNCED_CONFIG=/etc/bounced/bounced.json', `BOUNCED_CONFIG=${subst.config}`);
  if (out === entry) throw new Error('config/postfix/master.cf changed shape: update this test');
  return out;
}

describe.skipIf(missing !== null && !inCI)('bounced beside a real Postfix', () => {
  const instance = tmpDir('bounced-pfx-');
  const pipeHome = tmpDir('bounced-pipe-');
  let daemon: Daemon | undefined;
  let daemonConfig!: ReturnType<typeof testConfig>;
  let harness: Harness | undefined;
  let nobody: { uid: number; gid: number };
  let asNobody = { node: process.execPath, cli: CLI };
  const t0 = Date.now();

  const sent = {
    local: token('acme', 'm-local', 'nosuchuser@mta.test'),
    remote: token('acme', 'm-remote', 'rcpt-550-5.1.1@reject.test'),
    delayed: token('acme', 'm-delay', 'someone@unreachable.test'),
    piped: token('piped', 'm-pipe', 'nosuchuser-pipe@mta.test', PIPE_DOMAIN),
    relayed: token('relayed', 'm-relay', 'rcpt-550-5.1.1@reject.test', RELAY_DOMAIN),
  };

  /** waitFor, with the end of Postfix's log and its queue in the error: what CI shows. */
  const waitForMail = async <T,>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>, everyMs?: number): Promise<T> => {
    try {
      return await waitFor(what, ms, probe, everyMs);
    } catch (err) {
      const log = readFileSync(harness!.maillog, 'utf8').split('\n').slice(-40).join('\n');
      throw new Error(`${(err as Error).message}\n--- maillog (last 40 lines)\n${log}\n--- queue\n${harness!.queue()}`, { cause: err });
    }
  };

  const bounceFor = (recipient: string, type: BounceRecord['type']) => async () => {
    const records = await daemon!.store.bounces.list({ recipient });
    return records.find((r) => r.type === type && r.accountId !== null) ?? records.find((r) => r.type === type);
  };

  beforeAll(async () => {
    if (missing) throw new Error(`CI runs the Postfix end-to-end tests, but: ${missing}. .ci/run installs Postfix.`);
    const busy = await busyPorts([SINK_PORT, SUBMISSION_PORT, REMOTE_PORT]);
    if (busy.length > 0) throw new Error(`127.0.0.1 ports ${busy.join(', ')} are in use (another harness or bounced? ss -ltnp)`);

    // bounced takes the harness's sink port itself: the harness delivers bounces.test there.
    daemon = await startDaemon(
      (daemonConfig = testConfig({
        bounceDomains: [BOUNCE_DOMAIN, RELAY_DOMAIN],
        smtp: { host: '127.0.0.1', port: SINK_PORT },
        // Way 3: the harness's maillog_file (it does not exist yet: bounced waits for it).
        tail: { file: join(instance, 'maillog'), pollMs: 100 },
      })),
      createLogger(process.env.E2E_LOG_LEVEL ?? 'silent'),
    );
    // A 10 s delay warning (Postfix takes any time unit) and a lifetime well past the test.
    harness = startHarness(instance, { PFX_DELAY_WARNING: '10s', PFX_MAX_LIFETIME: '10m' });

    // Ways 2a and 2b: Postfix is the MX of relay.bounces.test and pipe.bounces.test; the
    // recipient table of the docs, for each domain.
    const documented = readFileSync(join(repoRoot, 'config/postfix/relay_recipients.regexp'), 'utf8');
    const regexp = [RELAY_DOMAIN, PIPE_DOMAIN].map((d) => documented.replaceAll('bounces\\.example\\.com', d.replaceAll('.', '\\.'))).join('\n');
    writeFileSync(join(harness.etc, 'relay_recipients.regexp'), regexp);
    // Way 2b: a pipe into `bounced ingest` as an unprivileged user with its own dataDir.
    nobody = { uid: Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout), gid: Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout) };
    chmodSync(pipeHome, 0o755);
    const dataDir = join(pipeHome, 'data');
    mkdirSync(dataDir);
    chownSync(dataDir, nobody.uid, nobody.gid);
    // pipe(8) runs the command as nobody, who must reach node and the built CLI; a clone
    // under a private directory (/root is 0700) is out of reach, so nobody gets a copy.
    if (spawnSync(asNobody.node, [asNobody.cli, '--help'], { ...nobody }).status !== 0) {
      const app = join(pipeHome, 'app');
      for (const part of ['package.json', 'dist', 'node_modules']) cpSync(join(repoRoot, part), join(app, part), { recursive: true });
      cpSync(process.execPath, join(pipeHome, 'node'));
      asNobody = { node: join(pipeHome, 'node'), cli: join(app, 'dist/cli.js') };
    }
    const bin = join(pipeHome, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'bounced'), `#!/bin/sh\nexec ${asNobody.node} ${asNobody.cli} "$@"\n`, { mode: 0o755 });
    writeFileSync(join(pipeHome, 'bounced.json'), JSON.stringify({ dataDir, bounceDomains: [PIPE_DOMAIN], verp: { secret: TEST_SECRET } }), { mode: 0o644 });
    harness.postconf('-Me', `bounced/unix=${pipeServiceFromDocs({ user: 'nobody', path: bin, config: join(pipeHome, 'bounced.json') })}`);
    harness.postconf('-e', `relay_domains = ${RELAY_DOMAIN}, ${PIPE_DOMAIN}`, `relay_recipient_maps = regexp:${join(harness.etc, 'relay_recipients.regexp')}`);
    appendFileSync(join(harness.etc, 'transport'), `${RELAY_DOMAIN} smtp:[127.0.0.1]:${SINK_PORT}\n${PIPE_DOMAIN} bounced:\n`);
    harness.reload();

    await submit({ from: sent.local, to: 'nosuchuser@mta.test', subject: 'local unknown user' });
    await submit({ from: sent.remote, to: 'rcpt-550-5.1.1@reject.test', subject: 'remote 550' });
    await submit({ from: sent.delayed, to: 'someone@unreachable.test', subject: 'unreachable' });
    await submit({ from: sent.piped, to: 'nosuchuser-pipe@mta.test', subject: 'piped' });
  }, 90_000);

  afterAll(async () => {
    harness?.stop();
    await daemon?.stop();
    // E2E_KEEP=1 keeps Postfix's config, queue and log for a look.
    if (process.env.E2E_KEEP === '1') console.log(`kept ${instance} and ${pipeHome}`);
    else {
      removeInstance(instance);
      removeInstance(pipeHome);
    }
    console.log(`Postfix end-to-end tests took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it('way 1: a local unknown user; Postfix delivers its DSN to bounced: hard, verified, attributed', async () => {
    const rec = await waitForMail('the DSN for nosuchuser@mta.test', 30_000, bounceFor('nosuchuser@mta.test', 'hard'));
    expect(rec).toMatchObject({ accountId: 'acme', messageId: 'm-local', type: 'hard', verified: true, reason: 'userunknown', kind: 'bounce' });
    expect(rec.status).toMatch(/^5\.1\.1$/);
    const msg = (await daemon!.store.messages.get(rec.messageRow))!;
    expect(msg).toMatchObject({ source: 'smtp', mailFrom: '', rcptTo: [sent.local], remoteIp: '127.0.0.1' });
    // Way 3 reads this line: Postfix logs bounced's 250 text, so the two logs link up.
    const maillog = readFileSync(harness!.maillog, 'utf8');
    expect(maillog).toMatch(new RegExp(`relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${SINK_PORT},.* status=sent \\(250 2\\.0\\.0 Ok: stored as ${rec.messageRow}\\)`));
  });

  it('way 1: the remote MX refuses with 550 5.1.1: hard, verified, userunknown', async () => {
    const rec = await waitForMail('the DSN for rcpt-550-5.1.1@reject.test', 30_000, async () =>
      (await daemon!.store.bounces.list({ recipient: 'rcpt-550-5.1.1@reject.test' })).find((r) => r.messageId === 'm-remote'),
    );
    expect(rec).toMatchObject({ accountId: 'acme', type: 'hard', verified: true, reason: 'userunknown', hardbounce: true, status: '5.1.1' });
    expect(rec.diagnostic).toContain('550 5.1.1');
  });

  it('way 2a: Postfix as MX relays the bounce domain to bounced; unknown local parts are refused by Postfix', async () => {
    const dsn = withMessageId(readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml')), 'relay');
    const refused = await sendRaw(SUBMISSION_PORT, { from: '', to: [`nobody@${RELAY_DOMAIN}`] }, dsn);
    expect(refused.code).toBe(550);
    expect(refused.response).toContain('relay recipient table');
    const accepted = await sendRaw(SUBMISSION_PORT, { from: '', to: [sent.relayed] }, dsn);
    expect(accepted.code, accepted.response).toBe(250);
    const rec = await waitForMail('the relayed DSN', 30_000, async () => (await daemon!.store.bounces.list({ accountId: 'relayed' }))[0]);
    expect(rec).toMatchObject({ messageId: 'm-relay', recipient: 'rcpt-550-5.1.1@reject.test', type: 'hard', verified: true });
    expect((await daemon!.store.messages.get(rec.messageRow))!.rcptTo).toEqual([sent.relayed]);
  });

  it('way 2b: Postfix pipes the DSN into `bounced ingest` (pipe(8), unprivileged user)', async () => {
    const list = () => {
      const r = spawnSync(asNobody.node, [asNobody.cli, 'bounces', 'list', '--format', 'jsonl'], {
        ...nobody,
        env: childEnv({ BOUNCED_CONFIG: join(pipeHome, 'bounced.json') }),
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`bounces list exited ${r.status}: ${r.stderr}`);
      return r.stdout.trim() ? r.stdout.trim().split('\n').map((l) => JSON.parse(l) as BounceRecord) : [];
    };
    const rec = await waitForMail('the piped DSN', 30_000, () => list().find((r) => r.recipient === 'nosuchuser-pipe@mta.test'));
    expect(rec).toMatchObject({ accountId: 'piped', messageId: 'm-pipe', type: 'hard', verified: true, reason: 'userunknown' });
    expect(readFileSync(harness!.maillog, 'utf8')).toMatch(/relay=bounced, .*status=sent \(delivered via bounced service\)/);
  });

  it('way 2a: a List-Unsubscribe mailto: opt-out passes the recipient table, reaches bounced and suppresses the contact', async () => {
    const address = verp.encodeUnsubscribe({ account: 'relayed', message: 'news/n-1', recipient: 'Reader@Example.org' }, RELAY_DOMAIN);
    expect(address).toMatch(/^u\+/);
    // What a mail client sends for the mailto: link: from the reader, any body.
    expect(await submit({ from: 'reader@example.org', to: address, subject: 'unsubscribe' })).toMatch(/^250/);
    const row = await waitForMail('the unsubscribe suppression', 30_000, () =>
      readRows<{ account_id: string; address: string }>(daemonConfig.dataDir, `SELECT account_id, address, reason FROM suppressions WHERE reason = 'unsubscribe'`)[0],
    );
    expect(row).toMatchObject({ account_id: 'relayed', address: 'reader@example.org' });
    expect(readFileSync(harness!.maillog, 'utf8')).toMatch(new RegExp(`to=<${address.replace(/[.+]/g, '\\$&')}>, relay=127\\.0\\.0\\.1.*status=sent \\(250 2\\.0\\.0 Ok: stored as \\d+\\)`, 'i'));
  });

  it('way 2b: a mailed opt-out to the pipe domain is piped into `bounced ingest` and suppresses the contact', async () => {
    const address = verp.encodeUnsubscribe({ account: 'piped', message: 'n-2', recipient: 'reader2@example.org' }, PIPE_DOMAIN);
    expect(await submit({ from: 'reader2@example.org', to: address, subject: 'unsubscribe' })).toMatch(/^250/);
    const list = () => {
      const r = spawnSync(asNobody.node, [asNobody.cli, 'suppressions', 'list', '--account', 'piped', '--format', 'jsonl'], {
        ...nobody,
        env: childEnv({ BOUNCED_CONFIG: join(pipeHome, 'bounced.json') }),
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`suppressions list exited ${r.status}: ${r.stderr}`);
      return r.stdout.trim() ? r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { address: string; reason: string }) : [];
    };
    const row = await waitForMail('the piped unsubscribe', 30_000, () => list().find((r) => r.reason === 'unsubscribe'));
    expect(row.address).toBe('reader2@example.org');
  });

  it('way 1: an unreachable destination: the delay warning becomes a pending record, verified', async () => {
    const rec = await waitForMail('the delayed DSN for someone@unreachable.test', 60_000, bounceFor('someone@unreachable.test', 'pending'), 1000);
    expect(rec).toMatchObject({ accountId: 'acme', messageId: 'm-delay', kind: 'delay', type: 'pending', verified: true, action: 'delayed' });
    expect(rec.status).toMatch(/^4\./);
    // Still queued in Postfix: a delay is not a failure.
    expect(harness!.queue()).toContain('someone@unreachable.test');
  }, 75_000);

  it('way 3: the tailed log and the DSNs make one delivery record per recipient', async () => {
    const deliveries = async () => new Map((await daemon!.store.deliveries.list({ accountId: 'acme' })).map((d) => [d.messageId, d]));
    // Postfix's own status=bounced lines (local and at RCPT) and the DSNs: one hard record each.
    const local = await waitForMail('two pieces of evidence for m-local', 30_000, async () => {
      const d = (await deliveries()).get('m-local');
      return d && d.evidenceCount >= 2 ? d : undefined;
    });
    expect(local).toMatchObject({ recipient: 'nosuchuser@mta.test', state: 'hard', status: '5.1.1', reason: 'userunknown' });
    expect((await daemon!.store.deliveries.evidence(local.id)).map((e) => e.source).sort()).toEqual(['dsn', 'log']);
    expect((await deliveries()).get('m-remote')).toMatchObject({ state: 'hard', recipient: 'rcpt-550-5.1.1@reject.test' });
    // The unreachable one: status=deferred lines and the delayed DSN, tracked as one pending record...
    const delayed = (await deliveries()).get('m-delay')!;
    expect(delayed).toMatchObject({ state: 'pending', recipient: 'someone@unreachable.test' });
    expect((await daemon!.store.deliveries.evidence(delayed.id)).map((e) => e.source)).toEqual(expect.arrayContaining(['dsn', 'log']));
    // ...that becomes soft once our 72 h window has passed (the scheduler's job, time passed in).
    const rules = new PolicyRules(daemonConfig.policy);
    expect(await expirePending(daemon!.store, rules, 72 * 3_600_000, delayed.pendingSince! + 72 * 3_600_000)).toBe(1);
    expect((await deliveries()).get('m-delay')!.state).toBe('soft');
    // Sends counted from the log, once per (message, recipient).
    expect((await daemon!.store.sends.list('acme')).reduce((a, r) => a + r.count, 0)).toBe(3);
  });
});

// The Postfix image's entrypoint (docker/postfix/entrypoint.sh) run against a scratch config
// directory: the tables it generates must do what config/postfix documents.
const havePostconf = spawnSync('sh', ['-c', 'command -v postconf && test -f /etc/postfix/master.cf']).status === 0;
if (!havePostconf && !inCI) console.warn('SKIPPED: docker/postfix/entrypoint.sh test: needs postconf and /etc/postfix/master.cf (Postfix installed)');

describe.skipIf(!havePostconf && !inCI)('docker/postfix/entrypoint.sh', () => {
  it('writes relay_domains, a transport to bounced and the VERP-shaped recipient table; turns chroot off', () => {
    const conf = tmpDir('bounced-pfx-conf-');
    writeFileSync(join(conf, 'master.cf'), readFileSync('/etc/postfix/master.cf'));
    const env = { ...process.env, POSTFIX_CONFIG_DIR: conf, POSTFIX_MYHOSTNAME: 'mx.example.com', BOUNCED_BOUNCE_DOMAINS: 'Bounces.Example.com,b2.example.org', BOUNCED_SMTP: '10.0.0.5:2525' };
    const r = spawnSync('sh', [join(repoRoot, 'docker/postfix/entrypoint.sh'), 'true'], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const q = (key: string, table: string) => spawnSync('postmap', ['-c', conf, '-q', key, table], { encoding: 'utf8' }).stdout.trim();
    const recipients = `regexp:${join(conf, 'bounced/relay_recipients.regexp')}`;
    const good = token('acme', 'm-1', 'ann@example.org', 'bounces.example.com');
    expect(q(good, recipients)).toBe('OK');
    // The List-Unsubscribe mailto: address too (an opt-out refused here is lost).
    expect(q(verp.encodeUnsubscribe({ account: 'acme', message: 'm-1', recipient: 'ann@example.org' }, 'b2.example.org'), recipients)).toBe('OK');
    expect(q(good.toUpperCase(), recipients), 'case-insensitive').toBe('OK');
    expect(q('postmaster@b2.example.org', recipients)).toBe('OK');
    expect(q('nobody@bounces.example.com', recipients)).toBe('');
    expect(q(good.replace('bounces.example.com', 'example.com'), recipients)).toBe('');
    expect(q('b2.example.org', `texthash:${join(conf, 'bounced/transport')}`)).toBe('smtp:[10.0.0.5]:2525');
    const postconf = (...a: string[]) => spawnSync('postconf', ['-c', conf, ...a], { encoding: 'utf8' }).stdout;
    expect(postconf('-h', 'relay_domains').trim()).toBe('bounces.example.com, b2.example.org');
    expect(postconf('-h', 'maillog_file').trim()).toBe('/var/log/postfix/maillog');
    expect(postconf('-F')).not.toMatch(/\/chroot = y/);
    // Other prefixes, as bounced is configured: the same ones pass, the defaults no longer do.
    const custom = spawnSync('sh', [join(repoRoot, 'docker/postfix/entrypoint.sh'), 'true'], { env: { ...env, BOUNCED_VERP_PREFIX: 'rp', BOUNCED_VERP_UNSUBSCRIBE_PREFIX: 'optout' }, encoding: 'utf8' });
    expect(custom.status, custom.stderr).toBe(0);
    const other = new VerpCodec(TEST_SECRET, 'rp', 'optout');
    expect(q(other.encodeUnsubscribe({ account: 'acme', message: 'm-1', recipient: 'ann@example.org' }, 'bounces.example.com'), recipients)).toBe('OK');
    expect(q(other.encode({ account: 'acme', message: 'm-1', recipient: 'ann@example.org' }, 'bounces.example.com'), recipients)).toBe('OK');
    expect(q(good, recipients)).toBe('');
    removeInstance(conf);
  });
});
