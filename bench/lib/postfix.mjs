// A private Postfix instance for the comparison: its own config dir, queue dir and data dir
// under bench/tmp/postfix (never the test harness's), smtpd on 127.0.0.1:<port> only, every
// recipient of the bounce domain accepted, queued (cleanup writes and fsyncs the queue file
// before the 250, like bounced's synchronous=FULL commit) and then delivered to discard(8).
// Needs root (Postfix starts as root and drops to mail_owner) and `bench/setup.sh`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postfixMasterCf } from '../../scripts/postfix-master.mjs';
import { BOUNCE_DOMAIN, TMP } from './common.mjs';

export const POSTFIX_DIR = join(TMP, 'postfix');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

export function postfixAvailable() {
  if (!existsSync('/usr/sbin/postfix') || !existsSync('/usr/lib/postfix/sbin/smtpd')) return 'postfix is not installed (run bench/setup.sh)';
  if (process.getuid && process.getuid() !== 0) return 'a private Postfix instance needs root';
  return null;
}

function mainCf(dir, port) {
  return `# bench/lib/postfix.mjs: a private instance for the SMTP benchmark (generated, do not edit)
compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.bench.test
mydomain = bench.test
myorigin = $myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
# The bounce domain is "local"; every local delivery (and anything else) goes to discard(8).
mydestination = ${BOUNCE_DOMAIN}
local_recipient_maps =
alias_maps =
alias_database =
local_transport = discard:
default_transport = discard:
relay_transport = discard:
relay_domains =
biff = no
smtpd_banner = $myhostname ESMTP
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
message_size_limit = 31457280
maillog_file = ${dir}/maillog
maillog_file_prefixes = ${dir}
master_service_disable =
multi_instance_enable = no
`;
}

/** Creates (anew) and starts the instance (in `dir`); returns a handle whose stop() stops it. */
export function startPostfix(port, dir = POSTFIX_DIR) {
  const why = postfixAvailable();
  if (why) throw new Error(why);
  stopPostfixDir(dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'etc'), { recursive: true });
  mkdirSync(join(dir, 'queue'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'etc', 'main.cf'), mainCf(dir, port));
  writeFileSync(join(dir, 'etc', 'master.cf'), postfixMasterCf(`127.0.0.1:${port}`));
  const etc = join(dir, 'etc');
  run('chown', ['postfix:postfix', join(dir, 'data')]);
  // `check` creates the queue sub-directories with Postfix's own owners and modes.
  const chk = run('/usr/sbin/postfix', ['-c', etc, 'check']);
  const st = run('/usr/sbin/postfix', ['-c', etc, 'start']);
  if (!st.ok) throw new Error(`postfix start failed: ${st.out}\n${chk.out}`);
  return {
    dir,
    etc,
    stop: () => stopPostfixDir(dir),
    queueCount: () => {
      const r = run('/usr/sbin/postqueue', ['-c', etc, '-p']);
      const m = /in (\d+) Request/.exec(r.out);
      return m ? Number(m[1]) : 0;
    },
    /** Queue files not yet delivered (maildrop, incoming, active, deferred, hold): cheap, no postqueue. */
    queueFiles: () => ['maildrop', 'incoming', 'active', 'deferred', 'hold'].reduce((n, q) => n + countFiles(join(dir, 'queue', q)), 0),
    /** The master's pid (its children are smtpd, cleanup, qmgr, discard, ...). */
    masterPid: () => {
      try {
        return Number(readFileSync(join(dir, 'queue', 'pid', 'master.pid'), 'utf8').trim()) || null;
      } catch {
        return null;
      }
    },
  };
}

function countFiles(d) {
  let n = 0;
  let names;
  try {
    names = readdirSync(d);
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      n += statSync(join(d, name)).isDirectory() ? countFiles(join(d, name)) : 1;
    } catch {
      // moved to the next queue meanwhile
    }
  }
  return n;
}

export function stopPostfixDir(dir = POSTFIX_DIR) {
  const etc = join(dir, 'etc');
  if (!existsSync(join(etc, 'main.cf'))) return;
  run('/usr/sbin/postfix', ['-c', etc, 'stop']);
}
