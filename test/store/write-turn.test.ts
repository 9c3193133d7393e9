// The process's write turn (src/store/sqlite/write-turn.ts): handed on when given, across
// threads, waited for asynchronously; the SQLite store takes it before SQLite's own lock.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteStore } from '../../src/store/sqlite/open.js';
import { WriteTurn } from '../../src/store/sqlite/write-turn.js';
import { tmpDir } from '../helpers/env.js';

const msg = (n: number) => ({ receivedAt: 1, source: 'smtp' as const, mailFrom: '', rcptTo: ['a@b'], remoteIp: null, helo: null, raw: Buffer.from(`m${n}`) });
const settledWithin = async (p: Promise<unknown>, ms: number): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setTimeout(r, ms));
  return done;
};

let stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

describe('write turn', () => {
  it('take waits until give; tryTake and a timeout say no while it is held', async () => {
    const turn = WriteTurn.create();
    expect(turn.tryTake()).toBe(true);
    expect(turn.tryTake()).toBe(false);
    expect(await turn.take(30)).toBe(false);
    const waiting = turn.take(10_000);
    expect(await settledWithin(waiting, 30)).toBe(false);
    turn.give();
    expect(await waiting).toBe(true);
    turn.give();
  });

  it('is one lock for every thread holding its buffer', async () => {
    const turn = WriteTurn.create();
    // A thread takes the turn, says so, and gives it when told.
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const cell = new Int32Array(workerData);
       Atomics.compareExchange(cell, 0, 0, 1);
       parentPort.postMessage('taken');
       parentPort.once('message', () => { Atomics.store(cell, 0, 0); Atomics.notify(cell, 0, 1); parentPort.postMessage('given'); });`,
      { eval: true, workerData: turn.shared },
    );
    await new Promise((r) => worker.once('message', r));
    const mine = turn.take(10_000);
    expect(await settledWithin(mine, 50)).toBe(false);
    worker.postMessage('give');
    expect(await mine).toBe(true);
    turn.give();
    await worker.terminate();
  });

  it('a store with the turn waits for it before taking SQLite\'s lock, and goes on without it past its busy timeout', async () => {
    const dir = tmpDir('turn-');
    const turn = WriteTurn.create();
    const s = openSqlite({ dataDir: dir }, { writeTurn: turn, busyTimeoutMs: 300 });
    stores.push(s);
    // Another thread of this process holds the turn.
    expect(turn.tryTake()).toBe(true);
    const insert = s.messages.insert([msg(1)]);
    const tx = s.transaction((t) => t.accounts.exists('x'));
    expect(await settledWithin(insert, 60)).toBe(false);
    // It has not taken SQLite's write lock meanwhile: another connection can.
    const raw = new Database(join(dir, 'bounced.db'));
    raw.exec('BEGIN IMMEDIATE');
    raw.exec('ROLLBACK');
    raw.close();
    turn.give();
    expect(await insert).toHaveLength(1);
    expect(await tx).toBe(false);
    // A turn never given (its thread died holding it) is taken anyway after the busy timeout.
    expect(turn.tryTake()).toBe(true);
    const t0 = performance.now();
    expect(await s.messages.insert([msg(2)])).toHaveLength(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    turn.give();
    expect((await s.messages.counts()).received).toBe(2);
  });
});
