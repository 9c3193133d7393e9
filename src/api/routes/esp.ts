import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { EspIntake, IntakeResult } from '../../esp/intake.js';
import { DEFAULT_LIMITS, PROVIDERS, type EventSkipCode, type Provider, type RequestRefusalCode } from '../../esp/types.js';
import { repeated } from '../../log-repeat.js';
import type { EspSettler } from '../../pipeline/esp-settle.js';
import type { RouteContext } from '../context.js';
import { errorBody } from '../errors.js';
import { ClientRateLimiter, rateLimitHeaders } from '../rate-limit.js';
import { js, out } from '../schemas.js';

// Sending providers' signed events (issue #19): POST /v1/esp/<provider>/<endpointId>. The
// providers cannot send our bearer keys: each request is verified by its provider's own
// mechanism (src/esp), its events recorded by the settle step (src/pipeline/esp-settle.ts).
// Signatures cover the raw bytes, so the body is read as a Buffer whatever its type (SNS posts
// `text/plain; charset=UTF-8`), up to the provider's limit. The per-client limit of keyless
// routes does not apply (a provider posts bursts from few addresses); refusals are counted
// per client like failed authentications, and past http.authFailuresPerMinute the client gets
// 429. Request logs name the route pattern only: never a Postmark path secret.

export interface EspDeps {
  intake: EspIntake;
  settler: EspSettler;
}

/** Refusal code -> HTTP status (src/esp/README.md "Refusal -> HTTP"). */
const STATUS: Record<RequestRefusalCode | 'no_account', number> = {
  unknown_endpoint: 404,
  payload_too_large: 413,
  malformed: 400,
  unsupported_type: 400,
  unsupported_signature_version: 400,
  auth_failed: 401,
  // A request that does not carry a valid signature is unauthenticated (the brief of phase B:
  // "bad signature 401"); the other verification failures (a good signature that is stale,
  // replayed or for another topic, a certificate from elsewhere) stay 403.
  signature_invalid: 401,
  timestamp_out_of_window: 403,
  replayed: 403,
  topic_not_allowed: 403,
  cert_url_not_allowed: 403,
  subscribe_url_not_allowed: 403,
  cert_invalid: 403,
  // Our side could not fetch the certificate now: SNS retries a 5xx.
  cert_unavailable: 503,
  // Verified, but no event verified for an account (issue #19: "refused with 401/403").
  no_account: 403,
};

/** Event skips that mean "verified for no account". */
const ACCOUNT_SKIPS: ReadonlySet<EventSkipCode> = new Set(['no_account', 'tag_invalid', 'tag_recipient_mismatch', 'account_mismatch']);

const params = z.object({ endpointId: z.string().max(64) }).strict();
const secretParams = z.object({ endpointId: z.string().max(64), secret: z.string().max(256) }).strict();
const accepted = z.object({
  accepted: z.number().describe('events recorded now'),
  duplicates: z.number().describe('events recorded before (a retry or replay): nothing written'),
  skipped: z.array(z.object({ code: z.string(), eventId: z.string().nullable() })).describe('events not recorded, with why'),
});
const refusal = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const DESCRIPTIONS: Record<Provider, string> = {
  ses: 'Amazon SES notifications through SNS (HTTPS subscription, raw message delivery off): the SNS signature (SignatureVersion 1 or 2) is verified with the signing certificate, whose URL must be on an allowed host; subscription confirmations are visited when autoConfirm.',
  sendgrid: 'SendGrid Event Webhook, signed (ECDSA P-256 over X-Twilio-Email-Event-Webhook-Timestamp + body).',
  mailgun: 'Mailgun webhooks (JSON): HMAC-SHA256 of timestamp + token with the signing key, within the replay window, each token once.',
  postmark: 'Postmark bounce, spam-complaint and delivery webhooks: HTTP basic auth and the endpoint secret (this last path segment, or the endpoint\'s secretHeader).',
};

export function espRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { deps } = ctx;
  const metrics = deps.metrics ?? null;
  const perMinute = deps.clientLimits?.authFailuresPerMinute ?? 0;
  const refusals = new ClientRateLimiter(perMinute / 60, perMinute);
  const log = deps.log;

  const refuse = (req: FastifyRequest, reply: FastifyReply, provider: Provider, endpointId: string, code: RequestRefusalCode | 'no_account', detail: string): FastifyReply => {
    metrics?.espRequests.inc({ provider, result: 'refused' });
    metrics?.espRefused.inc({ provider, code });
    // Our own temporary fault is no mark against the client.
    if (code !== 'cert_unavailable' && refusals.enabled) reply.headers(rateLimitHeaders(refusals.check(req.ip, ctx.now())));
    repeated.log(log, 'info', { evt: 'ESP_REFUSED', provider, endpoint: endpointId.slice(0, 64), code, detail }, 'provider event request refused', `ESP_REFUSED:${provider}:${code}`);
    // RFC 9110 §15.5.2: a 401 names a challenge: Postmark's basic auth, or the provider's signature.
    if (code === 'auth_failed') reply.header('www-authenticate', 'Basic realm="bounced"');
    if (code === 'signature_invalid') reply.header('www-authenticate', `Signature realm="bounced", provider="${provider}"`);
    if (code === 'cert_unavailable') reply.header('retry-after', '60');
    return reply.code(STATUS[code]).send({ error: { code, message: detail } });
  };

  const control = (r: IntakeResult & { ok: true }) => {
    const c = r.control;
    if (!c) return;
    if (c.type === 'unsubscribe') {
      log.warn({ evt: 'ESP_UNSUBSCRIBED', endpoint: r.endpointId, topic: c.topicArn }, 'the endpoint was unsubscribed from its SNS topic');
      return;
    }
    const result = c.confirmed ? 'confirmed' : c.error ? 'failed' : 'not_visited';
    metrics?.espSubscriptions.inc({ result });
    if (c.confirmed) log.info({ evt: 'ESP_SUBSCRIPTION_CONFIRMED', endpoint: r.endpointId, topic: c.topicArn }, 'SNS subscription confirmed');
    else log.warn({ evt: 'ESP_SUBSCRIPTION_FAILED', endpoint: r.endpointId, topic: c.topicArn, error: c.error, visited: c.error !== null }, 'SNS subscription not confirmed');
  };

  const handle = async (provider: Provider, req: FastifyRequest<{ Params: { endpointId: string; secret?: string } }>, reply: FastifyReply) => {
    const started = process.hrtime.bigint();
    const now = ctx.now();
    const { endpointId } = req.params;
    if (refusals.enabled) {
      const state = refusals.check(req.ip, now, false);
      if (!state.allowed) {
        metrics?.httpRateLimited.inc();
        return reply.headers(rateLimitHeaders(state)).code(429).send(errorBody('rate_limited', 'Too many refused requests from this address; retry after the time in Retry-After'));
      }
    }
    const esp = deps.esp;
    if (!esp) return refuse(req, reply, provider, endpointId, 'unknown_endpoint', 'no provider endpoints are configured (esp.endpoints)');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const fetches = esp.intake.certCache?.fetches ?? 0;
    const r = await esp.intake.receive(provider, endpointId, { body, headers: req.headers, pathSecret: req.params.secret ?? null }, now);
    if ((esp.intake.certCache?.fetches ?? 0) > fetches) {
      const result = r.ok ? 'ok' : r.refusal.code === 'cert_invalid' ? 'invalid' : r.refusal.code === 'cert_unavailable' ? 'unavailable' : 'ok';
      metrics?.espCertFetches.inc({ result });
      if (result !== 'ok') log.warn({ evt: 'ESP_CERT_FETCH_FAILED', endpoint: endpointId, code: r.ok ? null : r.refusal.code, detail: r.ok ? null : r.refusal.detail }, 'SNS signing certificate not usable');
    }
    if (!r.ok) return refuse(req, reply, provider, endpointId, r.refusal.code, r.refusal.detail);
    control(r);
    for (const s of r.skipped) metrics?.espSkipped.inc({ provider, code: s.code });
    const skipped = r.skipped.map((s) => ({ code: s.code, eventId: s.eventId }));
    if (r.evidence.length === 0 && r.skipped.length > 0 && r.skipped.every((s) => ACCOUNT_SKIPS.has(s.code))) {
      if (r.token) esp.intake.releaseToken(endpointId, r.token);
      return refuse(req, reply, provider, endpointId, 'no_account', `no event verified for an account (${r.skipped[0]!.code})`);
    }
    let recorded = 0;
    let duplicates = 0;
    if (r.evidence.length > 0) {
      try {
        const settled = await esp.settler.settle({ provider, endpointId, body, remoteIp: req.ip, receivedAt: now, evidence: r.evidence }, now);
        for (const e of settled.recorded) metrics?.espEvents.inc({ provider, kind: e.kind });
        if (settled.duplicates.length) metrics?.espDuplicates.inc({ provider }, settled.duplicates.length);
        recorded = settled.recorded.length;
        duplicates = settled.duplicates.length;
      } catch (err) {
        // Not recorded: the provider retries (a temporary StoreError answers 503 in the app's
        // error handler), and Mailgun's retry must not be taken for a replay.
        if (r.token) esp.intake.releaseToken(endpointId, r.token);
        throw err;
      }
    }
    if (recorded > 0) deps.onEvents?.();
    metrics?.espRequests.inc({ provider, result: 'accepted' });
    metrics?.espRequestSeconds.observe({ provider }, Number(process.hrtime.bigint() - started) / 1e9);
    return reply.code(200).send({ accepted: recorded, duplicates, skipped });
  };

  app.register(async (inst) => {
    // Every body as its raw bytes (signatures cover them); the route's bodyLimit bounds it.
    inst.removeAllContentTypeParsers();
    inst.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    inst.setErrorHandler((err: Error & { code?: string }, req, reply) => {
      const provider = PROVIDERS.find((p) => req.routeOptions.url?.startsWith(`/v1/esp/${p}/`));
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && provider) {
        const endpointId = (req.params as { endpointId?: string }).endpointId ?? '';
        return refuse(req, reply, provider, endpointId, 'payload_too_large', `over ${DEFAULT_LIMITS.maxBodyBytes[provider]} bytes`);
      }
      throw err; // the app's error handler (503 for a temporary store fault)
    });
    for (const provider of PROVIDERS) {
      const urls: Array<[string, z.ZodType]> = [[`/v1/esp/${provider}/:endpointId`, params]];
      if (provider === 'postmark') urls.push([`/v1/esp/postmark/:endpointId/:secret`, secretParams]);
      for (const [url, p] of urls) {
        inst.route<{ Params: { endpointId: string; secret?: string } }>({
          method: 'POST',
          url,
          bodyLimit: DEFAULT_LIMITS.maxBodyBytes[provider],
          config: { auth: 'provider' },
          schema: {
            summary: `${provider} events (bounces, complaints, deliveries) for one configured endpoint`,
            description: DESCRIPTIONS[provider],
            tags: ['esp'],
            params: js(p),
            consumes: [provider === 'ses' ? 'text/plain' : 'application/json'],
            response: {
              200: out(accepted),
              400: out(refusal.describe('malformed, unsupported_type, unsupported_signature_version')),
              401: out(refusal.describe('auth_failed (Postmark), signature_invalid')),
              403: out(refusal.describe('timestamp_out_of_window, replayed, topic_not_allowed, cert_url_not_allowed, subscribe_url_not_allowed, cert_invalid, no_account')),
              404: out(refusal.describe('unknown_endpoint')),
              413: out(refusal.describe('payload_too_large')),
              503: out(refusal.describe('cert_unavailable; store_unavailable')),
            },
          },
          handler: (req, reply) => handle(provider, req, reply),
        });
      }
    }
  });
}
