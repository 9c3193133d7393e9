// A real Dovecot (Debian's dovecot-imapd) for the inbox tests: a private instance with its own
// base_dir, configuration, passwd-file users and maildirs under one temp directory, listening on
// ephemeral loopback ports (plain IMAP with STARTTLS, and implicit TLS with a self-signed
// certificate made here with openssl). The system's Dovecot service is never used or touched.
//
// Privileges (the tests run as root here and in CI): Dovecot starts as root and drops them
// itself: the login processes run as `dovenull`, the auth and other internal ones as `dovecot`
// (both created by the Debian package), and the mail processes as `nobody` (the uid/gid given
// in the passwd-file), which owns the maildirs. Dovecot's growing delay after failed logins
// (its auth penalty) is off: the tests fail logins on purpose.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

// Nothing relative is imported here, so that bench/inbox.mjs can load this file as it is (Node's
// type stripping, which does not map './net.js' to net.ts): freePort below is ./net.ts's, said
// again for that reason. Tests take inCI from ./env.ts and freePort from ./net.ts.

const DOVECOT = '/usr/sbin/dovecot';
const DOVEADM = '/usr/bin/doveadm';

function userIds(name: string): { uid: number; gid: number } | null {
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const f = r.stdout.trim().split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** Why the Dovecot tests cannot run here, or null when they can. */
export function dovecotMissing(): string | null {
  if (!existsSync(DOVECOT) || !existsSync(DOVEADM)) return 'Dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)';
  if (process.getuid?.() !== 0) return 'the private Dovecot is started as root (it drops privileges itself)';
  for (const u of ['dovecot', 'dovenull', 'nobody']) if (!userIds(u)) return `user ${u} is missing (the dovecot-core package creates dovecot and dovenull)`;
  if (spawnSync('openssl', ['version']).status !== 0) return 'openssl is not installed (the test certificate is made with it)';
  return null;
}

/** A free loopback port (the kernel's choice; released at once for Dovecot to bind). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface DovecotUser {
  name: string;
  password: string;
}

export interface DovecotOptions {
  users: DovecotUser[];
  /**
   * An OAuth2 token introspection endpoint (RFC 7662 style, `token=` POSTed) on loopback: turns
   * on XOAUTH2 / OAUTHBEARER through Dovecot's oauth2 passdb.
   */
  oauth2IntrospectionUrl?: string;
}

export interface Dovecot {
  host: '127.0.0.1';
  /** Plain IMAP (STARTTLS offered). */
  port: number;
  /** Implicit TLS (IMAPS). */
  tlsPort: number;
  /**
   * Plain IMAP on 127.0.0.2 where the post-login CAPABILITY omits IDLE (a `local` block), for
   * the polling path. Linux routes all of 127.0.0.0/8 to lo.
   */
  noIdleHost: '127.0.0.2';
  /** The self-signed certificate (PEM), to trust in tls.ca. */
  cert: Buffer;
  dir: string;
  /** `doveadm -c <our config> ARGS...`, stdout. */
  doveadm(...args: string[]): string;
  /** A logged-in imapflow client for a test user (caller logs out). */
  connect(user: DovecotUser): Promise<ImapFlow>;
  /** APPENDs messages (one connection); returns their UIDs. */
  append(user: DovecotUser, items: { folder: string; raw: Buffer; flags?: string[]; date?: Date }[]): Promise<number[]>;
  log(): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function config(dir: string, o: { port: number; tlsPort: number; oauth2: boolean }): string {
  // Settings are Dovecot 2.3's (Debian 12). Each line that departs from a stock install says why.
  return `# private test instance, written by test/helpers/dovecot.ts
protocols = imap
listen = 127.0.0.1, 127.0.0.2
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = bounced-test-${o.port}
log_path = ${dir}/dovecot.log
# the tests' own certificate; plain text auth allowed without TLS (loopback only)
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login${o.oauth2 ? ' xoauth2 oauthbearer' : ''}
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:~/Maildir
# a throw-away instance: no fsync per saved message (10,000 APPENDs for the bench)
mail_fsync = never
# a wrong password is answered at once (the default 2 s delay only slows the tests down)
auth_failure_delay = 0
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN ${dir}/passwd
}
${
  o.oauth2
    ? `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${dir}/oauth2.conf.ext
}
`
    : ''
}userdb {
  driver = passwd-file
  args = ${dir}/passwd
}
namespace inbox {
  inbox = yes
  separator = /
  # RFC 6154 special-use, as most servers announce it; created on demand (see the tests)
  mailbox Sent {
    special_use = \\Sent
  }
}
service imap-login {
  inet_listener imap {
    port = ${o.port}
  }
  inet_listener imaps {
    port = ${o.tlsPort}
    ssl = yes
  }
}
# no growing delay after failed logins from loopback (the tests fail logins on purpose)
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
# a server without IDLE, for the polling path: connections to 127.0.0.2
local 127.0.0.2 {
  protocol imap {
    imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT NAMESPACE UIDPLUS CHILDREN LIST-EXTENDED SPECIAL-USE MOVE CONDSTORE ESEARCH
  }
}
`;
}

export async function startDovecot(opts: DovecotOptions): Promise<Dovecot> {
  const dir = mkdtempSync('/tmp/inbox-dovecot-');
  // the auth process (user dovecot) reads the passwd-file, the mail processes (nobody) walk to
  // their homes: the directory is readable, the maildirs are nobody's own
  chmodSync(dir, 0o755);
  const mail = userIds('nobody')!;
  run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ]);
  mkdirSync(join(dir, 'home'));
  chownSync(join(dir, 'home'), mail.uid, mail.gid);
  const passwd = opts.users
    .map((u) => {
      if (/[:\n]/.test(u.name + u.password)) throw new Error('no ":" or newline in test user names or passwords');
      return `${u.name}:{PLAIN}${u.password}:${mail.uid}:${mail.gid}::${dir}/home/${u.name}::`;
    })
    .join('\n');
  writeFileSync(join(dir, 'passwd'), passwd + '\n', { mode: 0o644 });
  if (opts.oauth2IntrospectionUrl) {
    // Dovecot 2.3's oauth2 passdb: POST token=... to the introspection URL; the answer's
    // `username` must be the user logging in and `active` must be true (RFC 7662 fields).
    writeFileSync(
      join(dir, 'oauth2.conf.ext'),
      `introspection_mode = post\nintrospection_url = ${opts.oauth2IntrospectionUrl}\nforce_introspection = yes\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n`,
      { mode: 0o644 },
    );
  }

  let lastError: Error | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const tlsPort = await freePort();
    const conf = join(dir, 'dovecot.conf');
    writeFileSync(conf, config(dir, { port, tlsPort, oauth2: Boolean(opts.oauth2IntrospectionUrl) }), { mode: 0o644 });
    const child = spawn(DOVECOT, ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    try {
      await waitListening(child, [port, tlsPort], () => output);
      return handle(dir, conf, child, port, tlsPort);
    } catch (err) {
      lastError = err as Error;
      await killChild(child);
    }
  }
  const log = existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '';
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`Dovecot did not start: ${lastError?.message}\n${log}`);
}

async function waitListening(child: ChildProcess, ports: number[], output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (const port of ports) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`dovecot exited ${child.exitCode}: ${output()}`);
      const ok = await new Promise<boolean>((done) => {
        const s = netConnect({ host: '127.0.0.1', port });
        s.once('connect', () => {
          s.destroy();
          done(true);
        });
        s.once('error', () => done(false));
        s.setTimeout(1000, () => s.destroy(new Error('timeout')));
      });
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`port ${port} not listening after 15 s: ${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}


async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function handle(dir: string, conf: string, child: ChildProcess, port: number, tlsPort: number): Dovecot {
  // If the test process ends without stop(), the instance must not outlive it.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  let stopped = false;
  const connect = async (user: DovecotUser) => {
    const c = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user: user.name, pass: user.password }, logger: false });
    c.on('error', () => {});
    await c.connect();
    return c;
  };
  return {
    host: '127.0.0.1',
    port,
    tlsPort,
    noIdleHost: '127.0.0.2',
    cert: readFileSync(join(dir, 'cert.pem')),
    dir,
    doveadm: (...args) => run(DOVEADM, ['-c', conf, ...args]),
    connect,
    async append(user, items) {
      const c = await connect(user);
      try {
        const uids: number[] = [];
        const have = new Set((await c.list()).map((m) => m.path));
        for (const it of items) {
          if (!have.has(it.folder)) {
            await c.mailboxCreate(it.folder);
            have.add(it.folder);
          }
          const r = await c.append(it.folder, it.raw, it.flags ?? [], it.date);
          if (!r || !r.uid) throw new Error(`APPEND to ${it.folder} gave no UID`);
          uids.push(r.uid);
        }
        return uids;
      } finally {
        await c.logout();
      }
    },
    log: () => (existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : ''),
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      await killChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
