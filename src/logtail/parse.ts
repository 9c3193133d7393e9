// PURE: one Postfix log line -> a plain event. No clock (pass `now`), no I/O.
//
// Lines look like
//   Nov 23 02:44:41 mta postfix/smtp[23810]: EED1F2168D3: to=<a@b>, relay=..., dsn=5.1.1, status=bounced (host ... said: 550 ...)
//   2026-11-23T02:44:41.123456+00:00 mta postfix-out/smtp[23810]: EED1F2168D3: to=<a@b>, ...
// Facts that shape this parser (Postfix 3.7 and 3.11 logs, the Postfix source):
//  - the classic syslog stamp has no year and is local time: we take the year that puts the
//    line no more than a day in the future of `now`;
//  - fields are `key=value` separated by ", "; their order and set change between versions
//    (3.11 adds `tls=` before `dsn=`), so they are read by name, never by position;
//  - `status=...` is last; what follows it in parentheses is the remote or local text, and it
//    may itself contain commas and parentheses;
//  - `postfix-<instance>/<service>` (multi-instance) and `postfix/submission/smtpd` (service
//    names from master.cf) both occur;
//  - queue ids are short hex (reused within seconds) or long base-52 ids with `enable_long_queue_ids`.

export type DeliveryStatus = 'sent' | 'deferred' | 'bounced' | 'expired';

export type LogEvent =
  | {
      type: 'delivery';
      time: number;
      qid: string;
      service: string;
      /** The recipient (lower-cased), absent on a whole-message `status=expired`. */
      to: string | null;
      origTo: string | null;
      /** Only on a whole-message `from=<...>, status=expired` line. */
      from: string | null;
      relay: string | null;
      dsn: string | null;
      status: DeliveryStatus;
      /** The text in parentheses after the status (remote reply or local reason). */
      text: string | null;
    }
  /** qmgr: the envelope sender of a queue file (the signed VERP return path). */
  | { type: 'from'; time: number; qid: string; from: string; nrcpt: number | null }
  | { type: 'message-id'; time: number; qid: string; messageId: string }
  /** bounce: a DSN (queue id `ndrQid`) was sent to the sender of `qid`. */
  | { type: 'ndr'; time: number; qid: string; ndrQid: string }
  | { type: 'removed'; time: number; qid: string }
  /** A Postfix line with nothing we track (connect, disconnect, warnings, ...). */
  | { type: 'other'; time: number; service: string };

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

const SYSLOG_RE = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? (\S+) (\S+?)(?:\[\d+\])?: (.*)$/;
const RFC3339_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})) (\S+) (\S+?)(?:\[\d+\])?: (.*)$/;
// Short ids: 6+ upper-case hex. Long ids (enable_long_queue_ids): 10+ chars of [0-9A-Za-z] with a 'z' separator.
// The long form is read up to its first 'z' past the tenth character ([...]{10} then the
// class without 'z'): `{10,}z` gave every 'z' of a run a try as the separator, and each try
// read the rest of the run again (quadratic in a run of z's). Both accept the same ids.
export const QID_RE = /^([0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10}[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]*z[0-9A-Za-z]+): (.*)$/;
// The status and the text after it (white space skipped). The text is read with [^]* and a line
// break looked for after: `\s*(.*)$` retried every split of a run of blanks before a line
// break that `.` does not cross (quadratic); both give the same result on every line.
const STATUS_RE = /^status=(sent|deferred|bounced|expired)\b\s*([^]*)$/;

/** `status=bounced (host ...)` -> the status and the rest of the line; null when not one. */
export function readStatus(tail: string): { status: DeliveryStatus; rest: string } | null {
  const st = STATUS_RE.exec(tail);
  return st && !/[\n\r\u2028\u2029]/.test(st[2]!) ? { status: st[1] as DeliveryStatus, rest: st[2]! } : null;
}

function syslogTime(mon: string, day: string, h: string, m: string, s: string, now: number): number {
  const month = MONTHS[mon.toLowerCase()];
  if (month === undefined) return NaN;
  const year = new Date(now).getFullYear();
  let t = new Date(year, month, Number(day), Number(h), Number(m), Number(s)).getTime();
  // December lines read in January belong to last year.
  if (t > now + 86_400_000) t = new Date(year - 1, month, Number(day), Number(h), Number(m), Number(s)).getTime();
  return t;
}

function unbracket(v: string | undefined): string | null {
  if (v === undefined) return null;
  const s = v.replace(/^<|>$/g, '').trim();
  return s;
}

/** `a=1, b=<x>, c=y z` -> {a, b, c}; splits only before `key=` so values may hold ", ". */
export function parseFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/, (?=[a-z][a-z_]*=)/)) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** Parses one line; null when it is not a Postfix line at all. */
export function parseLogLine(line: string, now: number): LogEvent | null {
  let time: number;
  let program: string;
  let message: string;
  const s = SYSLOG_RE.exec(line);
  if (s) {
    time = syslogTime(s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, now);
    program = s[7]!;
    message = s[8]!;
  } else {
    const r = RFC3339_RE.exec(line);
    if (!r) return null;
    time = Date.parse(r[1]!);
    program = r[3]!;
    message = r[4]!;
  }
  if (!/^postfix(?:-[\w.-]+)?\//.test(program) || Number.isNaN(time)) return null;
  const service = program.slice(program.lastIndexOf('/') + 1);

  const q = QID_RE.exec(message);
  if (!q) return { type: 'other', time, service };
  const qid = q[1]!;
  const body = q[2]!;

  const ndr = /^sender non-delivery notification: (\S+)$/.exec(body);
  if (ndr) return { type: 'ndr', time, qid, ndrQid: ndr[1]! };
  if (body === 'removed') return { type: 'removed', time, qid };
  if (body.startsWith('message-id=')) {
    const id = unbracket(body.slice('message-id='.length));
    return id ? { type: 'message-id', time, qid, messageId: id } : { type: 'other', time, service };
  }

  const at = body.startsWith('status=') ? 0 : body.indexOf(', status=');
  if (at >= 0) {
    const head = at === 0 ? '' : body.slice(0, at);
    const tail = body.slice(at === 0 ? 0 : at + 2);
    const st = readStatus(tail);
    if (!st) return { type: 'other', time, service };
    const fields = parseFields(head);
    let text: string | null = st.rest.replace(/^,\s*/, '').trim() || null;
    if (text && text.startsWith('(') && text.endsWith(')')) text = text.slice(1, -1);
    return {
      type: 'delivery',
      time,
      qid,
      service,
      to: fields.to !== undefined ? unbracket(fields.to)!.toLowerCase() : null,
      origTo: fields.orig_to !== undefined ? unbracket(fields.orig_to)!.toLowerCase() : null,
      from: fields.from !== undefined ? unbracket(fields.from)!.toLowerCase() : null,
      relay: fields.relay ?? null,
      dsn: fields.dsn ?? null,
      status: st.status,
      text,
    };
  }

  if (body.startsWith('from=')) {
    const f = parseFields(body);
    const from = unbracket(f.from) ?? '';
    const nrcpt = f.nrcpt ? parseInt(f.nrcpt, 10) : null;
    return { type: 'from', time, qid, from: from.toLowerCase(), nrcpt: Number.isNaN(nrcpt) ? null : nrcpt };
  }
  return { type: 'other', time, service };
}
