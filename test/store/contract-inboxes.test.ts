// The store contract's connected inboxes (InboxRepo, issue #17) on SQLite and a real
// PostgreSQL: the same assertions on both.
import { describe, expect, it } from 'vitest';
import type { InboxBounceRow, NewInbox, Store } from '../../src/store/contract.js';
import { rejects, storeBackends } from '../helpers/store-backends.js';

const backends = storeBackends('test/store/contract-inboxes.test.ts');

const JAN = Date.UTC(2026, 0, 10, 12);
const DAY = 24 * 3600_000;

const inbox = (id: string, over: Partial<NewInbox> = {}): NewInbox => ({
  id,
  accountId: 'acme',
  host: '127.0.0.1',
  port: 1143,
  tls: 'none',
  user: 'alice',
  auth: 'password',
  credentials: `v1.iv.secret-${id}.tag`,
  sentFolder: null,
  moveTo: null,
  windowHours: null,
  ...over,
});

const bounceRow = (over: Partial<InboxBounceRow> = {}): InboxBounceRow => ({
  inboxId: 'in1',
  dedupeKey: 'k1',
  folder: 'INBOX',
  uidValidity: 7,
  uid: 3,
  method: 'dsn_message_id',
  sentMessageId: 'quote@sales.test',
  recipient: 'Bob@Customer.TEST',
  messageRow: 0,
  bounceId: null,
  receivedAt: JAN,
  ...over,
});

describe.each(backends)('store contract: inboxes on $name', (backend) => {
  let s: Store;
  const setup = async () => {
    s = await backend.fresh();
    await s.accounts.insert({ id: 'acme', name: null, tier: 'starter', profile: 'default', contactEmail: null }, JAN);
    await s.accounts.insert({ id: 'other', name: null, tier: 'starter', profile: 'default', contactEmail: null }, JAN);
  };

  it('registers inboxes per account, keeps the secret apart, removes only the account\'s own', async () => {
    await setup();
    const rec = await s.inboxes.add(inbox('in1', { sentFolder: 'Sent Items', windowHours: 48 }), JAN);
    expect(rec).toEqual({
      id: 'in1', accountId: 'acme', host: '127.0.0.1', port: 1143, tls: 'none', user: 'alice', auth: 'password', sentFolder: 'Sent Items', moveTo: null,
      windowHours: 48, enabled: true, createdAt: JAN,
      status: { state: 'new', errorCode: null, errorMessage: null, errorAt: null, failures: 0, nextAttemptAt: null, lastSyncAt: null, counters: null },
      lease: null,
    });
    // the record never carries the secret; only credentials() reads it
    expect(JSON.stringify(rec)).not.toContain('secret-in1');
    expect(await s.inboxes.credentials('in1')).toBe('v1.iv.secret-in1.tag');
    expect(await s.inboxes.credentials('nope')).toBeNull();
    await s.inboxes.add(inbox('in2', { accountId: 'other', tls: 'implicit', auth: 'xoauth2' }), JAN + 1);
    expect((await rejects(s.inboxes.add(inbox('in1'), JAN))).code).toBe('conflict');
    // an unknown account, a TLS mode outside the vocabulary: refused by the schema
    expect((await rejects(s.inboxes.add(inbox('in3', { accountId: 'ghost' }), JAN))).code).toBe('invalid');
    expect((await rejects(s.inboxes.add(inbox('in4', { tls: 'ssl' as never }), JAN))).code).toBe('invalid');
    expect((await s.inboxes.list()).map((i) => i.id)).toEqual(['in1', 'in2']);
    expect((await s.inboxes.list('other')).map((i) => [i.id, i.tls, i.auth])).toEqual([['in2', 'implicit', 'xoauth2']]);

    await s.inboxes.setStatus('in1', {
      state: 'error', errorCode: 'auth_failed', errorMessage: 'AUTHENTICATIONFAILED', errorAt: JAN + 5, failures: 2, nextAttemptAt: JAN + 900_000, lastSyncAt: JAN,
      counters: { scanned: 4 },
    });
    expect((await s.inboxes.get('in1'))!.status).toEqual({
      state: 'error', errorCode: 'auth_failed', errorMessage: 'AUTHENTICATIONFAILED', errorAt: JAN + 5, failures: 2, nextAttemptAt: JAN + 900_000, lastSyncAt: JAN,
      counters: { scanned: 4 },
    });

    // changes: only the account's own; a new secret clears the back-off
    expect(await s.inboxes.update('other', 'in1', { enabled: false })).toBe(false);
    expect(await s.inboxes.update('acme', 'nope', { enabled: false })).toBe(false);
    expect(await s.inboxes.update('acme', 'in1', { enabled: false, moveTo: 'Bounces', windowHours: null })).toBe(true);
    expect(await s.inboxes.get('in1')).toMatchObject({ enabled: false, moveTo: 'Bounces', sentFolder: 'Sent Items', windowHours: null, status: { nextAttemptAt: JAN + 900_000, failures: 2 } });
    expect(await s.inboxes.update('acme', 'in1', { secret: { auth: 'xoauth2', credentials: 'v1.new.blob.x' }, enabled: true })).toBe(true);
    expect(await s.inboxes.get('in1')).toMatchObject({ enabled: true, auth: 'xoauth2', status: { state: 'error', nextAttemptAt: null, failures: 0 } });
    expect(await s.inboxes.credentials('in1')).toBe('v1.new.blob.x');
    expect(await s.inboxes.update('acme', 'in1', {})).toBe(true);
    expect(await s.inboxes.update('other', 'in1', {})).toBe(false);
    // another account's id does not remove it
    expect(await s.inboxes.remove('other', 'in1')).toBe(false);
    await s.inboxes.saveCheckpoint('in1', 'INBOX', { uidValidity: 1, lastUid: 9 }, JAN);
    await s.inboxes.addSent('in1', [{ messageId: 'm@x', recipients: ['a@b.test'], subject: null, sentAt: JAN }], 'imap');
    expect(await s.inboxes.remove('acme', 'in1')).toBe(true);
    expect(await s.inboxes.remove('acme', 'in1')).toBe(false);
    expect(await s.inboxes.get('in1')).toBeNull();
    // its state went with it: a new inbox of that id starts from nothing
    await s.inboxes.add(inbox('in1'), JAN);
    expect(await s.inboxes.checkpoint('in1', 'INBOX')).toBeNull();
    expect(await s.inboxes.sentByMessageId('in1', ['m@x'])).toEqual([]);
  });

  it('keeps a checkpoint per folder and the sent index, looked up by Message-ID and by recipient in a window', async () => {
    await setup();
    await s.inboxes.add(inbox('in1'), JAN);
    await s.inboxes.add(inbox('in2'), JAN);
    expect(await s.inboxes.checkpoint('in1', 'INBOX')).toBeNull();
    await s.inboxes.saveCheckpoint('in1', 'INBOX', { uidValidity: 7, lastUid: 200 }, JAN);
    await s.inboxes.saveCheckpoint('in1', 'Sent', { uidValidity: 3, lastUid: 5 }, JAN);
    await s.inboxes.saveCheckpoint('in1', 'INBOX', { uidValidity: 8, lastUid: 1 }, JAN);
    expect(await s.inboxes.checkpoint('in1', 'INBOX')).toEqual({ uidValidity: 8, lastUid: 1 });
    expect(await s.inboxes.checkpoint('in1', 'Sent')).toEqual({ uidValidity: 3, lastUid: 5 });
    expect(await s.inboxes.checkpoint('in2', 'INBOX')).toBeNull();

    const quote = { messageId: 'Quote.7F@Sales.Test', recipients: ['Bob@Customer.TEST', 'carol@customer.test'], subject: 'Your quote', sentAt: JAN };
    const later = { messageId: 'later@sales.test', recipients: ['bob@customer.test'], subject: 'Follow-up', sentAt: JAN + 2 * DAY };
    expect(await s.inboxes.addSent('in1', [quote, later], 'imap')).toBe(2);
    // the same Message-ID again, in another case: one entry, the first kept
    expect(await s.inboxes.addSent('in1', [{ ...quote, messageId: 'quote.7f@sales.test', subject: 'changed' }], 'api')).toBe(0);
    const got = await s.inboxes.sentByMessageId('in1', ['QUOTE.7f@sales.test', 'unknown@x', 'quote.7F@sales.test']);
    expect(got).toEqual([{ messageId: 'Quote.7F@Sales.Test', recipients: ['bob@customer.test', 'carol@customer.test'], subject: 'Your quote', sentAt: JAN }]);
    expect(await s.inboxes.sentByMessageId('in2', ['quote.7f@sales.test'])).toEqual([]);

    const ids = async (rcpts: string[], since: number, until: number) => (await s.inboxes.sentToRecipients('in1', rcpts, since, until)).map((m) => m.messageId);
    expect(await ids(['BOB@customer.test'], JAN - DAY, JAN + 3 * DAY)).toEqual(['Quote.7F@Sales.Test', 'later@sales.test']);
    expect(await ids(['bob@customer.test', 'carol@customer.test'], JAN, JAN + DAY)).toEqual(['Quote.7F@Sales.Test']);
    expect(await ids(['bob@customer.test'], JAN + 1, JAN + DAY)).toEqual([]);
    expect(await ids(['dave@customer.test'], 0, JAN * 2)).toEqual([]);

    // the one-to-one channel's sends: recipients of the account's sent index in [since, until)
    await s.inboxes.add(inbox('o1', { accountId: 'other' }), JAN);
    await s.inboxes.addSent('o1', [{ messageId: 'o@x', recipients: ['z@z.test'], subject: null, sentAt: JAN }], 'api');
    expect(await s.inboxes.sendsOf('acme', JAN, JAN + 3 * DAY)).toBe(3);
    expect(await s.inboxes.sendsOf('acme', JAN + 1, JAN + 3 * DAY)).toBe(1);
    expect(await s.inboxes.sendsOf('other', JAN, JAN + 1)).toBe(1);
  });

  it('records a found bounce once per (inbox, dedupe key), finds its message by UID, inside a rolled-back transaction nothing', async () => {
    await setup();
    await s.inboxes.add(inbox('in1'), JAN);
    await s.inboxes.add(inbox('in2'), JAN);
    const [row] = await s.messages.insert([{ receivedAt: JAN, source: 'imap', mailFrom: '', rcptTo: ['alice'], remoteIp: null, helo: null, raw: Buffer.from('Subject: x\r\n\r\nx\r\n') }]);
    expect((await s.messages.get(row!))!.source).toBe('imap');
    expect(await s.inboxes.hasBounce('in1', 'k1')).toBe(false);
    expect(await s.inboxes.messageOf('in1', 'INBOX', 7, 3)).toBeNull();
    expect(await s.inboxes.recordBounce(bounceRow({ messageRow: row! }), JAN)).toBe(true);
    expect(await s.inboxes.hasBounce('in1', 'k1')).toBe(true);
    expect(await s.inboxes.hasBounce('in2', 'k1')).toBe(false);
    expect(await s.inboxes.messageOf('in1', 'INBOX', 7, 3)).toBe(row);
    expect(await s.inboxes.messageOf('in1', 'INBOX', 8, 3)).toBeNull();
    // the same bounce read again after a UIDVALIDITY change: nothing new
    expect(await s.inboxes.recordBounce(bounceRow({ messageRow: row!, uidValidity: 8, uid: 1 }), JAN)).toBe(false);
    expect(await s.inboxes.recordBounce(bounceRow({ inboxId: 'in2', messageRow: row! }), JAN)).toBe(true);
    expect(await s.inboxes.bounces('in1')).toEqual([bounceRow({ messageRow: row!, recipient: 'bob@customer.test' })]);
    // a message row that does not exist is refused
    expect((await rejects(s.inboxes.recordBounce(bounceRow({ dedupeKey: 'k9', messageRow: row! + 100 }), JAN))).code).toBe('invalid');

    await expect(
      s.transaction(async (tx) => {
        expect(await tx.inboxes.recordBounce(bounceRow({ dedupeKey: 'k2', messageRow: row! }), JAN)).toBe(true);
        expect(await tx.inboxes.hasBounce('in1', 'k2')).toBe(true);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await s.inboxes.hasBounce('in1', 'k2')).toBe(false);
  });
});
