import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessage } from '../../src/parser/index.js';
import { arf, dsn, FAILURES, type Failure } from '../helpers/policy-mail.js';

// The synthetic reports the scenarios use are read as intended (so a scenario failure is
// a policy failure, not a fixture one).
describe('synthetic reports', () => {
  it.each(Object.keys(FAILURES) as Failure[])('a %s DSN classifies as that failure', async (failure) => {
    const raw = await dsn({ returnPath: 'b+x.y@bounces.test', recipient: 'ann@example.org', failure, n: 1 });
    const report = await parseMessage(raw);
    const [v] = classify(report);
    expect(v).toMatchObject({ recipient: 'ann@example.org', type: 'hard' });
    const want = { unknown_user: 'unknown_user', mailbox_full: 'mailbox_full', policy: 'policy', spam: 'spam', blocked: 'policy' }[failure];
    expect(v!.category).toBe(want);
    if (failure === 'blocked') expect(v!.reason).toBe('blocked');
  });

  it('an ARF report names the recipient and keeps the original Return-Path', async () => {
    const raw = await arf({ returnPath: 'b+x.y@bounces.test', recipient: 'ann@example.org', feedbackType: 'abuse', n: 1 });
    const report = await parseMessage(raw);
    expect(report.kind).toBe('complaint');
    expect(report.original?.returnPath).toBe('b+x.y@bounces.test');
    const [v] = classify(report);
    expect(v).toMatchObject({ recipient: 'ann@example.org', feedbackType: 'abuse' });
  });
});
