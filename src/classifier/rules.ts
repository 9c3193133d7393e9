// The compile step and the decision order over the tables. PURE.
//
// At module load every phrase table (./reasons, ./providers) becomes one matcher (./phrase.ts).
// `decide` walks the tiers below, first match wins; each answer carries the rule id
// (`<table>:<phrase>`, `<provider>.<rule>`, `status.x.1.1` ...) and the text it matched.
//
//   1. PROVIDER   the reporting MTA's own category, fixed product wordings, receiving providers'
//                 documented replies and codes (./providers). Final.
//   2. STRONG     reason phrases that name one cause (./reasons STRONG); before them, a local
//                 delivery agent's X.2.2 (mailbox full, see matchLocalMailboxFull) and X.1.1
//                 (EX_NOUSER, no such user: matchLocalUserUnknown).
//   3. PRECISE    status codes that name one cause (5.1.1, 5.2.2, 5.7.26 ...), a 551 reply that
//                 gives the forward path (RFC 5321 §3.4), 5.4.1 with "rejected".
//   4. WEAK       hinting words (./reasons WEAK).
//   5. MAIL FROM  a refusal of MAIL FROM that named no cause: the sender was refused.
//   6. STATUS     the subject and detail of any other registered code (./status.ts).
//   7. LAST       wordings that name no cause by themselves (./reasons LAST).
// A local program's error (diagnostic type x-unix) names no remote mailbox: the address tables
// (user/host unknown, filtered) are not read for it; it falls to mailererror, unless its status
// is the one its MTA gives EX_NOUSER (X.1.1).
import type { Reason } from '../report.js';
import { compilePhraseLists, compilePhrases, exampleOf, normaliseText, slug, type Phrase, type PhraseMatcher } from './phrase.js';
import { PROVIDERS, type Provider, type ProviderRule, type RuleContext } from './providers/index.js';
import { ADDRESS_TABLES, LAST, STRONG, UNSPECIFIED, WEAK, type ReasonTable } from './reasons/index.js';
import { isPreciseStatus, reasonOfStatus, statusMatcher, statusMatches, statusOfTitle, TITLE_PHRASES } from './status.js';

export { normaliseText } from './phrase.js';
export type { RuleContext } from './providers/index.js';

/** A decision and why. */
export interface RuleMatch {
  id: string;
  reason: Reason;
  /** true for provider conventions: no later adjustment applies. */
  fixed: boolean;
  field: 'diagnosticCode' | 'status' | 'replyCode' | 'command' | 'vendorCategory' | 'detector';
  text: string;
  /** The wording says the failure is temporary (its table's `transient`). */
  transient?: boolean;
}

/** What `decide` reads: the normalised diagnostic text and the fields around it. */
export interface DecideInput extends RuleContext {
  /** normaliseText(ruleText(...)) */
  text: string;
  /** The diagnostic came from a local delivery program (x-unix), not from an SMTP server. */
  local?: boolean;
  /** The report says the message is still queued (Action: delayed). */
  delayed?: boolean;
}

// --- compile ---------------------------------------------------------------------------------

interface CompiledTable {
  table: ReasonTable;
  matcher: PhraseMatcher;
  address: boolean;
  /** The rule id of each entry (`<table>:<slug>`), made on its first match. */
  ids: string[];
}

interface CompiledRule {
  /** `<provider>.<rule>` */
  id: string;
  rule: ProviderRule;
  matcher: PhraseMatcher | null;
  /** rule.status as one test (statusMatcher), or null. */
  status: ((status: string) => boolean) | null;
  /** Its wordings' place among PROVIDER_WORDINGS' lists (-1: it has none). */
  list: number;
}

interface CompiledProvider {
  provider: Provider;
  rules: CompiledRule[];
  /** The rules without wordings, in order: all that can answer when the text has no provider wording. */
  plainRules: CompiledRule[];
}

const compileTables = (ts: readonly ReasonTable[]): CompiledTable[] =>
  ts.map((table) => ({ table, matcher: compilePhrases(table.phrases), address: ADDRESS_TABLES.has(table), ids: new Array<string>(table.phrases.length) }));

const C_STRONG = compileTables(STRONG);
const C_UNSPECIFIED = compileTables(UNSPECIFIED);
const C_WEAK = compileTables(WEAK);
const C_LAST = compileTables(LAST);
const wordingLists: (readonly Phrase[])[] = [];
const C_PROVIDERS: CompiledProvider[] = PROVIDERS.map((provider) => {
  const rules = provider.rules.map((rule) => ({
    id: `${provider.id}.${rule.id}`,
    rule,
    matcher: rule.phrases ? compilePhrases(rule.phrases) : null,
    status: rule.status ? statusMatcher(rule.status) : null,
    list: rule.phrases ? wordingLists.push(rule.phrases) - 1 : -1,
  }));
  return { provider, rules, plainRules: rules.filter((r) => !r.matcher) };
});

// Every provider wording at once: most replies carry none, and one pass over the text then
// spares the per-rule passes; when some do, which rules' wordings occur (the rules are still
// walked in order, and only a rule whose wording occurs runs its matcher).
const PROVIDER_WORDINGS = compilePhraseLists(wordingLists);

// --- tiers -----------------------------------------------------------------------------------

const hostIs = (host: string | null | undefined, suffixes: string[]): boolean =>
  !!host && suffixes.some((s) => host === s || host.endsWith('.' + s));

function statusInRange(status: string, [prefix, lo, hi]: [string, number, number]): boolean {
  if (!statusMatches(status, prefix)) return false;
  const detail = Number(status.slice(status.lastIndexOf('.') + 1));
  return detail >= lo && detail <= hi;
}

function matchProviders(inp: DecideInput): RuleMatch | null {
  const wordings = inp.text ? PROVIDER_WORDINGS(inp.text) : null;
  for (const { provider, rules, plainRules } of C_PROVIDERS) {
    if (provider.hosts && !hostIs(inp.host, provider.hosts)) continue;
    const code = provider.codes ? matchCode(provider, inp.text) : null;
    if (code) return code;
    // (most replies carry no provider wording: then only the rules without wordings are walked)
    const m = matchProviderRules(wordings ? rules : plainRules, inp, wordings);
    if (m) return m;
  }
  return null;
}

/** `wordings`: which rules' wordings occur in the text (by CompiledRule.list), null for none. */
function matchProviderRules(rules: CompiledRule[], inp: DecideInput, wordings: boolean[] | null): RuleMatch | null {
  for (const { id, rule, matcher, status, list } of rules) {
    if (matcher && !(wordings && wordings[list])) continue;
    if (rule.detector && (!inp.detector || !rule.detector.includes(inp.detector))) continue;
    if (rule.vendorCategory && (!inp.vendorCategory || !rule.vendorCategory.includes(inp.vendorCategory))) continue;
    if (rule.command && (!inp.command || !rule.command.includes(inp.command))) continue;
    if (rule.reply && (inp.replyCode == null || !rule.reply.includes(inp.replyCode))) continue;
    if (status && !(inp.status && status(inp.status))) continue;
    if (rule.statusRange && !(inp.status && statusInRange(inp.status, rule.statusRange))) continue;
    if (matcher) {
      const m = matcher.match(inp.text);
      if (m) return { id, reason: rule.reason, fixed: true, field: 'diagnosticCode', text: m.text };
      continue;
    }
    const field = rule.vendorCategory ? 'vendorCategory' : rule.status || rule.statusRange ? 'status' : rule.reply ? 'replyCode' : 'detector';
    const text = field === 'vendorCategory' ? inp.vendorCategory : field === 'status' ? inp.status : field === 'replyCode' ? String(inp.replyCode) : inp.detector;
    return { id, reason: rule.reason, fixed: true, field, text: text ?? '' };
  }
  return null;
}

function matchCode(provider: Provider, text: string): RuleMatch | null {
  const t = provider.codes;
  if (!t || !text) return null;
  const m = t.pattern.exec(text);
  if (!m) return null;
  const code = m[1];
  let reason: Reason | undefined = t.codes[code];
  if (!reason && t.ranges && /^\d+$/.test(code)) {
    const n = Number(code);
    reason = t.ranges.find(([lo, hi]) => n >= lo && n <= hi)?.[2];
  }
  return reason ? { id: `${provider.id}.code-${code}`, reason, fixed: true, field: 'diagnosticCode', text: m[0] } : null;
}

function matchTables(tables: CompiledTable[], inp: DecideInput): RuleMatch | null {
  if (!inp.text) return null;
  for (const { table, matcher, address, ids } of tables) {
    if (address && inp.local) continue;
    if (table.notCommand && inp.command && table.notCommand.includes(inp.command)) continue;
    if (table.command && !(inp.command && table.command.includes(inp.command))) continue;
    const m = matcher.match(inp.text);
    if (m) return { id: (ids[m.index] ??= `${table.id}:${slug(m.phrase.text)}`), reason: table.reason, fixed: false, field: 'diagnosticCode', text: m.text, transient: table.transient === true };
  }
  return null;
}

// RFC 5321 §3.4: "551 User not local; please try <forward-path>": moved, with the new address.
// Without a forward path a 551 only says the user is not here (many servers send it for any
// refusal): it decides nothing.
const FORWARD_PATH = /\btry:? <?[^\s<>@]{1,64}@[^\s<>]{1,255}/;

function matchPrecise(inp: DecideInput): RuleMatch | null {
  if (inp.replyCode === 551 && FORWARD_PATH.test(inp.text)) {
    return { id: 'reply.551-forward-path', reason: 'hasmoved', fixed: false, field: 'replyCode', text: '551' };
  }
  const st = inp.status;
  if (!st) return null;
  // X.4.1 is "no answer from host", but a server that answered "rejected" did answer: it
  // refused (Zoho, m-FILTER, Exchange send 5.4.1 for a plain refusal)
  if (statusMatches(st, 'x.4.1') && /\brejected\b/.test(inp.text)) {
    return { id: 'status.x.4.1-rejected', reason: 'rejected', fixed: false, field: 'status', text: st };
  }
  if (!isPreciseStatus(st)) return null;
  const r = reasonOfStatus(st);
  return r ? { id: r.id, reason: r.reason, fixed: false, field: 'status', text: st } : null;
}

function matchStatus(inp: DecideInput): RuleMatch | null {
  const r = reasonOfStatus(inp.status ?? null);
  if (!r) return null;
  return { id: r.id, reason: r.reason, fixed: false, field: 'status', text: inp.status as string };
}

// RFC 5321 §4.2.3 gives a few basic reply codes one meaning of their own. When neither the
// text nor the enhanced status names a cause, such a code decides, as the status would (the
// issue's "honest defaults"). Only codes whose meaning is not overloaded in practice: 451 is
// "Requested action aborted: local error in processing" (a greylisting 451 says so in its
// text or its 4.7.x status, and is decided before this); 452, 552 and 554 are left out, as
// servers send them for too many recipients, a too large message and any refusal. RFC 4954
// §6 gives AUTH its own: 530 "authentication required", 535 "authentication credentials
// invalid" (the sending MTA's login to a relay failed). 501-504 are RFC 5321 §4.2.3's syntax
// and sequence errors ("Syntax error in parameters or arguments", "Command not implemented",
// "Bad sequence of commands", "Command parameter not implemented"): `syntaxerror`, as the
// reason definitions whose names we use read 501-507 when nothing else is said (500, a command
// not recognised, they leave undecided). 525 is the reply code RFC 5248's registry gives X.7.13
// "User Account Disabled": `suspend`, as those definitions read it. (RFC 7504's 521 and 556,
// "does not accept mail", are left out: servers send 521 for blocks too, and a hard bounce on a
// bare code would be the false hard bounce issue #13 counts.)
const REPLY_MEANING: Readonly<Record<number, Reason>> = {
  451: 'systemerror', 530: 'securityerror', 535: 'securityerror', 525: 'suspend',
  501: 'syntaxerror', 502: 'syntaxerror', 503: 'syntaxerror', 504: 'syntaxerror',
};

function matchReplyCode(inp: DecideInput): RuleMatch | null {
  // An enhanced code with a subject refines the basic code (RFC 3463 §2) and has been read
  // already, even where it deliberately names no cause (a transient 4.3.0: "try again later")
  if (inp.status && !/^\d\.0\.0$/.test(inp.status)) return null;
  const reason = inp.replyCode == null ? undefined : REPLY_MEANING[inp.replyCode];
  return reason ? { id: `reply.${inp.replyCode}`, reason, fixed: false, field: 'replyCode', text: String(inp.replyCode) } : null;
}

// A local delivery agent that reports X.2.2 says the mailbox is full: Postfix local(8) and
// virtual(8) write a failed append as diagnostic type x-unix with EX_IOERR's text ("x-unix;
// input/output error") and the status of mbox_dsn(), which is 5.2.2 for EDQUOT and EFBIG (a
// file-system quota, mailbox_size_limit / virtual_mailbox_limit). The x-unix type alone would
// read as a failed delivery program (mailererror).
function matchLocalMailboxFull(inp: DecideInput): RuleMatch | null {
  if (!inp.local || !inp.status || !statusMatches(inp.status, 'x.2.2')) return null;
  return { id: 'status.x.2.2-local', reason: 'mailboxfull', fixed: false, field: 'status', text: inp.status };
}

// A local delivery agent that reports X.1.1 says the addressee has no account: a delivery
// program that exits EX_NOUSER (sysexits.h 67, "addressee unknown": procmail -d, maildrop -d,
// mailutils' mda for a user with no account) is reported by Postfix pipe(8)/local(8) with the
// 5.1.1 of its sys_exits table ("user unknown") and by Sendmail's prog mailer likewise. Any other
// exit status gets another code (5.3.0, 5.2.0, 4.3.0 ...) and stays a failed program (mailererror).
function matchLocalUserUnknown(inp: DecideInput): RuleMatch | null {
  if (!inp.local || !inp.status || !statusMatches(inp.status, 'x.1.1')) return null;
  return { id: 'status.x.1.1-local', reason: 'userunknown', fixed: false, field: 'status', text: inp.status };
}

/**
 * Reasons that name the recipient's mailbox or domain. A refusal of MAIL FROM cannot mean them:
 * no recipient has been named yet (RFC 5321 §3.3), so an X.1.1 / X.1.2 or a "user unknown" there
 * is about the sender (RFC 3463's own codes for it are X.1.7 and X.1.8): `rejected`, never a
 * hard bounce of the recipient (issue #13, harm 2).
 */
const RECIPIENT_ADDRESS_REASONS: ReadonlySet<Reason> = new Set(['userunknown', 'hostunknown', 'hasmoved']);
/** The session refused before MAIL FROM (its greeting, HELO/EHLO): the sending host was refused. */
const BEFORE_MAIL = new Set(['CONNECT', 'HELO', 'EHLO']);
/** X.1.7 (bad sender's mailbox address syntax) and X.1.8 (bad sender's system address). */
const SENDER_ADDRESS_STATUS = /^[45]\.1\.[78]$/;

/**
 * The sender named as the subject of a recipient-side wording: "Sender user unknown", "MAIL FROM:
 * user unknown", "Return-Path <x@x.x> does not exist", "Your domain has no MX record". The tables
 * read the words after the noun ("user unknown", "does not exist", "no mx record") as the
 * recipient's; the noun before them says whose they are (RFC 3463's X.1.7 / X.1.8 in words), so the
 * refusal is of the sender: `rejected`, never a hard bounce of the recipient (issue #13, harms 1
 * and 2). Read on the (at most 48) characters just before the match, after names were blanked
 * (`x@x.x`, `x.x`); a wording that names the recipient itself ("recipient", "addressee",
 * "destinataire") keeps its subject.
 */
const SENDER_BEFORE =
  /(?:^|[\s(<[:;,.'"])(?:(?:the |envelope |your )?sender(?:'s)?|mail from|return-?\s?path|originator|your(?: e-?mail)?)(?: (?:e-?mail |mail )?(?:address|mailbox|domain|account|user|host(?: ?name)?))?(?: ?:)?(?: ?<?x@x\.x>?| ?<?x\.x>?)? ?[:,-]? ?$/;
const NAMES_RECIPIENT = /recipient|addressee|destinat/;
const RECIPIENT_SIDE: ReadonlySet<Reason> = new Set<Reason>(['userunknown', 'hostunknown', 'hasmoved', 'notaccept', 'suspend']);

function senderIsSubject(text: string, matched: string): boolean {
  if (NAMES_RECIPIENT.test(matched)) return false;
  const at = text.indexOf(matched);
  if (at <= 0) return false;
  return SENDER_BEFORE.test(text.slice(Math.max(0, at - 48), at));
}

/**
 * Postfix's prefix for a refusal of the sending client ("<host[ip]>: Client host rejected: <the
 * access map's or the restriction's text>", postconf(5)): whatever the text after it says, it
 * is the client's refusal, so a recipient-side wording there ("Client host rejected: mailbox
 * unavailable") is not the recipient's mailbox or domain: `blocked`, as the prefix alone reads
 * (reasons/blocked.ts blockedHint). Within 200 characters before the match.
 */
const CLIENT_PREFIX = 'client host rejected';

function clientIsSubject(text: string, matched: string): boolean {
  const at = text.indexOf(matched);
  if (at <= 0) return false;
  const prefix = text.lastIndexOf(CLIENT_PREFIX, at - 1);
  return prefix >= 0 && at - prefix <= 200;
}

/** The first answer of the tiers, or null when neither the text nor the codes say why. */
export function decide(inp: DecideInput): RuleMatch | null {
  const m = decideAny(inp);
  // a recipient-side wording whose subject is the sender ("Sender user unknown"): `rejected`;
  // the sending client ("Client host rejected: ..."): `blocked`
  if (m && !m.fixed && m.field === 'diagnosticCode' && RECIPIENT_SIDE.has(m.reason)) {
    if (senderIsSubject(inp.text, m.text)) return { ...m, id: m.id + '+sender', reason: 'rejected' };
    if (clientIsSubject(inp.text, m.text)) return { ...m, id: m.id + '+client', reason: 'blocked' };
  }
  if (m && !m.fixed && RECIPIENT_ADDRESS_REASONS.has(m.reason)) {
    if (inp.command === 'MAIL') return { id: 'command.mail', reason: 'rejected', fixed: false, field: 'command', text: 'MAIL' };
    // RFC 3463 X.1.7 / X.1.8 name the sender's mailbox or system: an addressing wording beside
    // them ("sender mailbox unavailable", "the domain of the sender address does not exist")
    // is about the sender, never the recipient's missing mailbox or domain
    if (inp.status && SENDER_ADDRESS_STATUS.test(inp.status)) return { id: 'status.sender-address', reason: 'rejected', fixed: false, field: 'status', text: inp.status };
    // RFC 4954's 535 (authentication credentials invalid) and 530 (authentication required)
    // answer AUTH, not RCPT: "unknown user or bad password" is the sending account's login
    if (inp.replyCode === 535 || inp.replyCode === 530) return { id: `reply.${inp.replyCode}`, reason: 'securityerror', fixed: false, field: 'replyCode', text: String(inp.replyCode) };
    if (inp.command && BEFORE_MAIL.has(inp.command)) return { id: `command.${inp.command.toLowerCase()}`, reason: 'blocked', fixed: false, field: 'command', text: inp.command };
  }
  return m;
}

function decideAny(inp: DecideInput): RuleMatch | null {
  return (
    matchProviders(inp) ??
    matchLocalMailboxFull(inp) ??
    matchLocalUserUnknown(inp) ??
    matchTables(C_STRONG, inp) ??
    matchPrecise(inp) ??
    matchUnspecified(inp) ??
    matchTables(C_WEAK, inp) ??
    (inp.command === 'MAIL' && inp.text ? { id: 'command.mail', reason: 'rejected', fixed: false, field: 'command', text: 'MAIL' } : null) ??
    matchStatus(inp) ??
    matchTitle(inp) ??
    matchTables(C_LAST, inp) ??
    matchReplyCode(inp) ??
    matchGreetingRefusal(inp)
  );
}

// A reply that gives an enhanced code's registered title but no code that names a cause ("550
// Mailing list expansion problem", a 5.0.0 beside "Message integrity failure"): the title says
// what its code would (status.ts TITLE_PHRASES). Only when the status said nothing (this runs
// after matchStatus), so a code that names a cause is never overruled by a title.
function matchTitle(inp: DecideInput): RuleMatch | null {
  if (!inp.text) return null;
  const t = statusOfTitle(inp.text, (inp.replyCode ?? 500) < 500 ? 4 : 5);
  const r = t ? reasonOfStatus(t.status) : null;
  return t && r ? { id: titleRuleId(r.id), reason: r.reason, fixed: false, field: 'diagnosticCode', text: t.text } : null;
}

/** `status.x.2.4` -> `status-title.x.2.4`: the title's rule beside its code's. */
const titleRuleId = (statusRuleId: string): string => `status-title.${statusRuleId.slice('status.'.length)}`;

// Status reasons that name no ground of their own: the reason definitions read a refusal
// wording of the sender's (reasons/last-resort.ts policyRefusal) beside them, and so do we.
const NO_GROUND = new Set<Reason>(['securityerror', 'systemerror']);

function matchUnspecified(inp: DecideInput): RuleMatch | null {
  const r = inp.status ? reasonOfStatus(inp.status) : null;
  if (r && !NO_GROUND.has(r.reason)) return null;
  return matchTables(C_UNSPECIFIED, inp);
}

// A refusal of HELO / EHLO that says nothing else refused the sending host itself (RFC 5321
// §4.1.1.1: the client's identification is all the command carries): `blocked`, the reason
// definitions' own last resort for that command. Only when neither the words, the codes nor
// the reply code said anything, and not in a delay notice (whose own last resort, `expired`,
// they try first); a refusal of the greeting (CONNECT) is not included, as they leave it
// undecided.
function matchGreetingRefusal(inp: DecideInput): RuleMatch | null {
  if (inp.delayed || (inp.command !== 'HELO' && inp.command !== 'EHLO')) return null;
  return { id: `command.${inp.command.toLowerCase()}`, reason: 'blocked', fixed: false, field: 'command', text: inp.command };
}

// --- the table as data (tests, --explain, counting) -------------------------------------------

/** One entry of the tables, flattened: what the tests check and a maintainer counts. */
export interface RuleEntry {
  id: string;
  reason: Reason;
  source: string;
  /** An input that must be decided by this very entry. */
  example: DecideInput;
}

const exampleInput = (text: string, ctx: RuleContext = {}): DecideInput => ({ ...ctx, text: normaliseText(text) });

function providerEntries(): RuleEntry[] {
  const out: RuleEntry[] = [];
  for (const provider of PROVIDERS) {
    const host = provider.hosts ? `mx.${provider.hosts[0]}` : null;
    if (provider.codes) {
      out.push({ id: `${provider.id}.codes`, reason: 'undefined', source: provider.source, example: exampleInput(provider.codes.example, { host }) });
    }
    for (const rule of provider.rules) {
      const id = `${provider.id}.${rule.id}`;
      const ctx: RuleContext = { host, ...rule.exampleContext };
      const phrases: (Phrase | null)[] = rule.phrases ?? [null];
      for (const ph of phrases) {
        out.push({ id, reason: rule.reason, source: ph?.source ?? provider.source, example: exampleInput(ph ? exampleOf(ph) : '', ctx) });
      }
    }
  }
  return out;
}

function tableEntries(tables: readonly ReasonTable[]): RuleEntry[] {
  return tables.flatMap((t) =>
    t.phrases.map((ph) => ({ id: `${t.id}:${slug(ph.text)}`, reason: t.reason, source: ph.source, example: exampleInput(exampleOf(ph), t.command ? { command: t.command[0] } : {}) })),
  );
}

function titleEntries(): RuleEntry[] {
  return TITLE_PHRASES.map((t) => {
    const r = reasonOfStatus(`5.${t.code}`)!;
    return { id: titleRuleId(r.id), reason: r.reason, source: t.source, example: exampleInput(exampleOf(t), { replyCode: 550 }) };
  });
}

let entries: readonly RuleEntry[] | null = null;

/** Every entry of every table, in decision order (built on first use: tests and tools only). */
export function ruleEntries(): readonly RuleEntry[] {
  entries ??= [...providerEntries(), ...tableEntries(STRONG), ...tableEntries(UNSPECIFIED), ...tableEntries(WEAK), ...titleEntries(), ...tableEntries(LAST)];
  return entries;
}
