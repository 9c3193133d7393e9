#!/usr/bin/env node
// 7b. ESP events verified AND recorded (issue #19 phase B): signed requests posted over HTTP
// to the API on 127.0.0.1 (dist/api/app.js, the routes of src/api/routes/esp.ts), each one
// verified, mapped, and settled in its own durable SQLite transaction (message row, esp_events,
// bounce record, delivery evidence, policy), against baselines measured in the same run:
//   verifyOnly  the signature verification alone (node:crypto on the same bytes)
//   intakeOnly  src/esp's receive() in-process (verification + mapping, nothing stored)
//
//   SNS       SES Bounce notifications, one recipient each, SignatureVersion 2 (RSA-2048),
//             the certificate in the cache after the first request (an in-process fetcher)
//   SendGrid  ECDSA P-256 signed requests of 1 event, and of 100 events
//   Mailgun   HMAC-SHA256 requests of 1 event (a fresh token each); Postmark basic auth + path
//             secret, 1 bounce a request
//
//   constant  the same requests, client and concurrency against a constant fastify route
//             (POST, the body read as a Buffer, a constant answer through a response schema, no
//             verification, no SQL): what HTTP on this machine and Node costs at best, in the
//             same process as the client like the daemon's runs. The figure to compare across
//             machines and loads is recorded / constant.
//
// A fresh data directory per run; `--concurrency` requests in flight (a provider posts
// several at once). Medians of the runs. synchronous=FULL (the default): requests that arrive
// together share a commit (the settle step's group commit); `eventsPerCommit` is the median events per commit of the single-event runs.
// `--cpu-prof`-style profiling: run the script under `node --cpu-prof` and read the profile with
// bench/cpuprofile-top.mjs (how the one-transaction-per-request cause of issue #19 was found).
//
//   npm run build && node bench/esp-record.mjs [--events 2000] [--runs 3] [--concurrency 8]
import { execFileSync } from 'node:child_process';
import { createHmac, createPublicKey, createSign, createVerify, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, TMP, median, parseArgs, round } from './lib/common.mjs';

const args = parseArgs();
const N = Number(args.events ?? 2000);
const RUNS = Number(args.runs ?? 3);
const CONCURRENCY = Number(args.concurrency ?? 8);

const { EspIntake } = await import(join(ROOT, 'dist/esp/intake.js'));
const { snsStringToSign } = await import(join(ROOT, 'dist/esp/sns.js'));
const { EspSettler } = await import(join(ROOT, 'dist/pipeline/esp-settle.js'));
const { buildPipeline } = await import(join(ROOT, 'dist/pipeline/build.js'));
const { buildApi } = await import(join(ROOT, 'dist/api/app.js'));
const { loadConfig } = await import(join(ROOT, 'dist/config/load.js'));
const { createLogger } = await import(join(ROOT, 'dist/log.js'));
const { default: Fastify } = await import('fastify');

// ---- keys -------------------------------------------------------------------------------
const keyDir = mkdtempSync(join(tmpdir(), 'esp-record-bench-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(keyDir, 'k.pem'), '-out', join(keyDir, 'c.pem'), '-days', '2', '-subj', '/CN=sns.amazonaws.com'], { stdio: 'ignore' });
const snsKey = readFileSync(join(keyDir, 'k.pem'), 'utf8');
const snsCert = readFileSync(join(keyDir, 'c.pem'), 'utf8');
rmSync(keyDir, { recursive: true, force: true });
const snsPublic = createPublicKey(snsCert);
const sg = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const sgPublic = sg.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
const MG_KEY = 'key-bench-0123456789abcdef';
const PM_SECRET = 'postmark-bench-secret-0123456789';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:ses-bounces';
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-bench.pem';
const endpoints = [
  { id: 'ses', provider: 'ses', account: 'acme', topics: [TOPIC] },
  { id: 'sg', provider: 'sendgrid', account: 'acme', publicKey: sgPublic, replayWindowSeconds: 86_400 },
  { id: 'mg', provider: 'mailgun', account: 'acme', signingKey: MG_KEY, replayWindowSeconds: 86_400 },
  { id: 'pm', provider: 'postmark', account: 'acme', username: 'pm', password: 'pm-password', secret: PM_SECRET },
];
const intakeOf = () => new EspIntake({ endpoints, tags: null, fetchCert: async () => snsCert });

// ---- requests (signed before timing) -----------------------------------------------------
const fx = (name) => JSON.parse(readFileSync(join(ROOT, 'fixtures/esp', name), 'utf8'));
const sesBounce = fx('ses-bounce-permanent-general.json');
const sgBounce = fx('sendgrid-events.json')[0];
const ts = Math.floor(Date.now() / 1000);

const snsRequests = (tag) =>
  Array.from({ length: N }, (_, i) => {
    const ev = structuredClone(sesBounce);
    ev.bounce.feedbackId = `${tag}-${i}`;
    ev.bounce.bouncedRecipients[0].emailAddress = `user${i}@example.test`;
    ev.mail.messageId = `${tag}-msg-${i}`;
    const env = { Type: 'Notification', MessageId: `${tag}-${i}`, TopicArn: TOPIC, Message: JSON.stringify(ev), Timestamp: new Date().toISOString(), SignatureVersion: '2', SigningCertURL: CERT_URL };
    const s = createSign('RSA-SHA256');
    s.update(snsStringToSign(env), 'utf8');
    env.Signature = s.sign(snsKey, 'base64');
    return { path: '/v1/esp/ses/ses', body: Buffer.from(JSON.stringify(env)), headers: { 'content-type': 'text/plain; charset=UTF-8' }, toSign: snsStringToSign(env), sig: Buffer.from(env.Signature, 'base64'), events: 1 };
  });

function sgRequest(events) {
  const body = Buffer.from(JSON.stringify(events));
  const signed = Buffer.concat([Buffer.from(String(ts)), body]);
  const sig = sign('sha256', signed, sg.privateKey);
  return {
    path: '/v1/esp/sendgrid/sg',
    body,
    headers: { 'content-type': 'application/json', 'x-twilio-email-event-webhook-signature': sig.toString('base64'), 'x-twilio-email-event-webhook-timestamp': String(ts) },
    signed,
    sig,
    events: events.length,
  };
}
const mgFailed = fx('mailgun-failed-permanent.json');
const pmBounce = fx('postmark-hardbounce.json');
const mgRequests = (tag) =>
  Array.from({ length: N }, (_, i) => {
    const token = randomBytes(25).toString('hex');
    const signature = { timestamp: String(ts), token, signature: createHmac('sha256', MG_KEY).update(String(ts) + token).digest('hex') };
    const ed = { ...mgFailed, id: `${tag}-${i}`, recipient: `user${i}@example.test` };
    return { path: '/v1/esp/mailgun/mg', body: Buffer.from(JSON.stringify({ signature, 'event-data': ed })), headers: { 'content-type': 'application/json' }, events: 1 };
  });
const pmRequests = (tag) =>
  Array.from({ length: N }, (_, i) => ({
    path: `/v1/esp/postmark/pm/${PM_SECRET}`,
    body: Buffer.from(JSON.stringify({ ...pmBounce, ID: 4_000_000_000 + run_(tag) * 100_000 + i, Email: `user${i}@example.test`, MessageID: `${tag}-pm-${i}` })),
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('pm:pm-password').toString('base64')}` },
    events: 1,
  }));
const run_ = (tag) => Number(tag.slice(1)) || 0;
const sgEvent = (tag, i) => ({ ...sgBounce, sg_event_id: `${tag}-${i}`, sg_message_id: `${tag}-m-${i}`, email: `user${i}@example.test` });
const sgSingles = (tag) => Array.from({ length: N }, (_, i) => sgRequest([sgEvent(tag, i)]));
const sgBatches = (tag) => Array.from({ length: Math.max(10, Math.floor(N / 100)) }, (_, b) => sgRequest(Array.from({ length: 100 }, (_, k) => sgEvent(tag, b * 100 + k))));

// ---- measuring -----------------------------------------------------------------------------
function verifyOnly(fn, requests) {
  for (const r of requests.slice(0, 20)) fn(r);
  const t0 = performance.now();
  for (const r of requests) if (!fn(r)) throw new Error('baseline did not verify');
  return requests.reduce((n, r) => n + r.events, 0) / ((performance.now() - t0) / 1000);
}
const rsaVerify = (r) => createVerify('RSA-SHA256').update(r.toSign, 'utf8').verify(snsPublic, r.sig);
const ecVerify = (r) => verify('sha256', r.signed, sg.publicKey, r.sig);

async function intakeOnly(provider, endpoint, requests) {
  const intake = intakeOf();
  await intake.receive(provider, endpoint, requests[0], Date.now());
  const t0 = performance.now();
  for (const r of requests) if (!(await intake.receive(provider, endpoint, r, Date.now())).ok) throw new Error('refused');
  return requests.reduce((n, r) => n + r.events, 0) / ((performance.now() - t0) / 1000);
}

/** Posts the requests with `CONCURRENCY` in flight after one warm-up request; seconds taken. */
async function postAll(base, requests, check) {
  const post = async (r) => {
    const res = await fetch(base + r.path, { method: 'POST', body: r.body, headers: r.headers });
    const j = await res.json();
    if (res.status !== 200 || (check && j.accepted !== r.events)) throw new Error(`${res.status} ${JSON.stringify(j)}`);
  };
  await post(requests[0]); // warm: the certificate, the JIT
  const rest = requests.slice(1);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < rest.length) await post(rest[next++]);
  }));
  return (performance.now() - t0) / 1000;
}

/** The baseline: the same posts to a constant fastify route; requests per second x events per request. */
async function constant(requests) {
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const answer = { type: 'object', properties: { accepted: { type: 'number' }, duplicates: { type: 'number' }, skipped: { type: 'array' } } };
  const handler = async () => ({ accepted: 1, duplicates: 0, skipped: [] });
  app.post('/v1/esp/:provider/:endpointId', { schema: { response: { 200: answer } } }, handler);
  app.post('/v1/esp/:provider/:endpointId/:secret', { schema: { response: { 200: answer } } }, handler);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const s = await postAll(`http://127.0.0.1:${app.server.address().port}`, requests, false);
  await app.close();
  return requests.slice(1).reduce((n, r) => n + r.events, 0) / s;
}

/** Posts every request to a fresh daemon API; events recorded per second (checked in the store). */
async function recorded(requests) {
  const dataDir = mkdtempSync(join(tmpdir(), 'esp-record-data-'));
  const config = loadConfig({ env: {}, overrides: { dataDir, logLevel: 'silent', verp: { secret: 'bench-secret' }, http: { port: 0 } } });
  const built = await buildPipeline(config);
  const esp = { intake: intakeOf(), settler: new EspSettler(built.store, built.rules) };
  const app = buildApi({ store: built.store, log: createLogger('silent'), smtpListening: () => true, policy: built.policy, esp });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${app.server.address().port}`;
  const s = await postAll(base, requests, true);
  const events = requests.slice(1).reduce((n, r) => n + r.events, 0);
  if (requests[0].events === 1) perCommit.push(events / esp.settler.commits); // single-event requests: how many share a commit
  // the events themselves, not the rows that count each message's send once (sent:...)
  const stored = (await built.store.espEvents.list({ limit: 1_000_000 })).filter((e) => !e.eventId.startsWith('sent:')).length;
  if (stored !== events + requests[0].events) throw new Error(`stored ${stored}, expected ${events + requests[0].events}`);
  await app.close();
  await built.close();
  rmSync(dataDir, { recursive: true, force: true });
  return events / s;
}

const runs = [];
const perCommit = [];
for (let run = 1; run <= RUNS; run++) {
  const tag = `r${run}`;
  const sns = snsRequests(tag);
  const sg1 = sgSingles(tag);
  const sg100 = sgBatches(tag);
  const row = {
    snsVerifyOnly: verifyOnly(rsaVerify, sns),
    snsIntakeOnly: await intakeOnly('ses', 'ses', sns),
    snsRecorded: await recorded(sns),
    snsConstant: await constant(sns),
    sg1VerifyOnly: verifyOnly(ecVerify, sg1),
    sg1IntakeOnly: await intakeOnly('sendgrid', 'sg', sg1),
    sg1Recorded: await recorded(sg1),
    sg1Constant: await constant(sg1),
    sg100IntakeOnly: await intakeOnly('sendgrid', 'sg', sg100),
    sg100Recorded: await recorded(sg100),
    mgRecorded: await recorded(mgRequests(tag)),
    mgConstant: await constant(mgRequests(`${tag}c`)),
    pmRecorded: await recorded(pmRequests(tag)),
    pmConstant: await constant(pmRequests(tag)),
  };
  runs.push(row);
  console.log(`run ${run}: ${Object.entries(row).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}`);
}

const med = (k) => median(runs.map((r) => r[k]));
const result = {
  date: new Date().toISOString(),
  node: process.version,
  events: N,
  runs: RUNS,
  concurrency: CONCURRENCY,
  medians: {
    snsRecordedPerSecond: Math.round(med('snsRecorded')),
    snsIntakeOnlyPerSecond: Math.round(med('snsIntakeOnly')),
    snsRsaVerifyOnlyPerSecond: Math.round(med('snsVerifyOnly')),
    snsRecordedShareOfVerify: round(med('snsRecorded') / med('snsVerifyOnly'), 3),
    snsConstantRoutePerSecond: Math.round(med('snsConstant')),
    snsRecordedOverConstant: round(median(runs.map((r) => r.snsRecorded / r.snsConstant)), 3),
    sendgrid1RecordedPerSecond: Math.round(med('sg1Recorded')),
    sendgrid1IntakeOnlyPerSecond: Math.round(med('sg1IntakeOnly')),
    sendgrid1EcdsaVerifyOnlyPerSecond: Math.round(med('sg1VerifyOnly')),
    sendgrid1RecordedShareOfVerify: round(med('sg1Recorded') / med('sg1VerifyOnly'), 3),
    sendgrid1ConstantRoutePerSecond: Math.round(med('sg1Constant')),
    sendgrid1RecordedOverConstant: round(median(runs.map((r) => r.sg1Recorded / r.sg1Constant)), 3),
    sendgrid100RecordedPerSecond: Math.round(med('sg100Recorded')),
    sendgrid100IntakeOnlyPerSecond: Math.round(med('sg100IntakeOnly')),
    mailgunRecordedPerSecond: Math.round(med('mgRecorded')),
    mailgunRecordedOverConstant: round(median(runs.map((r) => r.mgRecorded / r.mgConstant)), 3),
    postmarkRecordedPerSecond: Math.round(med('pmRecorded')),
    postmarkRecordedOverConstant: round(median(runs.map((r) => r.pmRecorded / r.pmConstant)), 3),
    eventsPerCommit: round(median(perCommit), 1),
  },
  all: runs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)]))),
};
console.log(JSON.stringify(result.medians, null, 2));
mkdirSync(TMP, { recursive: true });
writeFileSync(join(TMP, 'esp-record.json'), JSON.stringify(result, null, 2));
