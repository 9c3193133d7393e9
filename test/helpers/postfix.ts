// A real Postfix for end-to-end tests: ../shared/postfix/harness.sh runs a private instance
// on 127.0.0.1 (submission 2526, bounces.test delivered to 2525, fake remote MX 2527). This
// helper starts it in its own instance directory, edits that instance's config (never the
// harness itself), and stops only what it started.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import { repoRoot } from './env.js';

export const HARNESS = resolve(repoRoot, '../shared/postfix/harness.sh');
export const SUBMISSION_PORT = 2526;
/** Where the harness delivers bounces.test; bounced listens here itself (PFX_SINK=0). */
export const SINK_PORT = 2525;
export const REMOTE_PORT = 2527;

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } }).status === 0;
}

/** Why the Postfix tests cannot run here, or null when they can. */
export function postfixMissing(): string | null {
  if (!existsSync(HARNESS)) return `${HARNESS} not found (../shared beside the repository)`;
  if (!which('postfix') || !which('postconf')) return 'Postfix is not installed (sudo ../shared/postfix/harness.sh install)';
  if (spawnSync('/usr/bin/python3', ['-c', 'import aiosmtpd']).status !== 0) return 'python3-aiosmtpd is not installed (harness.sh install)';
  if (process.getuid?.() !== 0) return 'Postfix must be started as root';
  return null;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

export interface Harness {
  /** The instance directory (config, queue, maillog). */
  instance: string;
  /** Its config directory, for `postconf -c` / `postfix -c`. */
  etc: string;
  maillog: string;
  /** `postconf -c etc ARGS...` */
  postconf(...args: string[]): string;
  /** Re-reads main.cf, master.cf and the texthash transport table. */
  reload(): void;
  /** `postqueue -p` output. */
  queue(): string;
  stop(): void;
}

/**
 * Starts the harness with bounced as the sink on 2525 (PFX_SINK=0). `env` passes the
 * harness knobs (PFX_DELAY_WARNING, PFX_MAX_LIFETIME, ...).
 */
export function startHarness(instance: string, env: Record<string, string> = {}): Harness {
  const hEnv = { ...process.env, PFX_INSTANCE: instance, PFX_SINK: '0', PFX_SINK_PORT: String(SINK_PORT), ...env };
  run('bash', [HARNESS, 'start'], hEnv);
  const etc = join(instance, 'etc');
  let stopped = false;
  return {
    instance,
    etc,
    maillog: join(instance, 'maillog'),
    postconf: (...args) => run('postconf', ['-c', etc, ...args]),
    reload: () => void run('postfix', ['-c', etc, 'reload']),
    queue: () => run('postqueue', ['-c', etc, '-p']),
    stop: () => {
      if (stopped) return;
      stopped = true;
      run('bash', [HARNESS, 'stop'], hEnv);
    },
  };
}

/** Deletes an instance directory (the queue may still hold test mail). */
export function removeInstance(instance: string): void {
  rmSync(instance, { recursive: true, force: true });
}

/** Submits one small message with an explicit envelope (the signed return path). */
export async function submit(opts: { from: string; to: string; subject: string; port?: number }): Promise<string> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: opts.port ?? SUBMISSION_PORT, secure: false, ignoreTLS: true });
  try {
    const info = await transport.sendMail({
      envelope: { from: opts.from, to: [opts.to] },
      from: 'Sender <news@sender.test>',
      to: opts.to,
      subject: opts.subject,
      text: `${opts.subject}\n`,
    });
    return info.response;
  } finally {
    transport.close();
  }
}
