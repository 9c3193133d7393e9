// One entry point for the HTTP routes (phase B): an endpoint id, the request's raw body,
// headers and path secret -> verified evidence, or a refusal with a stable code. Nothing here
// writes, logs or answers HTTP: the route maps codes to statuses, the pipeline records the
// evidence, metrics count both (README.md in this folder).
//
// Each endpoint belongs to one provider and (usually) one account, with its own secret: an
// account's SendGrid subaccount posts to its own URL with its own verification key. An
// endpoint without an account is shared: each event must then carry a signed tag
// (src/esp/tag.ts) naming its account.
import { toEvidence, type EventFacts } from './evidence.js';
import { mapMailgunEvent, TokenMemory, verifyMailgun } from './mailgun.js';
import { mapPostmarkRecord, parsePostmark, verifyPostmarkAuth, type PostmarkAuth } from './postmark.js';
import { mapSendgridEvents, sendgridPublicKey, verifySendgrid } from './sendgrid.js';
import { mapSesEvent } from './ses.js';
import { compileHostPatterns, DEFAULT_SNS_HOSTS, parseSnsEnvelope, SnsCertCache, verifySns, type CertCacheOptions, type HostPattern } from './sns.js';
import { parseJsonBody, obj } from './json.js';
import type { TagVerifier } from './tag.js';
import { DEFAULT_LIMITS, EspConfigError, PROVIDERS, type EspEvidence, type EspLimits, type EventSkip, type Provider, type RequestRefusal } from './types.js';
import type { KeyObject } from 'node:crypto';

// ---------------------------------------------------------------------------------------
// Configuration (what phase B's config schema holds, per endpoint)

interface EndpointCommon {
  /** In the URL: `/v1/esp/<provider>/<id>`. Letters, digits, `-`, `_`. */
  id: string;
  /** The account this endpoint's events are for; null or absent: shared, signed tags only. */
  account?: string | null;
}

export interface SesEndpointConfig extends EndpointCommon {
  provider: 'ses';
  /** TopicArns this endpoint is subscribed to. */
  topics: string[];
  /** Hosts of SigningCertURL and SubscribeURL; default `sns.*.amazonaws.com`, `sns.*.amazonaws.com.cn`. */
  certHosts?: string[];
  /** Visit the SubscribeURL of a verified SubscriptionConfirmation. Default true. */
  autoConfirm?: boolean;
}

export interface SendgridEndpointConfig extends EndpointCommon {
  provider: 'sendgrid';
  /** The Signed Event Webhook verification key: base64 DER as SendGrid shows it, or PEM. */
  publicKey: string;
  /** Default 600 s. */
  replayWindowSeconds?: number;
}

export interface MailgunEndpointConfig extends EndpointCommon {
  provider: 'mailgun';
  /** The domain's HTTP webhook signing key. */
  signingKey: string;
  /** Default 600 s. */
  replayWindowSeconds?: number;
}

export interface PostmarkEndpointConfig extends EndpointCommon {
  provider: 'postmark';
  username: string;
  password: string;
  /** At least 16 characters. */
  secret: string;
  /** Header carrying the secret; absent: the URL's last path segment (`/v1/esp/postmark/<id>/<secret>`). */
  secretHeader?: string | null;
}

export type EndpointConfig = SesEndpointConfig | SendgridEndpointConfig | MailgunEndpointConfig | PostmarkEndpointConfig;

export const DEFAULT_REPLAY_WINDOW_SECONDS = 600;
export const DEFAULT_TAG_NAME = 'bounced_tag';
export const DEFAULT_TAG_HEADER = 'X-Bounced-Tag';

export interface EspIntakeOptions {
  endpoints: readonly EndpointConfig[];
  /** Verifies signed tags (tagVerifier(codec, verp.prefix)); null: tags are never trusted. */
  tags: TagVerifier | null;
  /** Name of the tag in SES message tags, SendGrid custom args, Mailgun user variables, Postmark metadata. */
  tagName?: string;
  /** Header carrying the tag in SES's `mail.headers`. */
  tagHeader?: string;
  /** Fetches SNS signing certificates (httpsCertFetcher()); required with an SES endpoint. */
  fetchCert?: CertCacheOptions['fetch'];
  certCache?: Omit<CertCacheOptions, 'fetch'>;
  /** Visits a SubscribeURL (httpsVisitor()). Without it, confirmations are returned, not visited. */
  visitSubscribeUrl?: (url: string) => Promise<void>;
  /** Mailgun tokens remembered per endpoint. */
  maxTokens?: number;
  limits?: EspLimits;
}

interface Prepared {
  config: EndpointConfig;
  account: string | null;
  hosts?: HostPattern[];
  key?: KeyObject;
  tokens?: TokenMemory;
  postmark?: PostmarkAuth;
}

// ---------------------------------------------------------------------------------------
// Results

export interface IntakeRequest {
  body: Buffer;
  /** Names lower-cased, as Node and fastify give them. */
  headers: Record<string, string | string[] | undefined>;
  /** The URL's secret segment (Postmark endpoints without a secret header). */
  pathSecret?: string | null;
}

/** What an SNS control message asked for. */
export type SnsControl =
  | { type: 'subscription'; topicArn: string; subscribeUrl: string; confirmed: boolean; error: string | null }
  | { type: 'unsubscribe'; topicArn: string };

export type IntakeResult =
  | { ok: false; provider: Provider | null; endpointId: string; refusal: RequestRefusal }
  | {
      ok: true;
      provider: Provider;
      endpointId: string;
      evidence: EspEvidence[];
      skipped: EventSkip[];
      /** SNS subscription and unsubscribe confirmations. */
      control: SnsControl | null;
      /** Mailgun: the token this request used; release it (intake.releaseToken) when the request is not processed. */
      token: string | null;
      /** SNS: the signing certificate came from the cache (no fetch). */
      certCached: boolean | null;
    };

// ---------------------------------------------------------------------------------------

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export class EspIntake {
  private readonly endpoints = new Map<string, Prepared>();
  private readonly certs: SnsCertCache | null;
  private readonly limits: EspLimits;
  private readonly tagName: string;
  private readonly tagHeader: string;

  /** Throws EspConfigError on a bad endpoint: the daemon must not start half-configured. */
  constructor(private readonly opts: EspIntakeOptions) {
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.tagName = opts.tagName ?? DEFAULT_TAG_NAME;
    this.tagHeader = opts.tagHeader ?? DEFAULT_TAG_HEADER;
    for (const c of opts.endpoints) {
      const where = `esp endpoint ${JSON.stringify(c.id)}`;
      if (!ID_RE.test(c.id)) throw new EspConfigError(`${where}: the id must be 1-64 letters, digits, - or _`);
      if (this.endpoints.has(c.id)) throw new EspConfigError(`${where}: the id is used twice`);
      if (!(PROVIDERS as readonly string[]).includes(c.provider)) throw new EspConfigError(`${where}: unknown provider`);
      const account = c.account ?? null;
      if (account !== null && !account) throw new EspConfigError(`${where}: an empty account`);
      if (account === null && !opts.tags) throw new EspConfigError(`${where}: no account, and no tag verifier to name one`);
      this.endpoints.set(c.id, prepare(c, account, where, opts.maxTokens));
    }
    const needsCerts = opts.endpoints.some((c) => c.provider === 'ses');
    if (needsCerts && !opts.fetchCert) throw new EspConfigError('an SES endpoint needs a certificate fetcher');
    this.certs = opts.fetchCert ? new SnsCertCache({ ...opts.certCache, fetch: opts.fetchCert }) : null;
  }

  /** The cache of SNS signing certificates (metrics: its `fetches`). */
  get certCache(): SnsCertCache | null {
    return this.certs;
  }

  endpoint(id: string): { id: string; provider: Provider; account: string | null } | null {
    const p = this.endpoints.get(id);
    return p ? { id, provider: p.config.provider, account: p.account } : null;
  }

  /** Forgets a Mailgun token: its request was not processed (the route answered 5xx). */
  releaseToken(endpointId: string, token: string): void {
    this.endpoints.get(endpointId)?.tokens?.release(token);
  }

  /** Verifies, maps and attributes one request. `provider`: the route's, checked against the endpoint's. Never throws on input. */
  async receive(provider: Provider, endpointId: string, req: IntakeRequest, now: number): Promise<IntakeResult> {
    const p = this.endpoints.get(endpointId);
    if (!p || p.config.provider !== provider) return { ok: false, provider, endpointId, refusal: { code: 'unknown_endpoint', detail: `no ${provider} endpoint ${endpointId.slice(0, 64)}` } };
    if (req.body.length > this.limits.maxBodyBytes[provider]) {
      return { ok: false, provider, endpointId, refusal: { code: 'payload_too_large', detail: `${req.body.length} bytes, at most ${this.limits.maxBodyBytes[provider]}` } };
    }
    switch (p.config.provider) {
      case 'ses':
        return this.receiveSes(p, req, now);
      case 'sendgrid':
        return this.receiveSendgrid(p, req, now);
      case 'mailgun':
        return this.receiveMailgun(p, req, now);
      case 'postmark':
        return this.receivePostmark(p, req, now);
    }
  }

  private finish(p: Prepared, items: Item[], extra: { control?: SnsControl | null; token?: string | null; certCached?: boolean | null } = {}): IntakeResult {
    const evidence: EspEvidence[] = [];
    const skipped: EventSkip[] = [];
    const ctx = { endpointId: p.config.id, account: p.account, tags: this.opts.tags, limits: this.limits };
    for (const item of items) {
      if ('skip' in item) {
        skipped.push(item.skip);
        continue;
      }
      const r = toEvidence(item.facts, ctx);
      if (r.ok) evidence.push(r.evidence);
      else skipped.push(r.skip);
    }
    return { ok: true, provider: p.config.provider, endpointId: p.config.id, evidence, skipped, control: extra.control ?? null, token: extra.token ?? null, certCached: extra.certCached ?? null };
  }

  private refused(p: Prepared, refusal: RequestRefusal): IntakeResult {
    return { ok: false, provider: p.config.provider, endpointId: p.config.id, refusal };
  }

  private async receiveSes(p: Prepared, req: IntakeRequest, now: number): Promise<IntakeResult> {
    const c = p.config as SesEndpointConfig;
    const v = await verifySns(req.body, req.headers, { topics: c.topics, hosts: p.hosts! }, this.certs!, now, this.limits.maxBodyBytes.ses);
    if (!v.ok) return this.refused(p, v.refusal);
    const env = v.envelope;
    if (env.Type === 'SubscriptionConfirmation') {
      let confirmed = false;
      let error: string | null = null;
      if (c.autoConfirm !== false && this.opts.visitSubscribeUrl) {
        try {
          await this.opts.visitSubscribeUrl(v.subscribeUrl!);
          confirmed = true;
        } catch (err) {
          error = ((err as Error)?.message ?? String(err)).slice(0, 300);
        }
      }
      return this.finish(p, [], { control: { type: 'subscription', topicArn: env.TopicArn, subscribeUrl: v.subscribeUrl!, confirmed, error }, certCached: v.certCached });
    }
    if (env.Type === 'UnsubscribeConfirmation') return this.finish(p, [], { control: { type: 'unsubscribe', topicArn: env.TopicArn }, certCached: v.certCached });
    return this.finish(p, this.sesItems(env.Message, now), { certCached: v.certCached });
  }

  private sesItems(message: string, now: number): Item[] {
    const parsed = parseJsonBody(message, this.limits.maxBodyBytes.ses);
    const ev = parsed.ok ? obj(parsed.value) : null;
    // signed by SNS but not an SES event (another publisher on the topic, a test message)
    if (!ev) return [{ skip: { code: 'unsupported_type', eventId: null, providerType: 'Notification', detail: 'the SNS Message is not an SES event (JSON object)' } }];
    return mapSesEvent(ev, { tag: this.tagName, header: this.tagHeader }, now, this.limits);
  }

  private receiveSendgrid(p: Prepared, req: IntakeRequest, now: number): IntakeResult {
    const c = p.config as SendgridEndpointConfig;
    const v = verifySendgrid(req.body, req.headers, p.key!, c.replayWindowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS, now, this.limits);
    if (!v.ok) return this.refused(p, v.refusal);
    return this.finish(p, mapSendgridEvents(v.events, this.tagName, now, this.limits));
  }

  private receiveMailgun(p: Prepared, req: IntakeRequest, now: number): IntakeResult {
    const c = p.config as MailgunEndpointConfig;
    const v = verifyMailgun(req.body, c.signingKey, c.replayWindowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS, p.tokens!, now, this.limits.maxBodyBytes.mailgun);
    if (!v.ok) return this.refused(p, v.refusal);
    return this.finish(p, [mapMailgunEvent(v.eventData, this.tagName, now, this.limits)], { token: v.token });
  }

  private receivePostmark(p: Prepared, req: IntakeRequest, now: number): IntakeResult {
    const a = verifyPostmarkAuth(req.headers, req.pathSecret ?? null, p.postmark!);
    if (!a.ok) return this.refused(p, a.refusal);
    const r = parsePostmark(req.body, this.limits.maxBodyBytes.postmark);
    if (!r.ok) return this.refused(p, r.refusal);
    return this.finish(p, [mapPostmarkRecord(r.record, this.tagName, now, this.limits)]);
  }

  /**
   * The evidence of a body that receive() ACCEPTED earlier and the store kept: mapping and
   * attribution again, no verification (no certificate, no replay window, no token memory: a
   * replay after a classifier change must not be refused for its age). `receivedAt` stands for
   * `now`. Never call it on a body that did not verify.
   */
  mapVerified(provider: Provider, endpointId: string, body: Buffer, receivedAt: number): IntakeResult {
    const p = this.endpoints.get(endpointId);
    if (!p || p.config.provider !== provider) return { ok: false, provider, endpointId, refusal: { code: 'unknown_endpoint', detail: `no ${provider} endpoint ${endpointId.slice(0, 64)}` } };
    const max = this.limits.maxBodyBytes[provider];
    const parsed = provider === 'ses' ? null : parseJsonBody(body, max, { exactIntegers: provider === 'postmark' });
    if (parsed && !parsed.ok) return this.refused(p, { code: parsed.code, detail: parsed.detail });
    switch (provider) {
      case 'ses': {
        const env = parseSnsEnvelope(body, {}, max);
        if (!env.ok) return this.refused(p, env.refusal);
        return this.finish(p, env.envelope.Type === 'Notification' ? this.sesItems(env.envelope.Message, receivedAt) : []);
      }
      case 'sendgrid': {
        const events = Array.isArray(parsed!.value) ? parsed!.value.slice(0, this.limits.maxEventsPerRequest) : [];
        return this.finish(p, mapSendgridEvents(events, this.tagName, receivedAt, this.limits));
      }
      case 'mailgun': {
        const ed = obj(obj(parsed!.value)?.['event-data']);
        return this.finish(p, ed ? [mapMailgunEvent(ed, this.tagName, receivedAt, this.limits)] : []);
      }
      case 'postmark': {
        const rec = obj(parsed!.value);
        return this.finish(p, rec ? [mapPostmarkRecord(rec, this.tagName, receivedAt, this.limits)] : []);
      }
    }
  }
}

type Item = { facts: EventFacts } | { skip: EventSkip };

function prepare(c: EndpointConfig, account: string | null, where: string, maxTokens: number | undefined): Prepared {
  const window = (s: number | undefined) => {
    if (s !== undefined && !(Number.isFinite(s) && s >= 1 && s <= 86_400)) throw new EspConfigError(`${where}: replayWindowSeconds must be 1-86400`);
  };
  switch (c.provider) {
    case 'ses': {
      if (!Array.isArray(c.topics) || c.topics.length === 0 || c.topics.some((t) => !/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]{1,256}$/.test(t))) {
        throw new EspConfigError(`${where}: topics must list the SNS topic ARNs (arn:aws:sns:<region>:<account>:<name>)`);
      }
      let hosts: HostPattern[];
      try {
        hosts = compileHostPatterns(c.certHosts ?? DEFAULT_SNS_HOSTS);
      } catch (err) {
        throw new EspConfigError(`${where}: certHosts: ${(err as Error).message}`);
      }
      return { config: c, account, hosts };
    }
    case 'sendgrid':
      window(c.replayWindowSeconds);
      return { config: c, account, key: sendgridPublicKey(c.publicKey) };
    case 'mailgun':
      window(c.replayWindowSeconds);
      if (!c.signingKey || c.signingKey.length < 16) throw new EspConfigError(`${where}: signingKey is missing or too short`);
      return { config: c, account, tokens: new TokenMemory(maxTokens) };
    case 'postmark':
      if (!c.username || !c.password) throw new EspConfigError(`${where}: username and password are required (Postmark's basic auth)`);
      if (!c.secret || c.secret.length < 16) throw new EspConfigError(`${where}: secret must have at least 16 characters`);
      return { config: c, account, postmark: { username: c.username, password: c.password, secret: c.secret, secretHeader: c.secretHeader ?? null } };
  }
}
