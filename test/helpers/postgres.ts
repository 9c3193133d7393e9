// A real PostgreSQL for tests, from Debian's packages: `initdb` and `pg_ctl` into a temporary
// directory, listening on 127.0.0.1 at a free port (and a unix socket inside that directory),
// started by the test file that needs it and stopped (immediate) at its end, the directory
// removed. initdb refuses to run as root: as root the server runs as the `postgres` user
// (Debian's package creates it), or `nobody`, through runuser, and owns the directory.
// fsync is off (a test database need not survive a power cut; durability is the server's
// business and synchronous_commit stays on, so commits still go through the WAL path).
// In CI (CI=true) a missing PostgreSQL fails the run; elsewhere the tests skip and say why.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { freePort } from './net.js';

/** The newest /usr/lib/postgresql/<version>/bin with initdb and pg_ctl (or $BOUNCED_PG_BIN). */
export function postgresBin(): string | null {
  const env = process.env.BOUNCED_PG_BIN;
  if (env) return existsSync(join(env, 'initdb')) ? env : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, 'bin') : null;
}

/** Why PostgreSQL cannot run here, or null when it can. */
export function postgresMissing(): string | null {
  if (!postgresBin()) return "PostgreSQL's server is not installed (apt-get install --no-install-recommends postgresql; .ci/run does it)";
  if (process.getuid?.() === 0 && !runAsUser()) return 'running as root and no unprivileged user (postgres or nobody) to run the server as';
  if (process.getuid?.() === 0 && spawnSync('runuser', ['--help']).error) return 'running as root and runuser(1) is missing';
  return null;
}

function idOf(user: string): { uid: number; gid: number } | null {
  const u = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (u.status !== 0 || g.status !== 0) return null;
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function runAsUser(): { name: string; uid: number; gid: number } | null {
  for (const name of ['postgres', 'nobody']) {
    const id = idOf(name);
    if (id) return { name, ...id };
  }
  return null;
}

export interface PgServer {
  port: number;
  dir: string;
  /** postgres://postgres@127.0.0.1:PORT/<database> */
  url(database: string): string;
  /** Creates a database (from `template` when given) and returns its URL. */
  createDatabase(name: string, template?: string): Promise<string>;
  /** Stops the server (fast shutdown), keeping its data: the database goes away under its clients. */
  halt(): void;
  /** Starts it again on the same port and data. */
  resume(): void;
  stop(): void;
}

export async function startPostgres(): Promise<PgServer> {
  const bin = postgresBin();
  if (!bin) throw new Error(postgresMissing() ?? 'no PostgreSQL');
  const dir = mkdtempSync(join(tmpdir(), 'store-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? runAsUser() : null;
  if (asRoot) {
    if (!user) throw new Error('no unprivileged user to run PostgreSQL as');
    chownSync(dir, user.uid, user.gid);
  }
  const run = (cmd: string, args: string[]) => {
    const full = user ? ['runuser', ['-u', user.name, '--', join(bin, cmd), ...args]] as const : [join(bin, cmd), args] as const;
    const r = spawnSync(full[0], full[1], { encoding: 'utf8', timeout: 120_000, cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}${r.error ?? ''}`);
    return r.stdout;
  };
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const options = [
    `-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off', '-c full_page_writes=off',
    '-c synchronous_commit=on', '-c max_connections=100', '-c shared_buffers=32MB',
  ].join(' ');
  const start = () => run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', options, 'start']);
  start();
  let stopped = false;
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    dir,
    url,
    async createDatabase(name, template) {
      const admin = postgres(url('postgres'), { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
      } finally {
        await admin.end({ timeout: 5 });
      }
      return url(name);
    },
    halt() {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    resume() {
      start();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already halted
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
