import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { CHANNELS, type Channel } from '../domain/index.js';
import type { SendDecision } from '../policy/contract.js';
import type { Authenticator, Principal } from './auth.js';
import { ERRORS, errorBody, type ErrorCode } from './errors.js';
import type { KeyCheck, Sink } from './key-check.js';

// The pre-send check's fast path (issue #20): GET /v1/suppressions/:address answered before
// fastify's router. Node's HTTP server is most of what the check costs beside its statement;
// fastify's request and reply objects, its hook chain, ajv and the thenable around the handler
// came on top of it for every check. This path runs the same parts as the route (./key-check.ts
// for the key, its limits and refusals; the route's own check function; the error answers and
// the request metric of ./app.ts) and skips the framework around them.
//
// It only takes requests whose every part it can judge exactly as the route's schemas would:
// an Authorization header (the dashboard's cookie goes the long way), an address of plain
// characters (`%40` the only escape), at most the three known query parameters once each, of
// plain characters and valid. Anything else (a malformed address, an unknown parameter, a
// percent-encoded value, a HEAD request, a proxy to trust) goes to fastify untouched, which
// answers it as it always did: deciding costs a scan of the URL, and nothing has been counted
// or answered yet. test/api/presend-fast.test.ts sends a table of good and bad requests both
// ways and compares the answers.

export const CHECK_ROUTE = '/v1/suppressions/:address';
const PREFIX = '/v1/suppressions/';
const JSON_TYPE = 'application/json; charset=utf-8';
/**
 * The router's maxParamLength (./app.ts; fastify's default of 100 refused valid addresses with
 * a 414): an address is at most 320 octets (RFC 5321 §4.5.3.1), 960 characters percent-encoded.
 * A longer path segment finds no route (414).
 */
export const ROUTER_MAX_PARAM_LENGTH = 1024;
/** schemas.ts `address`: at most 320 characters (a longer one is fastify's 400). */
const MAX_ADDRESS_LENGTH = 320;

export interface CheckQuery {
  account?: string;
  campaign?: string;
  channel?: Channel;
}

export interface CheckRequest {
  address: string;
  query: CheckQuery;
}

/** Characters of an address's local part and domain that need no percent-encoding in a path segment. */
const ADDRESS_CHAR = charTable("A-Za-z0-9.!$'*+=_~-");
/** Characters of a query value taken as they are (fast-querystring decodes nothing in them). */
const VALUE_CHAR = charTable('A-Za-z0-9._~-');
/** The account id's characters (schemas.ts accountId: /^[A-Za-z0-9._-]+$/). */
const ACCOUNT_CHAR = charTable('A-Za-z0-9._-');

function charTable(spec: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < spec.length; i++) {
    if (spec[i + 1] === '-' && i + 2 < spec.length) {
      for (let c = spec.charCodeAt(i); c <= spec.charCodeAt(i + 2); c++) t[c] = 1;
      i += 2;
    } else {
      t[spec.charCodeAt(i)] = 1;
    }
  }
  return t;
}

function allIn(table: Uint8Array, s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || table[c] === 0) return false;
  }
  return true;
}

/**
 * The address and query of a check the fast path can answer, or null: fastify answers it
 * (not this route, or something in it only fastify's parsers and ajv judge exactly).
 */
export function parseCheckUrl(url: string): CheckRequest | null {
  if (!url.startsWith(PREFIX)) return null;
  const q = url.indexOf('?', PREFIX.length);
  const end = q === -1 ? url.length : q;
  // The address: plain characters and '@' or '%40' (find-my-way decodes only those then).
  let address = '';
  let from = PREFIX.length;
  for (let i = from; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c === 64 /* @ */) {
      address += url.slice(from, i) + '@';
      from = i + 1;
    } else if (c === 37 /* % */) {
      if (url.charCodeAt(i + 1) !== 52 /* 4 */ || url.charCodeAt(i + 2) !== 48 /* 0 */) return null;
      address += url.slice(from, i) + '@';
      i += 2;
      from = i + 1;
    } else if (c >= 128 || ADDRESS_CHAR[c] === 0) {
      return null; // '/', '#', ';', spaces, other escapes, ...
    }
  }
  address += url.slice(from, end);
  // schemas.ts address: 3 to 320 characters, one '@' with text either side (a quoted local
  // part, whose '"' is percent-encoded, has already gone the long way above).
  const at = address.indexOf('@');
  if (address.length < 3 || address.length > MAX_ADDRESS_LENGTH || at <= 0 || at === address.length - 1 || address.indexOf('@', at + 1) !== -1) return null;
  const query: CheckQuery = {};
  if (q !== -1 && q + 1 < url.length) {
    let p = q + 1;
    while (p <= url.length) {
      let amp = url.indexOf('&', p);
      if (amp === -1) amp = url.length;
      const eq = url.indexOf('=', p);
      if (eq === -1 || eq > amp) return null; // a key without '=', or an empty pair
      if (!allIn(VALUE_CHAR, url, eq + 1, amp)) return null;
      const key = url.slice(p, eq);
      const value = url.slice(eq + 1, amp);
      if (key === 'account') {
        // accountId: 1 to 128 of [A-Za-z0-9._-]
        if (query.account !== undefined || value.length < 1 || value.length > 128 || !allIn(ACCOUNT_CHAR, value, 0, value.length)) return null;
        query.account = value;
      } else if (key === 'campaign') {
        if (query.campaign !== undefined || value.length > 200) return null;
        query.campaign = value;
      } else if (key === 'channel') {
        if (query.channel !== undefined || !(CHANNELS as readonly string[]).includes(value)) return null;
        query.channel = value as Channel;
      } else {
        return null; // unknown (fastify answers 400), or a repeated key
      }
      p = amp + 1;
    }
  }
  return { address, query };
}

export interface FastPathDeps {
  auth: Authenticator;
  keys: KeyCheck;
  now: () => number;
  /** The route's own check (./routes/suppressions.ts presendCheck). */
  check: (principal: Principal, address: string, query: CheckQuery) => Promise<SendDecision>;
  /** The app's answer to an error a route threw (logged there as for fastify's routes). */
  errorAnswer: (err: unknown, route: string) => ErrorAnswer;
  observe?: ((route: string, method: string, status: number, seconds: number) => void) | null;
}

export interface ErrorAnswer {
  code: ErrorCode;
  message?: string;
  field?: string;
  headers?: Record<string, string>;
}

/** One request on the fast path: the response and the header fields gathered for it. */
interface Pending {
  res: ServerResponse;
  start: number;
  headers: Record<string, string>;
}

/**
 * A request handler for Node's HTTP server that answers the pre-send check and returns true,
 * or returns false without touching the request (fastify's handler takes it).
 */
export function presendFastPath(d: FastPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const send = (p: Pending, status: number, body: string) => {
    p.headers['content-type'] = JSON_TYPE;
    p.headers['content-length'] = String(Buffer.byteLength(body));
    p.res.writeHead(status, p.headers);
    p.res.end(body);
    d.observe?.(CHECK_ROUTE, 'GET', status, (performance.now() - p.start) / 1000);
  };
  const refuse = (p: Pending, code: ErrorCode, message?: string, field?: string) => send(p, ERRORS[code].status, JSON.stringify(errorBody(code, message, field)));
  const sink: Sink<Pending> = {
    headers(p, h) {
      Object.assign(p.headers, h);
    },
    refuse,
  };
  const failed = (p: Pending, err: unknown) => {
    if (p.res.headersSent) return;
    const a = d.errorAnswer(err, CHECK_ROUTE);
    if (a.headers) Object.assign(p.headers, a.headers);
    refuse(p, a.code, a.message, a.field);
  };
  const answer = (p: Pending, decision: SendDecision) => {
    let body: string;
    try {
      body = decisionJson(decision);
    } catch (err) {
      return failed(p, err);
    }
    send(p, 200, body);
  };

  return (req, res) => {
    if (req.method !== 'GET') return false;
    const header = req.headers.authorization;
    if (header === undefined) return false;
    const parsed = parseCheckUrl(req.url!);
    if (parsed === null) return false;
    const p: Pending = { res, start: performance.now(), headers: {} };
    const t = d.now();
    // req.ip as fastify gives it without trustProxy (the fast path is off with it).
    const ip = req.socket.remoteAddress!;
    const go = (found: Principal | null) => {
      // What fastify's hook runner and reply would catch becomes the same 500 here, never an
      // uncaught exception or an unhandled rejection.
      try {
        const principal = d.keys.admit(found, 'account', ip, t, p, sink);
        if (principal === null) return;
        d.check(principal, parsed.address, parsed.query).then(
          (decision) => answer(p, decision),
          (err: unknown) => failed(p, err),
        );
      } catch (err) {
        failed(p, err);
      }
    };
    try {
      if (d.keys.blocked(ip, t, p, sink)) return true;
      const known = d.auth.cached(header, t);
      if (known !== undefined) go(known);
      else d.auth.authenticate(header, t).then(go, (err: unknown) => failed(p, err));
    } catch (err) {
      failed(p, err);
    }
    return true;
  };
}

/**
 * The decision as the route's response schema serialises it (schemas.ts sendDecision: these
 * fields in this order, `detail` only when set), and nothing else the object may hold.
 */
export function decisionJson(d: SendDecision): string {
  let reasons = '';
  for (const r of d.reasons) {
    if (reasons) reasons += ',';
    reasons += `{"code":${JSON.stringify(r.code)},"scope":${JSON.stringify(r.scope)},"since":${JSON.stringify(r.since)}${r.detail !== undefined ? `,"detail":${JSON.stringify(r.detail)}` : ''}}`;
  }
  return `{"send":${d.send ? 'true' : 'false'},"address":${JSON.stringify(d.address)},"reasons":[${reasons}]}`;
}
