// Suppressions of an internationalised address are one row whatever its spelling: added,
// imported, checked, listed and lifted through the ASCII (IDNA) form of the domain.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateSqlite } from '../../src/store/sqlite/open.js';
import { sqliteMigrations as migrations } from '../../src/store/sqlite/migrations.js';
import { tmpDir } from '../helpers/env.js';
import { apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';

const UNICODE = 'anna@bücher.de';
const ASCII = 'anna@xn--bcher-kva.de';

let fx: Fixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

describe('suppressions and IDN', () => {
  it('an address added in one spelling is suppressed in the other (service and CLI path)', async () => {
    fx = await apiFixture();
    await withAccounts(fx, 'acme');
    expect(await fx.policy.addSuppressions('acme', [UNICODE], 'manual', 'test', Date.now())).toBe(1);
    // The other spelling is the same row, not a new one.
    expect(await fx.policy.addSuppressions('acme', [ASCII, 'ANNA@Bücher.DE'], 'manual', 'test', Date.now())).toBe(0);
    for (const a of [UNICODE, ASCII, 'Anna@BÜCHER.de']) expect((await fx.policy.checkSend('acme', a, Date.now())).send, a).toBe(false);
    expect((await fx.policy.checkSendBatch('acme', [ASCII, UNICODE, 'bob@bücher.de'], Date.now())).map((d) => d.send)).toEqual([false, false, true]);
    expect((await fx.policy.listSuppressions({ accountId: 'acme' })).items.map((s) => s.address)).toEqual([ASCII]);
    expect(await fx.policy.removeSuppression('acme', 'ANNA@xn--bcher-kva.de', 'test', 'asked', Date.now())).toBe(true);
    expect((await fx.policy.checkSend('acme', UNICODE, Date.now())).send).toBe(true);
  });

  it('a streamed import in one spelling answers the pre-send check in the other (API)', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    const imported = await fx.app.inject({
      method: 'POST', url: '/v1/suppressions/import', headers: { ...bearer(acme!), 'content-type': 'text/plain' }, payload: `${UNICODE}\nJÜRGEN@Bücher.de\n`,
    });
    expect(imported.json()).toMatchObject({ added: 2, invalid: 0 });
    const check = (a: string) => fx!.app.inject({ method: 'GET', url: `/v1/suppressions/${encodeURIComponent(a)}`, headers: bearer(acme!) });
    for (const a of [ASCII, UNICODE, 'jürgen@xn--bcher-kva.de']) expect((await check(a)).json().send, a).toBe(false);
    const list = await fx.app.inject({ method: 'GET', url: '/v1/suppressions', headers: bearer(acme!) });
    expect(list.json().items.map((s: { address: string }) => s.address).sort()).toEqual(['anna@xn--bcher-kva.de', 'jürgen@xn--bcher-kva.de']);
  });

  it('suppressions stored before in the Unicode spelling are respelled when the database is upgraded', () => {
    const db = new Database(join(tmpDir(), 'old.db'));
    for (const m of [...migrations].sort((a, b) => a.version - b.version).filter((m) => m.version <= 6)) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
    const add = db.prepare(`INSERT INTO suppressions (account_id, address, reason, created_at, source) VALUES (?, ?, ?, 0, 'old')`);
    add.run('acme', UNICODE, 'manual');
    add.run('beta', UNICODE, 'import');
    add.run('beta', ASCII, 'import'); // both spellings already: one row stays
    add.run('acme', 'plain@example.org', 'manual');
    migrateSqlite(db);
    const rows = db.prepare(`SELECT account_id AS a, address, reason FROM suppressions ORDER BY account_id, address`).all();
    expect(rows).toEqual([
      { a: 'acme', address: ASCII, reason: 'manual' },
      { a: 'acme', address: 'plain@example.org', reason: 'manual' },
      { a: 'beta', address: ASCII, reason: 'import' },
    ]);
    db.close();
  });
});
