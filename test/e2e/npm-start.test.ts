// `npm start` is the README's first command. npm runs a script through `sh -c`; without `exec`
// the shell stays between npm and Node, npm's SIGTERM stops at the shell, and the daemon lived
// on with its ports open. With `exec` the daemon is npm's own child and gets the signal.
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv } from '../helpers/child.js';
import { repoRoot, tmpDir } from '../helpers/env.js';

const dataDir = tmpDir('bounced-npm-start-');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Pids of a process's children (procps `pgrep -P`); empty when it has none. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it('passes SIGTERM to the daemon, which stops and frees its ports', async () => {
    const npm = spawn('npm', ['start'], {
      cwd: repoRoot,
      env: childEnv({ BOUNCED_DATA_DIR: dataDir, BOUNCED_SMTP_PORT: '0', BOUNCED_HTTP_PORT: '0', BOUNCED_LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    npm.stdout!.on('data', (c) => (log += String(c)));
    npm.stderr!.on('data', (c) => (log += String(c)));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!log.includes('"evt":"READY"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(log).toContain('"evt":"READY"');
    const daemons = childrenOf(npm.pid!);
    expect(daemons.length, 'npm has a child').toBe(1);
    // the child is Node itself, not a shell waiting for it
    expect(execFileSync('ps', ['-o', 'comm=', '-p', String(daemons[0])], { encoding: 'utf8' }).trim()).toMatch(/^node/);

    npm.kill('SIGTERM');
    await exited;
    const until = Date.now() + 10_000;
    while (isAlive(daemons[0]!) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const survived = isAlive(daemons[0]!);
    if (survived) process.kill(daemons[0]!, 'SIGKILL');
    expect(survived, 'the daemon outlived npm start').toBe(false);
    expect(log).toContain('"evt":"STOPPED"');
  });
});
