// RFC 3464 delivery status notifications (and RFC 6533 message/global-delivery-status).
//
// The message/delivery-status body is a per-message block followed by one block per
// recipient, blocks separated by blank lines (§2.1). Fields fold like RFC 5322 headers;
// address and MTA fields are `type; value` (§2.3.2: `rfc822; a@b`, `dns; mx.example`,
// `utf-8; ü@b` for RFC 6533) and may carry (comments). We keep one RecipientReport per block.
//
// The exported field parser is reused by family detectors whose reports are RFC 3464 with
// quirks (vendors that put the fields in text/plain, or a generic Status with the real code in
// the human-readable part).
import type { DsnAction, RecipientReport } from '../../report.js';
import { findCopyMarker } from '../mime/inline-original.js';
import { continuesReflowed } from '../mime/reflow.js';
import { AddressIndex, type FailureCodes, findCommand, mailboxProblem, findReplyCode, findReplyStatus, findStatusCode, findTranscriptCommand, indentOf, lineWindow, normalizeAddress, oneLine, transcriptRefusedRcpts } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

/** One field: lower-cased name, the `type` before ';' when present, the value after it. */
export interface DsnField {
  name: string;
  type: string | null;
  value: string;
  /** The unfolded value as written, comments included. */
  raw: string;
}

export type DsnBlock = Map<string, DsnField>;

export interface DsnFields {
  perMessage: DsnBlock;
  perRecipient: DsnBlock[];
}

/** Fields that start a per-recipient block (RFC 3464 §2.3). */
const RECIPIENT_FIELDS = new Set(['final-recipient', 'original-recipient', 'x-actual-recipient']);
/** Fields whose value is `type; value`. */
const TYPED_FIELDS = new Set([
  'reporting-mta', 'dsn-gateway', 'received-from-mta', 'original-recipient', 'final-recipient',
  'remote-mta', 'diagnostic-code', 'x-actual-recipient', 'x-original-message-id',
]);
/** Fields where (comments) are noise, not text (Diagnostic-Code keeps its parentheses). */
const STRIP_COMMENTS = new Set(['action', 'status', 'reporting-mta', 'remote-mta', 'final-recipient', 'original-recipient', 'received-from-mta', 'dsn-gateway']);

// (`[^]*` reads a line as `.*` would, without its quadratic retries at a U+2028: see exim.ts ADDRESS_LINE)
const FIELD = /^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*([^]*)$/;

function parseField(name: string, raw: string): DsnField {
  const whole = oneLine(raw);
  let value = whole;
  // (oneLine left single spaces: without a comment there is nothing to strip)
  if (STRIP_COMMENTS.has(name) && value.includes('(')) value = value.replace(/\([^()]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  let type: string | null = null;
  if (TYPED_FIELDS.has(name)) {
    const m = /^([A-Za-z0-9][\w.+-]*)[ \t]*;[ \t]*(.*)$/.exec(value);
    if (m) {
      type = m[1].toLowerCase();
      value = m[2].trim();
    }
  }
  return { name, type, value, raw: whole };
}

export interface DsnParseOptions {
  /**
   * The reporting MTA writes a multi-line reply into Diagnostic-Code without folding (every line
   * at the left margin, "550-5.7.1 ..." up to "550 5.7.1 ..."): read those lines as the reply's.
   * Only for a family known to write so (nullmailer-dsn): taken for every report, it cost three
   * rows of the public validation part (stop 30), so other reports' unfolded lines stay prose.
   */
  unfoldedReplies?: boolean;
}

/**
 * Parses the text of a message/delivery-status part. Tolerates what real MTAs send: CRLF
 * leftovers, indented blocks, a missing blank line between recipients (a repeated
 * Final-Recipient then starts a new block), text before the first field.
 */
/** A field value with nothing in it yet: empty, or only its type ("rfc822;"). */
const EMPTY_VALUE = /^[ \t]*(?:[A-Za-z0-9][\w.+-]{0,30}[ \t]*;[ \t]*)?$/;

export function parseDsnFields(text: string, opts: DsnParseOptions = {}): DsnFields {
  const blocks: DsnBlock[] = [];
  let cur: DsnBlock | null = null;
  let lastName = '';
  let lastRaw = '';
  /** The code of a Diagnostic-Code's reply whose last line so far was "<code>-" (more follow). */
  let openReply: string | null = null;
  const flush = () => {
    if (cur && lastName) cur.set(lastName, parseField(lastName, lastRaw));
    lastName = '';
    openReply = null;
  };
  const lines = text.split('\n');
  for (const line of lines) {
    if (/^\s*$/.test(line)) {
      flush();
      if (cur && cur.size) blocks.push(cur);
      cur = null;
      continue;
    }
    if (/^[ \t]/.test(line) && lastName) {
      // a continuation, unless it is an indented field (some MTAs indent whole blocks)
      const m = FIELD.exec(line.trim());
      if (!m || !isDsnFieldName(m[1].toLowerCase())) {
        lastRaw += ' ' + line.trim();
        continue;
      }
    }
    const m = FIELD.exec(line.trim());
    if (!m && lastName && EMPTY_VALUE.test(lastRaw)) {
      // a field whose value a re-wrap moved to the next line, without the white space that
      // would make it a continuation ("Final-Recipient:" / "rfc822;a@x", "Final-Recipient:
      // rfc822;" / "a@x"): a field cannot end there, the line is its value
      lastRaw += ' ' + line.trim();
      continue;
    }
    if (!m) {
      // An SMTP reply of several lines written into Diagnostic-Code without folding (nullmailer
      // does; opts.unfoldedReplies): "550-5.7.1 ..." then "550-5.7.1 ..." up to "550 5.7.1 ...".
      // RFC 5321 §4.2.1: every line but the last is "<code>-", the last "<code> ", all with the
      // same code; such a line continues the reply, anything else is prose and is ignored.
      const next: RegExpExecArray | null = openReply && opts.unfoldedReplies ? /^([2-5]\d\d)([- ])/.exec(line) : null;
      if (next && next[1] === openReply) {
        lastRaw += ' ' + line.trim();
        openReply = next[2] === '-' ? openReply : null;
      }
      continue;
    }
    flush();
    const name = m[1].toLowerCase();
    cur ??= new Map();
    // a second recipient field in one block: the sender forgot the blank line
    if (RECIPIENT_FIELDS.has(name) && cur.has(name)) {
      blocks.push(cur);
      cur = new Map();
    }
    lastName = name;
    lastRaw = m[2];
    openReply = name === 'diagnostic-code' ? (/^(?:[\w-]+[ \t]*;[ \t]*)?([2-5]\d\d)-/.exec(m[2])?.[1] ?? null) : null;
  }
  flush();
  if (cur && (cur as DsnBlock).size) blocks.push(cur);

  const perMessage: DsnBlock = new Map();
  const perRecipient: DsnBlock[] = [];
  /** The block just before the first recipient's, when it holds per-recipient fields and no recipient. */
  let orphan: DsnBlock | null = null;
  for (const b of blocks) {
    if (b.has('final-recipient') || b.has('original-recipient') || b.has('x-actual-recipient')) {
      // per-message fields sometimes share the first recipient's block: split them out
      for (const k of ['reporting-mta', 'arrival-date', 'received-from-mta', 'dsn-gateway']) {
        const f = b.get(k);
        if (f && !perMessage.has(k) && !perRecipient.length) perMessage.set(k, f);
      }
      // Per-recipient fields in a block of their own just before the first recipient's: one
      // recipient's fields cut in two, its recipient after the cut (a trailing blank folded onto
      // a line of its own, RFC 5322's obsolete folding, reads as the blank line that ends a
      // block): the recipient's block takes the ones it lacks.
      if (orphan && !perRecipient.length) for (const [k, v] of orphan) if (!b.has(k)) b.set(k, v);
      orphan = null;
      perRecipient.push(b);
    } else if (!perRecipient.length) {
      // (in place: copying the map per block is quadratic in the number of blocks)
      for (const [k, v] of b) perMessage.set(k, v);
      // (a block that also holds per-message fields is the message's, with whatever it says)
      orphan = PER_RECIPIENT_ONLY.some((k) => b.has(k)) && !PER_MESSAGE.some((k) => b.has(k)) ? b : null;
    } else {
      // a block without a recipient after recipients: fields that belong to the previous one
      const prev = perRecipient[perRecipient.length - 1];
      for (const [k, v] of b) if (!prev.has(k)) prev.set(k, v);
    }
  }
  return { perMessage, perRecipient };
}

/** Fields RFC 3464 §2.3 defines for a recipient only (never per message). */
const PER_RECIPIENT_ONLY = ['action', 'status', 'diagnostic-code', 'remote-mta', 'last-attempt-date', 'final-log-id', 'will-retry-until'];
/** Fields RFC 3464 §2.2 defines for the message. */
const PER_MESSAGE = ['reporting-mta', 'dsn-gateway', 'received-from-mta', 'arrival-date', 'original-envelope-id'];

const KNOWN_FIELDS = new Set([
  'reporting-mta', 'dsn-gateway', 'received-from-mta', 'arrival-date', 'original-envelope-id',
  'original-recipient', 'final-recipient', 'action', 'status', 'remote-mta', 'diagnostic-code',
  'last-attempt-date', 'final-log-id', 'will-retry-until', 'x-actual-recipient',
  'x-postfix-queue-id', 'x-postfix-sender', 'x-original-message-id',
]);

/**
 * The first line that is a DSN field: prose before it is skipped. Any field of RFC 3464 §2.2 /
 * §2.3, not only the ones that usually come first: the fields of a block are in no prescribed
 * order, and a block that starts "Diagnostic-Code: ... / Status: ... / Action: ... /
 * Final-Recipient: ..." (AOL, McAfee) lost all but its last fields when only Reporting-MTA or a
 * recipient field counted as a start (issue #13 round 3, metamorphic tests: fields reordered).
 */
export const FIRST_FIELD = new RegExp(`^[ \\t]*(?:${[...KNOWN_FIELDS].join('|')})[ \\t]*:`, 'im');

function isDsnFieldName(n: string): boolean {
  return KNOWN_FIELDS.has(n) || n.startsWith('x-');
}

// (beyond RFC 3464 §2.3.3: the words vendors write; SendGrid's "expired" is its final failure
// after the retry period)
const ACTIONS: Record<string, DsnAction> = {
  failed: 'failed', failure: 'failed', fail: 'failed', bounced: 'failed', error: 'failed', expired: 'failed',
  delayed: 'delayed', delay: 'delayed', delivered: 'delivered', deliverable: 'delivered',
  relayed: 'relayed', expanded: 'expanded',
};

export function parseAction(v: string | null | undefined): DsnAction | null {
  if (!v) return null;
  return ACTIONS[v.trim().toLowerCase().replace(/[^a-z].*$/, '')] ?? null;
}

/** Status field value -> `c.s.d` (leading zeros dropped), or null. */
export function parseStatus(v: string | null | undefined): string | null {
  if (!v) return null;
  const m = /([245])\.(\d{1,3})\.(\d{1,3})/.exec(v);
  return m ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : null;
}

/** Turns one per-recipient block into a RecipientReport (null when it names no address). */
export function recipientFromBlock(b: DsnBlock, warnings?: string[]): RecipientReport | null {
  const finalF = b.get('final-recipient') ?? b.get('x-actual-recipient');
  const origF = b.get('original-recipient');
  let finalAddr = normalizeAddress(finalF?.value);
  const origAddr = normalizeAddress(origF?.value);
  // a Final-Recipient that is no usable address (a bare local part, `user@host` without a
  // domain after a source route) is an MTA-internal form: the Original-Recipient is the address
  if ((!finalAddr || mailboxProblem(finalAddr)) && origAddr && !mailboxProblem(origAddr)) {
    if (finalF) warnings?.push(`Final-Recipient "${finalF.value.slice(0, 100)}" is no mailbox: Original-Recipient ${origAddr} taken`);
    finalAddr = origAddr;
  }
  if (!finalAddr) {
    if (finalF || origF) warnings?.push(`recipient block without a usable address: "${(finalF ?? origF)!.value.slice(0, 100)}"`);
    return null;
  }
  const diag = b.get('diagnostic-code');
  let diagText = diag ? diag.value : null;
  let diagType = diag?.type ?? null;
  if (diag && !diag.type) {
    // "Diagnostic-Code: X-Notes; ..." without ';' type separation, or plain text
    diagText = diag.value;
  }
  if (diagText !== null && !diagText.trim()) diagText = null;
  // no Diagnostic-Code and a Status that holds the remote reply instead of a code ("Status: 553
  // Exceeded maximum inbound message size", a loose generator): that reply, whole (its own
  // parentheses are words of the reply, not a comment), is the explanation
  const statusRaw = b.get('status')?.raw ?? '';
  if (!diagText && /^[45]\d\d(?:[ \t]+|-)\S/.test(statusRaw)) {
    diagText = statusRaw.trim();
    diagType = null;
  }
  // no Diagnostic-Code: a comment on the Status field is the only explanation given
  // ("Status: 4.0.0 (cat.example.net: host name lookup failure)")
  const statusComment = diagText ? null : /\(([^()]{4,})\)/.exec(statusRaw);
  if (statusComment && !/^(?:permanent|temporary|transient|persistent)[\w -]*$/i.test(statusComment[1].trim())) {
    diagText = statusComment[1].trim();
    diagType = null;
  }
  const statusValue = b.get('status')?.value ?? '';
  const field = parseStatus(statusValue);
  const status = preferStatus(field && digitsOfReply(field, diagText) ? null : field, diagText);
  const r = newRecipient(finalAddr, {
    originalRecipient: origAddr,
    action: parseAction(b.get('action')?.value),
    status,
    replyCode: diagText ? findReplyCode(diagText) : null,
    diagnosticType: diagType,
    diagnosticCode: diagText,
    remoteMta: b.get('remote-mta')?.value || null,
    command: findCommand(diagText),
    lastAttemptDate: b.get('last-attempt-date')?.value || null,
    willRetryUntil: b.get('will-retry-until')?.value || null,
  });
  const category = vendorCategoryOf(b);
  if (category) r.vendorCategory = category;
  return r;
}

/**
 * A Status that only spells out the basic reply code's three digits ("552 Mailbox full" with
 * "Status: 5.5.2") when the reply carries no enhanced code of its own: Stalwart writes that for
 * such a reply (crates/smtp/src/queue/dsn.rs, write_dsn_status: code/100, code/10%10, code%10).
 * It is no RFC 3463 status of the remote server's (5.5.2 would be a syntax error, 4.2.1 a disabled
 * mailbox, 5.5.3 too many recipients), so the reply's own meaning decides. A generator that has
 * no code writes X.0.0 (Postfix, Sendmail); an enhanced code in the reply is kept as it is.
 */
function digitsOfReply(field: string, diagnostic: string | null): boolean {
  if (!diagnostic || findReplyStatus(diagnostic)) return false;
  const code = findReplyCode(diagnostic);
  // (X.Y.0 from an X.Y.0-class reply is kept: Exchange writes "Status: 5.5.0" for a bare "550",
  // and a subject-only status claims no detail)
  return code !== null && code % 10 !== 0 && field === String(code).split('').join('.');
}

/**
 * Vendor fields that carry the sending MTA's own classification of the failure, per recipient
 * block. PowerMTA writes `X-PowerMTA-BounceCategory: bad-mailbox` (its categories: bad-domain,
 * bad-mailbox, inactive-mailbox, quota-issues, spam-related, policy-related, ...), read from
 * the remote reply by its bounce-category rules. The classifier maps them (rules.ts).
 */
const VENDOR_CATEGORY_FIELDS: [field: string, vendor: string][] = [['x-powermta-bouncecategory', 'powermta']];

function vendorCategoryOf(b: DsnBlock): string | null {
  for (const [field, vendor] of VENDOR_CATEGORY_FIELDS) {
    const v = b.get(field)?.value.trim().toLowerCase();
    if (v && /^[a-z0-9][a-z0-9_.-]{0,40}$/.test(v)) return `${vendor}:${v}`;
  }
  return null;
}

/**
 * The Status field, unless the remote server's own text carries a more specific code: MTAs
 * often write a generic Status (5.0.0) or their own guess (5.1.1) while the reply says
 * `552 5.2.2 Over quota`; the remote server's code is the one that describes the failure.
 */
export function preferStatus(field: string | null, diagnostic: string | null, codes?: FailureCodes): string | null {
  const fromDiag = codes ? codes.replyStatus : findReplyStatus(diagnostic);
  if (!fromDiag || fromDiag === field) return field ?? fromDiag;
  // a success code in the text (Sendmail's "Diagnostic-Code: SMTP; 221 2.0.0 Bye", the answer to
  // its QUIT after a timeout) never stands for a failure the field states (RFC 3463: class 2 is
  // success)
  if (fromDiag[0] === '2' && field && field[0] !== '2') return field;
  // the classes disagree ("Status: 4.5.0" for "550 5.5.0 Service refused"): the server's reply,
  // when its reply code and status agree with each other, says whether it was permanent
  const reply = codes ? codes.replyCode : findReplyCode(diagnostic);
  if (field && field[0] !== fromDiag[0] && reply !== null && String(reply)[0] === fromDiag[0]) return fromDiag;
  if (!field || field.endsWith('.0.0')) return fromDiag.endsWith('.0.0') && field ? field : fromDiag;
  // X.4.7 is the reporting MTA's own "delivery time expired": the reply it kept getting until
  // then names the cause (issue #13, nested codes), e.g. Sendmail's Status 4.4.7 for a
  // "Deferred: 421 4.7.0 ..." recipient
  if (/^\d\.4\.7$/.test(field)) return fromDiag;
  // both specific: the server's code wins when it names a detail (5.2.2 over a guessed 5.1.1),
  // not when it only names a subject (5.1.0 does not replace 5.1.1)
  return fromDiag.endsWith('.0') ? field : fromDiag;
}

/**
 * Reads the human-readable part for a recipient's failure text when the DSN has no
 * Diagnostic-Code: the line naming the address, plus what follows it on indented lines.
 * `index` locates the address without searching the whole text once per recipient; each line
 * taken is a bounded window (see lineWindow), so a report with thousands of recipients on one
 * line stays linear.
 */
function textNearAddress(index: AddressIndex, address: string): string | null {
  const text = index.text;
  const i = index.indexOf(address);
  if (i < 0) return null;
  const w = lineWindow(text, i);
  // take continuation lines (indented) and, when the line is only the address, the next one
  let out = text.slice(w.start, w.end);
  if (w.startsLine && DSN_LINE.test(out)) return null; // the address inside pasted DSN fields says nothing
  let pos = w.endsLine ? w.end + 1 : -1;
  // the length of the last line taken: a long one wrapped by a relay or client that re-flowed the
  // text goes on at the start of the next line, without the indentation a continuation has
  let lastLen = w.end - w.start;
  // a continuation is indented deeper than the recipient's line: a line as deep is the next entry
  // of a list (Exim's "  addr" / "    reason" blocks, several in a row)
  const depth = w.startsLine ? indentOf(out) : 0;
  for (let k = 0; k < NEAR_LINES && pos > 0 && pos < text.length; k++) {
    const nw = lineWindow(text, pos);
    const next = text.slice(nw.start, nw.end);
    if (!next.trim()) break;
    // (a line ending in a colon announces the next one: Dovecot's "Your message to <addr> was
    // automatically rejected:" then its reason, lib-lda rejection_reason "...rejected:%n%r")
    // (a line led by an address is the next entry, unless it is this recipient's own address
    // quoted by its reply: "Invalid recipient:" / "<a@x> (in reply to RCPT TO command)")
    const leadAddress = /^\s*<?([^\s<>@]+@[^\s<>:,;()]+)/.exec(next);
    const selfQuoted = !!leadAddress && /:[ \t]*$/.test(out) && leadAddress[1]!.toLowerCase() === address;
    const wrapped = continuesReflowed(lastLen, next) && (selfQuoted || (!leadAddress && !OWN_LINE.test(next.trim())));
    if (indentOf(next) <= depth && out.replace(/[<>\s:]/g, '').length > address.length + 2 && !(k === 0 && /:[ \t]*$/.test(out)) && !wrapped) break;
    out += ' ' + next.trim();
    lastLen = nw.end - nw.start;
    pos = nw.endsLine ? nw.end + 1 : -1;
  }
  return oneLine(out);
}

/**
 * Lines read under the recipient's: Postfix folds a long reply over as many as it needs, and a
 * Gmail reply of five lines takes six, its "(in reply to RCPT TO command)" on the last.
 */
const NEAR_LINES = 12;

/**
 * Lines an MTA writes on their own, never the rest of a re-wrapped one: an address, a session
 * transcript's `>>>` / `<<<` / `... while talking to`, a section rule, and Sendmail's sentences
 * under the recipient's line (savemail.c / deliver.c: "Message could not be delivered for 5
 * days", "Message will be deleted from queue", "Warning: message still undelivered after 4
 * hours", "Will keep trying until message is 5 days old").
 */
const OWN_LINE = /^(?:<|>>>|<<<|\.\.\.|-{3,}|Message (?:could not|will be)|Warning: |Will keep trying)/i;

const DSN_LINE = /^\s*(?:final-recipient|original-recipient|x-actual-recipient|x-postfix-sender|x-original-to|to|from|cc)\s*:/i;

/** Sendmail's section rules ("----- Transcript of session follows -----"). */
const SECTION_LINE = /(?<!-)-{3,}[ \t]*[A-Za-z][^\n-]{0,80}?[ \t]*-{3,}/g;

/**
 * The replies of a Sendmail session transcript ("----- Transcript of session follows -----"):
 * its lines up to the next section, without our own commands (">>> RCPT To:<...>") and the
 * "... while talking to host:" lead-ins. Null when there is no transcript.
 */
function transcriptText(text: string, address: string): string | null {
  const m = /^[ \t]*-{3,}[ \t]*transcript of (?:the )?session follows[ \t]*-{3,}[ \t]*$/im.exec(text);
  if (!m) return null;
  const lines = text.slice(m.index + m[0].length, m.index + m[0].length + 20_000).split('\n', 60);
  // Sendmail's own line for the address says it all: "<addr>... Deferred: Connection refused"
  const a = address.toLowerCase();
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    const low = t.toLowerCase();
    if (!((low.startsWith('<' + a + '>...') || low.startsWith(a + '...')) && t.length > a.length + 8)) continue;
    // (Sendmail writes it on one line; a relay or client that re-flowed the text broke it: the
    // lines under it that a re-wrap made, up to the next line of Sendmail's own)
    let said = t.slice(t.indexOf('...') + 3);
    let last = lines[i].length;
    for (let k = i + 1; k < lines.length && k <= i + 4; k++) {
      const next = lines[k].trim();
      if (!next || OWN_LINE.test(next)) break;
      if (!continuesReflowed(last, next)) break;
      said += ' ' + next;
      last = lines[k].length;
    }
    return oneLine(said);
  }
  const out: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (/^[ \t]*-{3,}/.test(line)) break;
    const t = line.trim();
    if (!t || t.startsWith('>>>') || /^\.\.\. while talking to /i.test(t)) continue;
    out.push(t.replace(/^<<<\s*/, ''));
    size += t.length;
    if (size > 1000) break;
  }
  return out.length ? oneLine(out.join(' ')) : null;
}

/** Kind of a report from its recipients' actions (RFC 3464 §2.3.3). */
function kindFromActions(rs: RecipientReport[]): 'bounce' | 'delay' | 'delivered' {
  if (rs.some((r) => r.action === 'failed' || r.action === null)) return 'bounce';
  if (rs.some((r) => r.action === 'delayed')) return 'delay';
  return 'delivered';
}

/** A recipient field of a DSN behind quote marks ("> Final-Recipient: rfc822; a@b"). */
const QUOTED_FIELD = /^[ \t]*>[> \t]*(?:Final|Original)-Recipient[ \t]*:/im;

/**
 * What deliveryStatusTexts and namesRecipientField found for a view, kept for the view's life: a
 * dozen detectors ask one or both of every message, and each answer is a scan of all its text
 * parts (issue #20, classify). A view is not changed once read (detectors/index.ts: detectors
 * only read it), so an answer cannot go stale; the WeakMaps let it go with the view.
 */
const PASTED = new WeakMap<MailView, readonly string[]>();
const NAMES_RECIPIENT = new WeakMap<MailView, boolean>();

/** A Final-Recipient or Original-Recipient field with a value. */
const RECIPIENT_FIELD_WITH_VALUE = /^[ \t]*(?:final|original)-recipient[ \t]*:[ \t]*\S/im;

/**
 * Whether the view's delivery-status texts name a recipient in a field of their own (a
 * Final-Recipient or Original-Recipient with a value): a proper RFC 3464 report, which this
 * reader takes rather than a family's prose reader.
 */
export function namesRecipientField(view: MailView): boolean {
  let v = NAMES_RECIPIENT.get(view);
  if (v === undefined) {
    v = deliveryStatusTexts(view).some((t) => RECIPIENT_FIELD_WITH_VALUE.test(t));
    NAMES_RECIPIENT.set(view, v);
  }
  return v;
}

/** The delivery-status texts of a view: the proper parts, or DSN fields pasted into the text. */
export function deliveryStatusTexts(view: MailView): readonly string[] {
  if (view.deliveryStatus.length) return view.deliveryStatus;
  let texts = PASTED.get(view);
  if (texts === undefined) {
    texts = pastedStatusTexts(view);
    PASTED.set(view, texts);
  }
  return texts;
}

function pastedStatusTexts(view: MailView): string[] {
  // a report-type=delivery-status whose status part was mislabeled (text/plain, no type)
  const texts: string[] = [];
  const pasted = (t: string) => /^(?:[ \t]*)(?:Final|Original)-Recipient[ \t]*:/im.test(t) && /^[ \t]*(?:Action|Status)[ \t]*:/im.test(t);
  let html = false;
  for (const p of view.parts) {
    // (HTML markup is no field syntax: "Status: 5.1.1<br>"; its text is read below)
    if (p.contentType === 'text/html') html = true;
    else if (p.text && pasted(p.text)) {
      // (up to the returned message pasted below the notice: fields in its body are the body's)
      const copy = findCopyMarker(p.text);
      const t = copy ? p.text.slice(0, copy.index) : p.text;
      if (t === p.text || pasted(t)) texts.push(t);
    }
  }
  // ... or into the only human-readable text, an HTML one (Amazon WorkMail's "Technical report:"
  // fields, in a report sent as HTML): `text` is then that HTML reduced to text
  if (!texts.length && html && !view.parts.some((p) => p.contentType === 'text/plain' && p.text.trim()) && pasted(view.text)) texts.push(view.text);
  // ... or into a report quoted in an inline forward: `text` is the readable text with the quote
  // marks taken off (mime/quoted.ts), where the fields are fields again; up to the returned
  // message pasted below it, whose body may quote a report of its own (a sender's message about
  // another failure says nothing about this one)
  if (!texts.length && pasted(view.reportText) && view.parts.some((p) => p.text && QUOTED_FIELD.test(p.text))) texts.push(view.reportText);
  return texts;
}

export function detectRfc3464(view: MailView, opts: DsnParseOptions = {}): DetectorResult | null {
  const texts = deliveryStatusTexts(view);
  if (!texts.length) return null;
  const recipients: RecipientReport[] = [];
  const warnings: string[] = [];
  let reportingMta: string | null = null;
  let arrivalDate: string | null = null;
  for (const t of texts) {
    // when the fields were pasted into prose, parse from the first field on
    const start = t.search(FIRST_FIELD);
    const { perMessage, perRecipient } = parseDsnFields(start > 0 ? t.slice(start) : t, opts);
    reportingMta ??= perMessage.get('reporting-mta')?.value || null;
    arrivalDate ??= perMessage.get('arrival-date')?.value || null;
    for (const b of perRecipient) {
      const r = recipientFromBlock(b, warnings.length < 20 ? warnings : undefined);
      if (r) recipients.push(r);
    }
  }
  if (!recipients.length) {
    // a delivery-status part that names no recipient (Postfix's "Delivery report unavailable"
    // when the per-recipient log was lost): a bounce, but nobody to record. Weak: a later
    // detector that finds a stated failure wins.
    if (view.deliveryStatus.length) return { kind: 'bounce', recipients: [], reportingMta, arrivalDate, warnings: ['the delivery-status part names no recipient', ...warnings] };
    return null;
  }
  // fill missing diagnostic text / status from the human-readable part
  const index = new AddressIndex(view.reportText);
  let refusedAtRcpt: Set<string> | null = null; // read once, when a recipient needs it
  for (const r of recipients) {
    if (!r.diagnosticCode) {
      let near = textNearAddress(index, r.finalRecipient) ?? (r.originalRecipient ? textNearAddress(index, r.originalRecipient) : null);
      // Sendmail lists the address under "----- The following addresses had permanent fatal
      // errors -----" and gives the reason only in the session transcript that follows
      // (and an empty "(reason: )" after the address says nothing)
      if (near) near = oneLine(near.replace(SECTION_LINE, ' ').replace(/\(reason:\s*\)/gi, ' ')) || null;
      if (recipients.length === 1 && (!near || near.replace(/[<>\s]/g, '').toLowerCase() === r.finalRecipient)) near = transcriptText(view.reportText, r.finalRecipient) ?? near;
      if (near && (findStatusCode(near) || findReplyCode(near) || near.length > r.finalRecipient.length + 12)) {
        r.diagnosticCode = near;
        r.replyCode ??= findReplyCode(near);
        r.command ??= findCommand(near);
        r.status = preferStatus(r.status, near);
      }
    }
    if (!r.command) {
      // Postfix repeats the reply with "(in reply to RCPT TO command)" in its prose; Sendmail
      // shows a session transcript (">>> RCPT To:<...>" / "<<< 550 ...")
      const near = textNearAddress(index, r.finalRecipient);
      r.command = findCommand(near) ?? (recipients.length === 1 ? findTranscriptCommand(view.reportText) : null);
      // several recipients (Courier's blocks): the transcript line that sent this one's RCPT
      // TO and got the refusal on the next line
      if (!r.command && (refusedAtRcpt ??= transcriptRefusedRcpts(view.reportText)).has(r.finalRecipient)) r.command = 'RCPT';
    }
  }
  return { kind: kindFromActions(recipients), recipients, reportingMta, arrivalDate, ...(warnings.length ? { warnings } : {}) };
}
