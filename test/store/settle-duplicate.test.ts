// The same report settled by two processes (two MX nodes on one PostgreSQL, or the daemon and
// `ingest` on one SQLite file): the duplicate check is made again in the settling transaction,
// so one copy is processed and the other becomes its duplicate, even when both settle at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage, Settlement, Store } from '../../src/store/contract.js';
import { openPostgres } from '../../src/store/postgres/open.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { inCI, tmpDir } from '../helpers/env.js';
import { postgresMissing, startPostgres, type PgServer } from '../helpers/postgres.js';

const pgMissing = postgresMissing();
if (pgMissing && !inCI) console.warn(`SKIPPED: the PostgreSQL half of test/store/settle-duplicate.test.ts: ${pgMissing}`);
let server: PgServer | null = null;
let n = 0;
const opened: Store[] = [];

beforeAll(async () => {
  if (!(pgMissing && !inCI)) server = await startPostgres();
}, 120_000);
afterAll(async () => {
  for (const s of opened) await s.close();
  server?.stop();
});

async function pair(kind: 'sqlite' | 'postgres'): Promise<[Store, Store]> {
  if (kind === 'sqlite') {
    const dataDir = tmpDir('b2-settle-');
    const a = await openSqlite({ dataDir });
    const b = await openSqlite({ dataDir });
    opened.push(a, b);
    return [a, b];
  }
  const url = await server!.createDatabase(`settle${++n}`);
  const a = await openPostgres(url, { max: 4 });
  const b = await openPostgres(url, { max: 4, migrate: false });
  opened.push(a, b);
  return [a, b];
}

const msg = (): IncomingMessage => ({
  receivedAt: 1, source: 'smtp', mailFrom: '', rcptTo: ['b+x@bounces.test'], remoteIp: '127.0.0.1', helo: 'mx', raw: Buffer.from('Subject: the same report\r\n\r\nbody\r\n'),
});
const processed: Settlement = { state: 'processed', kind: 'bounce', detector: 'rfc3464', reportMessageId: '<r@x>', duplicateKey: 'tok:<r@x>' };

const kinds: Array<'sqlite' | 'postgres'> = ['sqlite', ...(pgMissing && !inCI ? [] : ['postgres' as const])];
describe.each(kinds)('%s: settling two copies of one report', (kind) => {
  it('one after the other: the second becomes the duplicate of the first and writes nothing', async () => {
    const [a, b] = await pair(kind);
    const [first, second] = await a.messages.insert([msg(), msg()]);
    expect(await a.transaction((tx) => tx.messages.settle(first!, processed, 10))).toBe(true);
    expect(await b.transaction((tx) => tx.messages.settle(second!, processed, 11))).toBe(false);
    expect(await a.messages.get(second!)).toMatchObject({ state: 'duplicate', duplicateOf: first, kind: 'bounce' });
    expect(await a.messages.get(first!)).toMatchObject({ state: 'processed', duplicateOf: null });
  });

  it('at once, from two connections: exactly one is processed', async () => {
    const [a, b] = await pair(kind);
    for (let round = 0; round < 5; round++) {
      const raw = Buffer.from(`Subject: report ${round}\r\n\r\nbody\r\n`);
      const [x, y] = await a.messages.insert([{ ...msg(), raw }, { ...msg(), raw }]);
      const key = { ...processed, duplicateKey: `tok:${round}` } as Settlement;
      const results = await Promise.all([a.transaction((tx) => tx.messages.settle(x!, key, 10)), b.transaction((tx) => tx.messages.settle(y!, key, 10))]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const states = [(await a.messages.get(x!))!.state, (await a.messages.get(y!))!.state].sort();
      expect(states).toEqual(['duplicate', 'processed']);
    }
  });
});
