// One reply, many carriers (issue #13, round 20). Every failed record's reply of the corpus's dev
// part and of fixtures/ is carried again in other notice formats (test/helpers/carriers.ts), and
// the readings are compared:
//  - several recipients in one notice, each with its own reply from a different message: each
//    reads exactly as it does alone in the same format (no recipient lost or added, no reason
//    or hard flag taken from a neighbour: issue #13 harm 4 and harm 1);
//  - every reply made transient and carried in six delay notices: nothing failed, nothing hard
//    (harm 7).
// The readings of one reply across formats are not asserted equal: a format that does not say
// which command failed (a plain DSN, Exchange's NDR) reads an unknown-user wording by the labels'
// convention (src/classifier/index.ts, "+not-rcpt").
// Validation messages are never read (corpusSources keeps the dev part only); without
// ../shared/corpus the fixtures alone are used, and the test says so.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusSources, hash32 } from '../../scripts/metamorphic-lib.mjs';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { oneLine } from '../../src/parser/smtp-text.js';
import { DELAY_CARRIERS, FAILURE_CARRIERS, transient, type Entry } from '../helpers/carriers.js';
import { repoRoot } from '../helpers/env.js';

const sources = corpusSources(repoRoot) as { file: string; name: string; origin: string }[];
if (!sources.some((s) => s.origin === 'public-dev')) console.warn('SKIPPED (part): carriers.test.ts reads fixtures/ only: ../shared/corpus is not beside the repository');

/** One entry per failed or delayed recipient whose diagnostic is a remote reply, one per address. */
const entries: Entry[] = [];
const seen = new Set<string>();
for (const s of sources) {
  let r;
  try {
    r = parseMessageSync(readFileSync(s.file));
  } catch {
    continue;
  }
  for (const x of r.recipients) {
    const reply = oneLine(x.diagnosticCode ?? '');
    if ((x.action !== 'failed' && x.action !== 'delayed') || !/^[245]\d\d\b/.test(reply) || seen.has(x.finalRecipient)) continue;
    seen.add(x.finalRecipient);
    entries.push({ rcpt: x.finalRecipient, reply, status: x.status ?? '5.0.0', command: (x.command as Entry['command']) ?? null });
  }
}
const order = [...entries].sort((a, b) => hash32(`carriers:${a.rcpt}`) - hash32(`carriers:${b.rcpt}`));

const read = (raw: string) => {
  const r = parseMessageSync(Buffer.from(raw, 'utf8'));
  const v = classify(r);
  return r.recipients.map((x, i) => ({ rcpt: x.finalRecipient, action: x.action, reason: v[i]!.reason, hard: v[i]!.hardbounce }));
};

describe('several recipients in one notice read as each alone', () => {
  it('there are replies to carry', () => expect(entries.length).toBeGreaterThan(300));
  for (const [name, carry] of Object.entries(FAILURE_CARRIERS)) {
    it(`${name}: groups of two and three`, () => {
      const alone = new Map<string, string | null>();
      const aloneOf = (e: Entry) => {
        if (!alone.has(e.rcpt)) {
          const raw = carry([e]);
          const mine = raw ? read(raw).find((x) => x.rcpt === e.rcpt) : undefined;
          alone.set(e.rcpt, mine ? `${mine.reason} hard=${mine.hard}` : null);
        }
        return alone.get(e.rcpt)!;
      };
      const diffs: string[] = [];
      let groups = 0;
      for (const size of [2, 3]) {
        for (let i = 0; i + size <= order.length; i += size) {
          const group = order.slice(i, i + size);
          // (a reply that names another member of the group is that member's too: not a fair pair)
          if (group.some((e) => group.some((o) => o !== e && e.reply.includes(o.rcpt)))) continue;
          if (group.some((e) => aloneOf(e) === null)) continue;
          const raw = carry(group);
          if (!raw) continue;
          groups++;
          const got = read(raw);
          for (const g of got) if (!group.some((e) => e.rcpt === g.rcpt)) diffs.push(`extra ${g.rcpt} among ${group.map((e) => e.rcpt).join(' ')}`);
          for (const e of group) {
            const mine = got.find((g) => g.rcpt === e.rcpt);
            const now = mine ? `${mine.reason} hard=${mine.hard}` : 'lost';
            if (now !== aloneOf(e)) diffs.push(`${e.rcpt}: alone ${aloneOf(e)}, beside ${group.filter((o) => o !== e).map((o) => JSON.stringify(o.reply.slice(0, 60))).join(' ')}: ${now}`);
          }
        }
      }
      expect(groups).toBeGreaterThan(50);
      expect(diffs).toEqual([]);
    });
  }
});

describe('a transient reply in a delay notice is a delay, never a failure or a hard bounce', () => {
  const replies = new Map<string, Entry>();
  for (const e of entries) if (!replies.has(e.reply)) replies.set(e.reply, e);
  for (const [name, carry] of Object.entries(DELAY_CARRIERS)) {
    it(name, () => {
      const wrong: string[] = [];
      for (const e of replies.values()) {
        const t = { ...e, reply: transient(e.reply, [e.rcpt]), status: `4${e.status.slice(1)}` };
        for (const g of read(carry(t))) if (g.action !== 'delayed' || g.hard) wrong.push(`${g.rcpt} ${g.action} ${g.reason} hard=${g.hard}: ${JSON.stringify(t.reply.slice(0, 100))}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});
