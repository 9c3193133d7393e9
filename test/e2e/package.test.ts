// The container, without Docker: CI machines cannot run it, so this test runs the commands the
// Dockerfile runs, read from the Dockerfile itself. A clean production install (the `deps`
// stage's RUN line on package.json + package-lock.json, no dev dependencies) plus the built
// dist/, started with the image's ENTRYPOINT + CMD; its HEALTHCHECK command must pass against
// it and fail once it is gone; SIGTERM must end it within Docker's grace period.
//
// A whole production install from the registry takes a while, so the test runs in CI and when
// BOUNCED_TEST_PACKAGE=1; elsewhere it skips and says so.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv } from '../helpers/child.js';
import { inCI, repoRoot, tmpDir } from '../helpers/env.js';
import { freePort } from '../helpers/net.js';

interface Instruction {
  stage: string;
  op: string;
  args: string;
}

/** The Dockerfile as instructions (continuations joined, comments dropped), with their stage. */
export function readDockerfile(text: string): Instruction[] {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  const out: Instruction[] = [];
  let stage = '';
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Z]+)\s+(.*\S)\s*$/.exec(line);
    if (!m) continue;
    const [, op, args] = m as unknown as [string, string, string];
    if (op === 'FROM') stage = /\sAS\s+(\S+)/i.exec(args)?.[1] ?? 'runtime';
    out.push({ stage, op, args });
  }
  return out;
}

const run = process.env.BOUNCED_TEST_PACKAGE === '1' || inCI;
if (!run) console.warn('SKIPPED: production-install test (test/e2e/package.test.ts): runs in CI or with BOUNCED_TEST_PACKAGE=1 (a production npm install)');

describe.skipIf(!run)('the Docker image, without Docker', () => {
  const docker = readDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
  const app = tmpDir('bounced-app-');
  const dataDir = tmpDir('bounced-data-');
  const execArray = (op: string) => JSON.parse(docker.filter((i) => i.stage === 'runtime' && i.op === op).at(-1)!.args.replace(/^--\S+\s+/g, '')) as string[];
  // HEALTHCHECK --interval=... CMD ["node", ...]: the exec array after CMD.
  const healthcheck = () => {
    const h = docker.find((i) => i.op === 'HEALTHCHECK')!.args;
    return JSON.parse(h.slice(h.indexOf('CMD') + 3)) as string[];
  };
  /** The image runs `node` from PATH; here the one running the tests. */
  const node = (argv: string[]) => argv.map((a) => (a === 'node' ? process.execPath : a));

  beforeAll(() => {
    // The deps stage: COPY package.json package-lock.json ./ then its RUN line, verbatim.
    const depsRun = docker.filter((i) => i.stage === 'deps' && i.op === 'RUN' && i.args.includes('npm ci'));
    expect(depsRun, 'the deps stage has one `npm ci` RUN line').toHaveLength(1);
    expect(depsRun[0]!.args).toContain('--omit=dev');
    for (const f of ['package.json', 'package-lock.json']) cpSync(join(repoRoot, f), join(app, f));
    const t = Date.now();
    const r = spawnSync('sh', ['-c', depsRun[0]!.args], { cwd: app, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
    if (r.status !== 0) throw new Error(`${depsRun[0]!.args} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    console.log(`production install took ${((Date.now() - t) / 1000).toFixed(0)} s`);
    // What the runtime stage copies besides node_modules (dist/ is fresh from globalSetup).
    cpSync(join(repoRoot, 'dist'), join(app, 'dist'), { recursive: true });
    cpSync(join(repoRoot, 'config'), join(app, 'config'), { recursive: true });
  }, 600_000);

  afterAll(() => {
    spawnSync('rm', ['-rf', app, dataDir]);
  });

  it('installs no dev dependencies, and a native SQLite binding for this platform', () => {
    for (const dev of ['typescript', 'vitest', '@types/node']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    // better-sqlite3 13 ships N-API prebuilds; an architecture without one compiles build/Release
    const sqlite = join(app, 'node_modules/better-sqlite3');
    const binding = [`prebuilds/${process.platform}-${process.arch}.node`, 'build/Release/better_sqlite3.node'];
    expect(binding.some((b) => existsSync(join(sqlite, b))), binding.join(' or ')).toBe(true);
  });

  it('starts with ENTRYPOINT + CMD, answers /readyz, passes its HEALTHCHECK, stops on SIGTERM within 8 s', async () => {
    const entry = execArray('ENTRYPOINT');
    const cmd = execArray('CMD');
    expect(entry.slice(0, 2), 'tini is PID 1').toEqual(['/usr/bin/tini', '--']);
    const argv = node([...entry.slice(2), ...cmd]);
    const httpPort = await freePort();
    // The image's ENV, but loopback only and a temporary data directory.
    const env = childEnv({
      NODE_ENV: 'production',
      BOUNCED_DATA_DIR: dataDir,
      BOUNCED_SMTP_HOST: '127.0.0.1',
      BOUNCED_SMTP_PORT: '0',
      BOUNCED_HTTP_HOST: '127.0.0.1',
      BOUNCED_HTTP_PORT: String(httpPort),
    });
    const proc = spawn(argv[0]!, argv.slice(1), { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    try {
      for (let i = 0; !log.includes('"evt":"READY"'); i++) {
        if (i > 300 || proc.exitCode !== null) throw new Error(`not ready:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true });

      const hc = node(healthcheck());
      const check = () => spawnSync(hc[0]!, hc.slice(1), { env, timeout: 10_000 }).status;
      expect(check(), 'HEALTHCHECK against the running daemon').toBe(0);

      const t = Date.now();
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - t).toBeLessThan(8000);
      expect(check(), 'HEALTHCHECK once the daemon is gone').toBe(1);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  }, 60_000);
});
