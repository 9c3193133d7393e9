// Samples a running bounced every `everyMs`: its memory from /proc and its backlog
// (messages received but not yet classified) from its SQLite file, opened read-only.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { cpuMs, procMem } from './common.mjs';

export class Sampler {
  constructor({ pid, dbFile, everyMs = 100 }) {
    this.pid = pid;
    this.dbFile = dbFile;
    this.everyMs = everyMs;
    this.samples = []; // { t (epoch ms), backlog, total, rss, hwm, cpu (ms of CPU so far) }
    this.db = null;
    this.timer = null;
  }

  open() {
    if (this.db || !existsSync(this.dbFile)) return this.db;
    this.db = new Database(this.dbFile, { readonly: true, fileMustExist: true });
    this.backlogStmt = this.db.prepare(`SELECT count(*) AS n FROM messages WHERE state = 'received'`);
    this.totalStmt = this.db.prepare(`SELECT count(*) AS n FROM messages`);
    return this.db;
  }

  sample() {
    const mem = procMem(this.pid);
    const cpu = cpuMs(this.pid);
    let backlog = null;
    let total = null;
    try {
      if (this.open()) {
        backlog = this.backlogStmt.get().n;
        total = this.totalStmt.get().n;
      }
    } catch {
      // busy for a moment (checkpoint): skip this sample
    }
    const s = { t: Date.now(), backlog, total, rss: mem?.rss ?? null, hwm: mem?.hwm ?? null, cpu };
    this.samples.push(s);
    return s;
  }

  start() {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  /** Polls until the backlog is 0 (or `timeoutMs`); returns the epoch ms it was first seen 0. */
  async waitDrained(timeoutMs) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = this.sample();
      if (s.backlog === 0) return s.t;
      if (Date.now() > until) return null;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close() {
    this.stop();
    this.db?.close();
    this.db = null;
  }

  peakHwm() {
    return this.samples.reduce((m, s) => Math.max(m, s.hwm ?? 0), 0) || null;
  }

  /** The last sample taken at or before epoch ms `t` (the first one if none). */
  at(t) {
    let best = this.samples[0] ?? null;
    for (const s of this.samples) if (s.t <= t) best = s;
    return best;
  }

  peakBacklog() {
    return this.samples.reduce((m, s) => Math.max(m, s.backlog ?? 0), 0);
  }

  /** The backlog series relative to `t0`, thinned to about `points` samples. */
  series(t0, points = 60) {
    const step = Math.max(1, Math.ceil(this.samples.length / points));
    return this.samples.filter((_, i) => i % step === 0 || i === this.samples.length - 1).map((s) => [Math.round(s.t - t0), s.backlog]);
  }
}
