import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './env.js';

export const CLI = join(repoRoot, 'dist/cli.js');

export interface ChildDaemon {
  proc: ChildProcess;
  smtpPort: number;
  httpPort: number;
  /** Everything it wrote to stderr (its pino log) so far. */
  log: () => string;
  exited: Promise<number | null>;
}

/** Env for a child `bounced`: only what the test sets, no BOUNCED_* from the caller's shell. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BOUNCED_')));
  return { ...clean, ...env };
}

/**
 * Runs `node dist/cli.js <args>` to its end (as `timeoutMs` allows): exit code, stdout, stderr.
 * Output up to 64 MiB (spawnSync's default, 1 MiB, kills a `classify` over a few thousand files).
 */
export function runCli(env: NodeJS.ProcessEnv, args: string[], timeoutMs?: number): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// A test that fails before it stops its daemon must not leave it running (it would hold
// ports and files after the run): whatever is still alive when this worker exits is killed.
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of alive) p.kill('SIGKILL');
});

/** Starts `node dist/cli.js serve` (as another user with `as`) and resolves once it logged READY with its ports. */
export function spawnDaemon(env: Record<string, string>, as?: { uid: number; gid: number }): Promise<ChildDaemon> {
  const proc = spawn(process.execPath, [CLI, 'serve'], {
    env: childEnv({ BOUNCED_SMTP_PORT: '0', BOUNCED_HTTP_PORT: '0', BOUNCED_LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'ignore', 'pipe'],
    ...as,
  });
  alive.add(proc);
  proc.once('exit', () => alive.delete(proc));
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not get ready:\n${stderr}`)), 20_000);
    proc.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /"evt":"READY","smtp":"[^"]*:(\d+)","http":"[^"]*:(\d+)"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, smtpPort: Number(m[1]), httpPort: Number(m[2]), log: () => stderr, exited });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before ready:\n${stderr}`));
    });
  });
}
