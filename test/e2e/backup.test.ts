// `bounced backup FILE` while a daemon is taking mail: the copy is consistent and complete
// up to its snapshot, and the daemon never stops answering.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { VerpCodec } from '../../src/verp/index.js';
import { childEnv, CLI, spawnDaemon } from '../helpers/child.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, tmpDir } from '../helpers/env.js';
import { sendRaw, withMessageId } from '../helpers/smtp.js';

const execFileP = promisify(execFile);
const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
const verp = new VerpCodec(TEST_SECRET, 'b');

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(process.execPath, [CLI, ...args], { env: childEnv(env), timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('bounced backup', () => {
  it('copies the database of a running daemon that is writing; the copy passes integrity_check', async () => {
    const env = { BOUNCED_DATA_DIR: tmpDir(), BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN };
    const daemon = await spawnDaemon(env);
    let acked = 0;
    let stop = false;
    let n = 0;
    // Four senders keep the daemon committing (synchronous=FULL) for the whole test.
    const senders = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const i = n++;
        const to = verp.encode({ account: 'acme', message: `m-${i}`, recipient: 'rcpt-550-5.1.1@reject.test' }, BOUNCE_DOMAIN);
        const res = await sendRaw(daemon.smtpPort, { from: '', to: [to] }, withMessageId(dsn, i));
        expect(res.code, res.response).toBe(250);
        acked++;
      }
    });
    try {
      while (acked < 20) await new Promise((r) => setTimeout(r, 20));
      const file = join(tmpDir('bounced-backup-'), 'copy.db');
      const before = acked;
      const r = await cli(['backup', file], env);
      const during = acked - before;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^wrote ${file}: \\d+ bytes, \\d+ pages, schema version \\d+, quick_check ok\\n$`));
      expect(during, 'the daemon kept taking mail during the backup').toBeGreaterThan(0);

      // One self-contained file: no -wal or -shm to carry along, no temporary left behind.
      expect(existsSync(`${file}-wal`)).toBe(false);
      expect(statSync(file).mode & 0o777, 'owner only').toBe(0o600);
      const copy = new Database(file, { readonly: true });
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      const messages = (copy.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
      const bounces = (copy.prepare("SELECT count(*) AS n FROM bounces WHERE account_id = 'acme'").get() as { n: number }).n;
      copy.close();
      expect(messages).toBeGreaterThanOrEqual(before);
      expect(bounces).toBeGreaterThan(0);

      // An existing file is kept unless --force; the exit code is EX_CANTCREAT.
      const again = await cli(['backup', file], env);
      expect(again.code).toBe(73);
      expect(again.stderr).toContain('--force');
      expect((await cli(['backup', '--force', file], env)).code).toBe(0);
      expect((await cli(['backup', join(tmpDir(), 'no/such/dir/copy.db')], env)).code).toBe(73);
    } finally {
      stop = true;
      await Promise.all(senders);
      daemon.proc.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
  });
});
