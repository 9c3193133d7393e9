// Intake never waits for parsing: the durable commit of received mail and the parse of stored
// mail share no thread and no lock held across a parse, so while the processing side is busy
// for seconds, small messages still get their 250 about as fast as when it is idle. Compared
// with a baseline measured in the same test (a ratio, generous; no absolute timing).
//
// Before the split, a 250 waited for the parse in progress: a few hundred ms behind each of
// these reports, against a few ms at rest. The daemon is a child process, so that a stall of
// its SMTP thread cannot hide behind a stall of the client's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../src/store/sqlite/open.js';
import { spawnDaemon, type ChildDaemon } from '../helpers/child.js';
import { buildDsn } from '../helpers/dsn.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, tmpDir } from '../helpers/env.js';
import { sendTimed, withMessageId } from '../helpers/smtp.js';

const s02 = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
const to = `postmaster@${BOUNCE_DOMAIN}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

let daemon: ChildDaemon | null = null;
afterEach(async () => {
  daemon?.proc.kill('SIGTERM');
  await daemon?.exited;
  daemon = null;
});

/** Messages by state, read from the daemon's database. */
function counts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, DB_FILE), { readonly: true });
  const rows = db.prepare('SELECT state, count(*) AS n FROM messages GROUP BY state').all() as Array<{ state: string; n: number }>;
  db.close();
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

/** Reports over 100 KB (the slow ones) not yet processed. */
function slowLeft(dataDir: string): number {
  const db = new Database(join(dataDir, DB_FILE), { readonly: true });
  const n = db.prepare(`SELECT count(*) FROM messages WHERE state = 'received' AND size > 100000`).pluck().get() as number;
  db.close();
  return n;
}

async function drained(dataDir: string): Promise<Record<string, number>> {
  const end = Date.now() + 60_000;
  for (;;) {
    const c = counts(dataDir);
    if (!c.received || Date.now() > end) return c;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** 4 sessions at a time, `n` small DSNs in all; the 250 latencies. */
async function smallLatencies(port: number, n: number, tag: string): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < n) {
        const i = next++;
        const r = await sendTimed(port, to, withMessageId(s02, `${tag}-${i}`));
        expect(r.code).toBe(250);
        out.push(r.ms);
      }
    }),
  );
  return out;
}

describe('intake never waits for parsing', () => {
  for (const worker of [true, false]) {
    it(`small messages' 250s stay fast while the processing side is busy for seconds (${worker ? 'pipeline threads' : 'in-process intake'})`, async () => {
      const dataDir = tmpDir();
      daemon = await spawnDaemon({ BOUNCED_DATA_DIR: dataDir, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN, BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_PIPELINE_WORKER: String(worker) });
      const port = daemon.smtpPort;
      await smallLatencies(port, 20, 'warm');
      await drained(dataDir);
      const baseline = await smallLatencies(port, 60, 'base');
      await drained(dataDir);

      // Twelve reports of 10,000 recipients: several seconds of parsing, all within budget.
      for (let i = 0; i < 12; i++) {
        const raw = await buildDsn({ recipients: 10_000, diagnostic: () => null, messageId: `<slow-${i}@mx.example.org>` });
        expect((await sendTimed(port, to, raw)).code).toBe(250);
      }
      const busy = await smallLatencies(port, 60, 'busy');
      // The processing side was still parsing those reports when the last small message was
      // acknowledged (before the split this failed too: each of them had waited for a parse
      // to get its own 250, so they were processed by the time the small ones came).
      expect(slowLeft(dataDir)).toBeGreaterThan(0);

      // Waiting for the parses would put seconds into each 250 (a ratio in the hundreds). What
      // remains is the parse worker's share of the cores: 6.0x was measured in CI on a machine
      // at load 18 on 2 cores (2026-12-03), where the bound of 5 failed.
      const ratio = median(busy) / median(baseline);
      expect(ratio, `median 250 latency busy ${median(busy).toFixed(2)} ms vs idle ${median(baseline).toFixed(2)} ms`).toBeLessThan(10);
      expect(await drained(dataDir)).toEqual({ processed: 152 });
    }, 120_000);
  }
});
