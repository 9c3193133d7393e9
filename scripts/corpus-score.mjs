// Scoring of `bounced classify --format jsonl` output against an expected.jsonl: the same
// matching and figures as ../shared/corpus/score.mjs (so the generated corpus, which lives in
// this repository, is scored the same way even when ../shared is absent), plus the harm-first
// checks of issue #13:
//   - records for addresses that did not fail: a record (kind not auto_reply/unknown) whose
//     address is neither an expected recipient nor its alias (Original-Recipient) in that file,
//     including every record on a file whose expected row is `recipient: null`;
//   - false hard bounces: a record matched to an expected row that says the address is not
//     permanently undeliverable (hardbounce 0) while bounced says it is (`hardbounce: true`), or
//     that calls a temporary failure (expected status 4.x.x) `type: hard`.
// Pure: takes parsed rows, returns plain figures. Used by scripts/corpus.mjs and by the
// ratchet test (test/classifier/corpus-ratchet.test.ts).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

// The reason names score.mjs treats as one (Sisimai 5.6 merged them).
const MERGED = { toomanyconn: 'ratelimited', speeding: 'ratelimited', exceedlimit: 'emailtoolarge', mesgtoobig: 'emailtoolarge' };
const norm = (s) => (s ?? '').toString().trim().toLowerCase();
const reasonOf = (r) => MERGED[norm(r)] ?? norm(r);
const hardOf = (v) => v === true || v === 1 || v === '1' || v === 'true';
const NOT_RECORDS = new Set(['auto_reply', 'unknown']);

export function readJsonl(path) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`${path}:${i + 1}: not JSON`);
      }
    });
}

/** The public corpus split (same hash as score.mjs): about one third `validation`. */
export function partOf(file) {
  const base = String(file).replace(/\\/g, '/').split('/').pop();
  return createHash('sha256').update('bounced-validation-v1:' + base).digest()[0] < 86 ? 'validation' : 'dev';
}

/** Score `output` rows against `expected` rows. Returns { figures, misses, harms }. */
export function score(expected, output) {
  const files = [...new Set(expected.map((e) => e.file))];
  const byFile = new Map(files.map((f) => [f, []]));
  for (const o of output) {
    const f = norm(o.file).replace(/\\/g, '/');
    let best;
    for (const e of files) if (f.endsWith(norm(e)) && (!best || e.length > best.length)) best = e;
    if (best) byFile.get(best).push(o);
  }
  const c = { rows: 0, found: 0, statusRows: 0, status: 0, reason: 0, hard: 0, all: 0 };
  const misses = [];
  const falseHard = [];
  const used = new Map();
  for (const e of expected) {
    if (e.recipient == null) continue;
    c.rows++;
    const cands = byFile.get(e.file) ?? [];
    const taken = used.get(e.file) ?? new Set();
    used.set(e.file, taken);
    const want = [norm(e.recipient), norm(e.alias)].filter(Boolean);
    const i = cands.findIndex((o, k) => !taken.has(k) && o.recipient != null && want.includes(norm(o.recipient)));
    if (i < 0) {
      misses.push({ file: e.file, recipient: e.recipient, problem: 'recipient not found' });
      continue;
    }
    taken.add(i);
    const o = cands[i];
    c.found++;
    const statusOk = e.status_pseudo || norm(o.status) === norm(e.status);
    if (!e.status_pseudo) {
      c.statusRows++;
      if (statusOk) c.status++;
    }
    const reasonOk = reasonOf(o.reason) === reasonOf(e.reason_v56 ?? e.reason);
    const hardOk = hardOf(o.hardbounce) === hardOf(e.hardbounce);
    c.reason += reasonOk;
    c.hard += hardOk;
    c.all += statusOk && reasonOk && hardOk;
    if (!(statusOk && reasonOk && hardOk))
      misses.push({
        file: e.file,
        recipient: e.recipient,
        problem: [!statusOk && `status ${o.status} != ${e.status}`, !reasonOk && `reason ${o.reason} != ${e.reason_v56 ?? e.reason}`, !hardOk && `hardbounce ${o.hardbounce} != ${e.hardbounce}`].filter(Boolean).join('; '),
      });
    const tempExpected = /^4/.test(norm(e.status));
    if ((hardOf(o.hardbounce) && !hardOf(e.hardbounce)) || (norm(o.type) === 'hard' && tempExpected))
      falseHard.push({ file: e.file, recipient: e.recipient, got: `hardbounce ${o.hardbounce}, type ${o.type}`, expected: `hardbounce ${e.hardbounce}, status ${e.status}` });
  }

  // Records for addresses that did not fail; and score.mjs's "extra records" (unmatched records
  // on files that are bounces, duplicates included).
  const notFailed = [];
  let extra = 0;
  const negFiles = new Set(expected.filter((e) => e.recipient == null).map((e) => e.file));
  let negWithRecords = 0;
  for (const [f, outs] of byFile) {
    const wanted = new Set(expected.filter((e) => e.file === f).flatMap((e) => [norm(e.recipient), norm(e.alias)]).filter(Boolean));
    const taken = used.get(f) ?? new Set();
    let neg = false;
    outs.forEach((o, k) => {
      if (o.recipient == null) return;
      if (!taken.has(k) && !negFiles.has(f)) extra++;
      if (NOT_RECORDS.has(norm(o.kind))) return;
      if (negFiles.has(f)) neg = true;
      if (!wanted.has(norm(o.recipient))) notFailed.push({ file: f, recipient: o.recipient, kind: o.kind, rule: o.rule ?? null });
    });
    negWithRecords += neg;
  }

  const pct = (a, b) => (b ? (100 * a) / b : 0);
  return {
    figures: {
      files: files.length,
      rows: c.rows,
      recipientFound: pct(c.found, c.rows),
      statusExact: pct(c.status, c.statusRows),
      reason: pct(c.reason, c.rows),
      hardbounce: pct(c.hard, c.rows),
      all: pct(c.all, c.rows),
      counts: c,
      extraRecords: extra,
      notBounceFiles: negFiles.size,
      notBounceWithRecords: negWithRecords,
      notFailedRecords: notFailed.length,
      falseHardBounces: falseHard.length,
    },
    misses,
    harms: { notFailed, falseHard },
  };
}

/** Split expected and output rows by part and score each. */
export function scoreByPart(expected, output) {
  const out = {};
  for (const p of ['dev', 'validation']) out[p] = score(expected.filter((e) => partOf(e.file) === p), output.filter((o) => o.file == null || partOf(o.file) === p));
  return out;
}
