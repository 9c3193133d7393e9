// Amazon SNS over HTTPS: the envelope that carries SES notifications, and its signature
// (Amazon SNS Developer Guide, "Verifying the signatures of Amazon SNS messages" and the
// HTTP/HTTPS notification, subscription and unsubscribe confirmation JSON formats).
//
// The body is a JSON object with Type = Notification | SubscriptionConfirmation |
// UnsubscribeConfirmation. Signature is the base64 RSA signature (SignatureVersion 1:
// SHA1withRSA, 2: SHA256withRSA) of the string made of name/value lines, each `Name\nValue\n`,
// of these fields in this (byte) order:
//   Notification:                  Message, MessageId, Subject (only if present), Timestamp, TopicArn, Type
//   Subscription/Unsubscribe conf: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type
// The values are the JSON strings decoded (escapes such as \n turned back into characters).
//
// The signing certificate is fetched from SigningCertURL, which is checked BEFORE anything is
// fetched: https only, no user info, a host from the allowed list (default `sns.<region>.
// amazonaws.com` and its China twin `.amazonaws.com.cn`), the default port unless the list
// names one, a path ending in `.pem`, no query. Fetching over TLS from an AWS host is what
// vouches for the certificate (the AWS SDKs' validators check exactly this); we also require
// an RSA key and a certificate valid now. Certificates are cached by URL (bounded LRU, TTL);
// concurrent requests for one URL share one fetch; a URL that failed is not fetched again for
// a minute, and at most a few fetches run at once: a stranger who makes up certificate paths
// on an allowed host cannot make us hammer it.
//
// Order of checks, cheapest and most telling first: size, JSON shape, Type, SignatureVersion,
// TopicArn (an endpoint only hears its own topics: no fetch for anyone else's), cert URL,
// SubscribeURL, certificate, signature. Raw message delivery must be off: a raw body has no
// envelope and no signature, and is refused as malformed.
import { constants, createVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { BoundedCache } from './bounded-cache.js';
import { header, isObject, parseJsonBody } from './json.js';
import type { RequestRefusal, RequestRefusalCode } from './types.js';

export const SNS_MESSAGE_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;
export type SnsMessageType = (typeof SNS_MESSAGE_TYPES)[number];

export interface SnsEnvelope {
  Type: SnsMessageType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: '1' | '2';
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
}

const FIELDS: Record<SnsMessageType, readonly (keyof SnsEnvelope)[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/** The documented string to sign (see the top of this file). */
export function snsStringToSign(env: SnsEnvelope): string {
  let s = '';
  for (const name of FIELDS[env.Type]) {
    const v = env[name];
    if (typeof v !== 'string') continue; // only Subject may be absent (checked by parseSnsEnvelope)
    s += `${name}\n${v}\n`;
  }
  return s;
}

type Refused = { ok: false; refusal: RequestRefusal };
const refuse = (code: RequestRefusalCode, detail: string): Refused => ({ ok: false, refusal: { code, detail } });

/** The envelope's shape: every field the Type needs, as a string. Never throws. */
export function parseSnsEnvelope(body: Buffer, headers: Record<string, string | string[] | undefined>, maxBytes: number): { ok: true; envelope: SnsEnvelope } | Refused {
  const parsed = parseJsonBody(body, maxBytes);
  if (!parsed.ok) return refuse(parsed.code, parsed.detail);
  const v = parsed.value;
  if (!isObject(v)) return refuse('malformed', 'not a JSON object');
  const type = v['Type'];
  if (typeof type !== 'string') return refuse('malformed', 'no Type');
  if (!(SNS_MESSAGE_TYPES as readonly string[]).includes(type)) return refuse('unsupported_type', `SNS Type ${JSON.stringify(type.slice(0, 64))}`);
  // the header says the same as the body when it is there (SNS sends x-amz-sns-message-type)
  const hType = header(headers, 'x-amz-sns-message-type');
  if (hType !== null && hType !== type) return refuse('malformed', 'x-amz-sns-message-type differs from Type');
  const required = [...FIELDS[type as SnsMessageType].filter((f) => f !== 'Subject'), 'SignatureVersion', 'Signature', 'SigningCertURL'];
  for (const f of required) {
    if (typeof v[f] !== 'string' || v[f] === '') return refuse('malformed', `no ${f}`);
  }
  if (v['Subject'] !== undefined && v['Subject'] !== null && typeof v['Subject'] !== 'string') return refuse('malformed', 'Subject is not a string');
  const version = v['SignatureVersion'];
  if (version !== '1' && version !== '2') return refuse('unsupported_signature_version', `SignatureVersion ${JSON.stringify(String(version).slice(0, 16))}`);
  const env = {} as Record<string, string>;
  for (const f of [...required, 'Subject']) if (typeof v[f] === 'string') env[f] = v[f] as string;
  return { ok: true, envelope: env as unknown as SnsEnvelope };
}

// ---------------------------------------------------------------------------------------
// Allowed hosts

/** `sns.*.amazonaws.com` (one label per `*`), or an exact host; `host:port` pins a port. */
export interface HostPattern {
  labels: string[];
  port: string;
}

export const DEFAULT_SNS_HOSTS = ['sns.*.amazonaws.com', 'sns.*.amazonaws.com.cn'] as const;

export function compileHostPatterns(patterns: readonly string[]): HostPattern[] {
  return patterns.map((p) => {
    const m = /^([a-z0-9*.-]+)(?::(\d{1,5}))?$/i.exec(p.trim());
    if (!m) throw new Error(`not a host pattern: ${JSON.stringify(p)}`);
    const labels = m[1]!.toLowerCase().split('.');
    if (labels.some((l) => l === '' || (l.includes('*') && l !== '*'))) throw new Error(`not a host pattern: ${JSON.stringify(p)}`);
    return { labels, port: m[2] ?? '' };
  });
}

function hostAllowed(url: URL, patterns: readonly HostPattern[]): boolean {
  const labels = url.hostname.toLowerCase().split('.');
  return patterns.some(
    (p) => p.port === url.port && p.labels.length === labels.length && p.labels.every((l, i) => (l === '*' ? /^[a-z0-9-]+$/.test(labels[i]!) : l === labels[i])),
  );
}

/** A URL from the message that we may fetch or visit: https, an allowed host, no user info. */
function checkUrl(raw: string, hosts: readonly HostPattern[]): URL | null {
  if (raw.length > 2048) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.hash) return null;
  return hostAllowed(url, hosts) ? url : null;
}

export function checkCertUrl(raw: string, hosts: readonly HostPattern[]): URL | null {
  const url = checkUrl(raw, hosts);
  return url && !url.search && url.pathname.endsWith('.pem') ? url : null;
}

/** SNS's confirmation link: `https://sns.<region>.amazonaws.com/?Action=ConfirmSubscription&TopicArn=<this topic>&Token=...`. */
export function checkSubscribeUrl(raw: string, hosts: readonly HostPattern[], topicArn: string): URL | null {
  const url = checkUrl(raw, hosts);
  if (!url) return null;
  const q = url.searchParams;
  return q.get('Action') === 'ConfirmSubscription' && q.get('TopicArn') === topicArn && q.get('Token') ? url : null;
}

// ---------------------------------------------------------------------------------------
// Signing certificates

/** Fetches a certificate (PEM) over HTTPS; throws when it cannot. Injected (phase B: src/esp/https-get.ts). */
export type CertFetcher = (url: string) => Promise<string>;

export interface CertCacheOptions {
  fetch: CertFetcher;
  /** Certificates kept (LRU). Default 32: SNS signs with one certificate per region at a time. */
  maxEntries?: number;
  /** How long a certificate is kept (ms), at most until it expires. Default 24 h. */
  ttlMs?: number;
  /** How long a URL that failed is not fetched again (ms). Default 60 s. */
  failureTtlMs?: number;
  /** Fetches at once; more are refused as cert_unavailable (SNS retries). Default 4. */
  maxConcurrentFetches?: number;
}

export type CertLookup = { ok: true; key: KeyObject; cached: boolean } | { ok: false; code: 'cert_unavailable' | 'cert_invalid'; detail: string };

export class SnsCertCache {
  private readonly certs: BoundedCache<KeyObject>;
  private readonly failures: BoundedCache<CertLookup & { ok: false }>;
  private readonly inflight = new Map<string, Promise<CertLookup>>();
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly maxConcurrent: number;
  /** Fetches started (for metrics and tests). */
  fetches = 0;

  constructor(private readonly opts: CertCacheOptions) {
    this.certs = new BoundedCache(opts.maxEntries ?? 32);
    this.failures = new BoundedCache(256);
    this.ttlMs = opts.ttlMs ?? 24 * 3600_000;
    this.failureTtlMs = opts.failureTtlMs ?? 60_000;
    this.maxConcurrent = opts.maxConcurrentFetches ?? 4;
  }

  /** The public key of the certificate at `url` (already checked by checkCertUrl). */
  async key(url: string, now: number): Promise<CertLookup> {
    const hit = this.certs.get(url, now);
    if (hit) return { ok: true, key: hit, cached: true };
    const failed = this.failures.get(url, now);
    if (failed) return failed;
    const running = this.inflight.get(url);
    if (running) return running;
    if (this.inflight.size >= this.maxConcurrent) return { ok: false, code: 'cert_unavailable', detail: 'too many certificate fetches at once' };
    const p = this.load(url, now).finally(() => this.inflight.delete(url));
    this.inflight.set(url, p);
    return p;
  }

  private async load(url: string, now: number): Promise<CertLookup> {
    this.fetches++;
    let pem: string;
    try {
      pem = await this.opts.fetch(url);
    } catch (err) {
      const r = { ok: false as const, code: 'cert_unavailable' as const, detail: `fetch failed: ${(err as Error)?.message ?? String(err)}`.slice(0, 300) };
      this.failures.set(url, r, now + this.failureTtlMs);
      return r;
    }
    const r = readCertificate(pem, now);
    if (!r.ok) {
      this.failures.set(url, r, now + this.failureTtlMs);
      return r;
    }
    this.certs.set(url, r.key, Math.min(now + this.ttlMs, r.notAfter));
    return { ok: true, key: r.key, cached: false };
  }
}

/** An X.509 certificate with an RSA key, valid at `now`. */
export function readCertificate(pem: string, now: number): { ok: true; key: KeyObject; notAfter: number } | { ok: false; code: 'cert_invalid'; detail: string } {
  let cert: X509Certificate;
  try {
    if (pem.length > 64 * 1024 || !pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('not a PEM certificate');
    cert = new X509Certificate(pem);
  } catch (err) {
    return { ok: false, code: 'cert_invalid', detail: (err as Error)?.message?.slice(0, 200) ?? 'unreadable' };
  }
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  if (!(notBefore <= now && now <= notAfter)) return { ok: false, code: 'cert_invalid', detail: `not valid now (${cert.validFrom} - ${cert.validTo})` };
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== 'rsa') return { ok: false, code: 'cert_invalid', detail: `a ${key.asymmetricKeyType} key, not RSA` };
  return { ok: true, key, notAfter };
}

/** RSA PKCS#1 v1.5 over the string to sign; never throws. */
export function verifySnsSignature(env: SnsEnvelope, key: KeyObject): boolean {
  const sig = Buffer.from(env.Signature, 'base64');
  if (sig.length === 0 || sig.length > 1024) return false;
  try {
    const v = createVerify(env.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
    v.update(snsStringToSign(env), 'utf8');
    return v.verify({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// The whole check

export interface SnsEndpointRules {
  /** TopicArns this endpoint subscribes to (exact). */
  topics: readonly string[];
  /** Hosts SigningCertURL and SubscribeURL may name. */
  hosts: readonly HostPattern[];
}

export type SnsVerified = { ok: true; envelope: SnsEnvelope; certCached: boolean; subscribeUrl: string | null } | Refused;

export async function verifySns(
  body: Buffer,
  headers: Record<string, string | string[] | undefined>,
  rules: SnsEndpointRules,
  certs: SnsCertCache,
  now: number,
  maxBytes: number,
): Promise<SnsVerified> {
  const p = parseSnsEnvelope(body, headers, maxBytes);
  if (!p.ok) return p;
  const env = p.envelope;
  if (!rules.topics.includes(env.TopicArn)) return refuse('topic_not_allowed', `topic ${env.TopicArn.slice(0, 256)}`);
  if (!checkCertUrl(env.SigningCertURL, rules.hosts)) return refuse('cert_url_not_allowed', 'SigningCertURL is not https, not an allowed host or not a .pem path');
  let subscribeUrl: string | null = null;
  if (env.Type === 'SubscriptionConfirmation') {
    const u = checkSubscribeUrl(env.SubscribeURL!, rules.hosts, env.TopicArn);
    if (!u) return refuse('subscribe_url_not_allowed', 'SubscribeURL is not an SNS confirmation link for this topic on an allowed host');
    subscribeUrl = u.href;
  }
  const cert = await certs.key(env.SigningCertURL, now);
  if (!cert.ok) return refuse(cert.code, cert.detail);
  if (!verifySnsSignature(env, cert.key)) return refuse('signature_invalid', `SignatureVersion ${env.SignatureVersion} does not verify`);
  return { ok: true, envelope: env, certCached: cert.cached, subscribeUrl };
}
