// Spooled messages in the store contract (issue #20: big messages go to a spool file): the
// same tests on SQLite and on a real PostgreSQL. The row keeps the head and the file's name;
// raw() reads the file; pruneRaw removes the row and then the file; spooledFiles names the
// files rows refer to (the orphan sweep's question); the sweep removes only unnamed files.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RAW_HEAD_BYTES } from '../../src/domain/index.js';
import { newSpoolName } from '../../src/spool/dir.js';
import { sweepSpool } from '../../src/spool/sweep.js';
import type { IncomingMessage } from '../../src/store/contract.js';
import { isStoreError } from '../../src/store/contract.js';
import { tmpDir } from '../helpers/env.js';
import { storeBackends } from '../helpers/store-backends.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 30, 12);
const backends = storeBackends('test/store/contract-spool.test.ts');
const processed = { state: 'processed' as const, kind: 'bounce' as const, detector: 'rfc3464', reportMessageId: null };

/** A message of `size` varied bytes written to a spool file as the listener would; the insert's input. */
function spooled(dir: string, size: number, receivedAt = NOW, seed = 1): { message: IncomingMessage; bytes: Buffer } {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 10)) & 0xff;
  const file = newSpoolName(receivedAt);
  writeFileSync(join(dir, file), bytes);
  return {
    bytes,
    message: {
      receivedAt, source: 'smtp', mailFrom: '', rcptTo: ['b@bounces.test'], remoteIp: '127.0.0.1', helo: 'mx.example',
      raw: Buffer.from(bytes.subarray(0, RAW_HEAD_BYTES)),
      spool: { file, size, sha256: createHash('sha256').update(bytes).digest('hex') },
    },
  };
}

describe.each(backends)('spooled messages on $name', (backend) => {
  it('keeps the head and the file name; raw() returns the file byte for byte; claim reads the head only', async () => {
    const dir = tmpDir('spool-');
    const s = await backend.fresh({ spoolDir: dir });
    const { message, bytes } = spooled(dir, 3 * 1024 * 1024 + 17);
    const small = Buffer.from('Subject: small\r\n\r\nx\r\n');
    const [id, smallId] = (await s.messages.insert([message, { ...message, spool: undefined, raw: small }])) as [number, number];
    const row = (await s.messages.get(id))!;
    expect(row.size).toBe(bytes.length);
    expect(row.sha256).toBe(message.spool!.sha256);
    const raw = (await s.messages.raw(id))!;
    expect(raw.length).toBe(bytes.length);
    expect(raw.equals(bytes)).toBe(true);
    expect((await s.messages.raw(smallId))!.equals(small)).toBe(true);
    const [claimed] = await s.messages.claim('node-a', { limit: 1, leaseMs: 60_000, now: NOW });
    expect(claimed!.id).toBe(id);
    expect(claimed!.raw.equals(bytes.subarray(0, RAW_HEAD_BYTES))).toBe(true);
    expect(await s.messages.spooledFiles([message.spool!.file, newSpoolName()])).toEqual(new Set([message.spool!.file]));
  });

  it('pruneRaw removes the row and then the file; inside a transaction the file is left to the sweep', async () => {
    const dir = tmpDir('spool-');
    const s = await backend.fresh({ spoolDir: dir });
    const a = spooled(dir, 2 * 1024 * 1024, NOW - 40 * DAY, 1);
    const b = spooled(dir, 2 * 1024 * 1024, NOW - 39 * DAY, 2);
    const c = spooled(dir, 2 * 1024 * 1024, NOW - 1 * DAY, 3);
    const ids = await s.messages.insert([a.message, b.message, c.message]);
    for (const id of ids) await s.messages.settle(id, processed, NOW);
    expect(await s.messages.pruneRaw(NOW - 30 * DAY, 1)).toBe(1);
    expect(existsSync(join(dir, a.message.spool!.file))).toBe(false);
    expect(await s.messages.raw(ids[0]!)).toBeNull();
    expect((await s.messages.get(ids[0]!))!.size).toBe(a.bytes.length);
    // In a transaction: the row goes with the commit, the file stays until the sweep.
    await s.transaction(async (tx) => expect(await tx.messages.pruneRaw(NOW - 30 * DAY, 10)).toBe(1));
    expect(existsSync(join(dir, b.message.spool!.file))).toBe(true);
    expect(await s.messages.raw(ids[1]!)).toBeNull();
    const swept = await sweepSpool(s.messages, dir, Date.now() + 1);
    expect(swept.removed).toEqual([b.message.spool!.file]);
    expect(readdirSync(dir)).toEqual([c.message.spool!.file]);
    expect((await s.messages.raw(ids[2]!))!.equals(c.bytes)).toBe(true);
  });

  it('the sweep removes unnamed spool files older than the cut only, and never other names', async () => {
    const dir = tmpDir('spool-');
    const s = await backend.fresh({ spoolDir: dir });
    const kept = spooled(dir, 4096, NOW, 1);
    await s.messages.insert([kept.message]);
    const orphan = spooled(dir, 4096, NOW, 2).message.spool!.file; // a crash before its commit
    const young = spooled(dir, 4096, NOW, 3).message.spool!.file; // a session writing now
    writeFileSync(join(dir, 'README'), 'not ours');
    const old = (Date.now() - 3_600_000) / 1000;
    for (const f of [kept.message.spool!.file, orphan, 'README']) utimesSync(join(dir, f), old, old);
    const r = await sweepSpool(s.messages, dir, Date.now() - 60_000);
    expect(r.removed).toEqual([orphan]);
    expect(r.kept).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['README', kept.message.spool!.file, young].sort());
  });

  it('a missing file is the store fault `internal`; a spooled message needs a spool directory; names are checked', async () => {
    const dir = tmpDir('spool-');
    const s = await backend.fresh({ spoolDir: dir });
    const { message } = spooled(dir, 4096);
    const [id] = await s.messages.insert([message]);
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, message.spool!.file));
    const err = await s.messages.raw(id!).catch((e: unknown) => e);
    expect(isStoreError(err) && err.code).toBe('internal');
    const none = await backend.fresh();
    const refused = await none.messages.insert([spooled(dir, 4096, NOW, 5).message]).catch((e: unknown) => e);
    expect(isStoreError(refused) && refused.code).toBe('invalid');
    const bad = { ...spooled(dir, 4096, NOW, 6).message };
    bad.spool = { ...bad.spool!, file: '../bounced.db' };
    const badName = await s.messages.insert([bad]).catch((e: unknown) => e);
    expect(isStoreError(badName) && badName.code).toBe('invalid');
  });
});
