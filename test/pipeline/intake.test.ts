// The intake's group commit (src/pipeline/intake.ts) on both stores: every accepted message
// gets its own id and is stored once with its bytes, whether commits go one at a time
// (SQLite) or several in flight (PostgreSQL, store.commitsInFlight); a failed commit rejects
// only its own messages.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Intake, commitsInFlight } from '../../src/pipeline/intake.js';
import type { IncomingMessage, Store } from '../../src/store/contract.js';
import { storeBackends } from '../helpers/store-backends.js';

const backends = storeBackends('test/pipeline/intake.test.ts');
const log = createLogger('silent');

const message = (n: number, bytes: number): IncomingMessage => ({
  receivedAt: Date.now(),
  source: 'smtp',
  mailFrom: '',
  rcptTo: [`b+${n}@bounces.test`],
  remoteIp: '127.0.0.1',
  helo: 'mta.test',
  // distinct bytes; some above the store's head so that tails are written too
  raw: Buffer.concat([Buffer.from(`Subject: ${n}\r\n\r\n`), randomBytes(bytes)]),
});

/** What the intake uses of a store (`messages.insert`), the real store's, through `insert`. */
const intakeView = (insert: Store['messages']['insert']): Store => ({ messages: { insert } }) as unknown as Store;

/** The store's insert, with the number of calls running at once recorded (the real calls run). */
function watched(store: Store): { store: Store; peak: () => number } {
  let running = 0;
  let peak = 0;
  const view = intakeView(async (batch) => {
    peak = Math.max(peak, ++running);
    try {
      return await store.messages.insert(batch);
    } finally {
      running--;
    }
  });
  return { store: view, peak: () => peak };
}

for (const backend of backends) {
  describe(`intake on ${backend.name}`, () => {
    it('stores every accepted message once, with its bytes, under concurrent arrivals', async () => {
      const real = await backend.fresh();
      const { store, peak } = watched(real);
      const inFlight = commitsInFlight(real, 4);
      expect(inFlight).toBe(backend.name === 'postgres' ? 4 : 1);
      let committed = 0;
      const intake = new Intake(store, log, 8, () => committed++, 0, inFlight);
      const sent = Array.from({ length: 120 }, (_, n) => message(n, n % 10 === 0 ? 1_200_000 : 2_000 + n));
      // arrivals spread over several turns of the event loop, as sessions' DATA ends are
      const ids: number[] = [];
      const pending: Promise<void>[] = [];
      for (let n = 0; n < sent.length; n++) {
        pending.push(intake.accept(sent[n]!).then((id) => void (ids[n] = id)));
        if (n % 7 === 6) await new Promise((r) => setImmediate(r));
      }
      await Promise.all(pending);
      expect(new Set(ids).size).toBe(sent.length);
      for (let n = 0; n < sent.length; n++) {
        const raw = await real.messages.raw(ids[n]!);
        expect(raw?.equals(sent[n]!.raw as Buffer), `message ${n}`).toBe(true);
      }
      expect((await real.messages.counts()).received).toBe(sent.length);
      expect(committed).toBeGreaterThan(0);
      // one writer on SQLite; on PostgreSQL the commits overlapped
      if (backend.name === 'sqlite') expect(peak()).toBe(1);
      else expect(peak()).toBeGreaterThan(1);
    }, 60_000);

    it('a commit that fails rejects its own messages only; the next ones are stored', async () => {
      const real = await backend.fresh();
      let calls = 0;
      // the second commit carries a message the store refuses (a spooled one, and this store
      // has no spool directory): a real refusal of the real store, for that batch alone
      const bad: IncomingMessage = { ...message(999, 10), spool: { file: 'x', size: 10, sha256: '0'.repeat(64) } };
      const store = intakeView((batch) => real.messages.insert(++calls === 2 ? [...batch, bad] : batch));
      const intake = new Intake(store, log, 4, () => {}, 0, commitsInFlight(real, 4));
      const first = await Promise.allSettled([0, 1, 2, 3].map((n) => intake.accept(message(n, 100))));
      const second = await Promise.allSettled([4, 5, 6].map((n) => intake.accept(message(n, 100))));
      const third = await Promise.allSettled([7, 8].map((n) => intake.accept(message(n, 100))));
      expect(first.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(second.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(third.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      // nothing of the failed commit was kept
      expect((await real.messages.counts()).received).toBe(6);
    });
  });
}
