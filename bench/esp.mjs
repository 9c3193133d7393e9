#!/usr/bin/env node
// 7. ESP event intake (issue #19): provider events verified and mapped per second, in one
// process, through `dist/esp/intake.js` (verification, JSON, mapping, signed-tag check,
// the shared classifier), against a baseline measured in the same run: the signature
// verification alone (node:crypto on the same bytes), the part no implementation can skip.
//
//   SNS       SES Bounce notifications, one recipient each, SignatureVersion 2
//             (RSA-2048 SHA256withRSA), the signing certificate already in the cache (the
//             first request fetches it from an in-process fetcher: no network at all)
//   SendGrid  signed requests (ECDSA P-256 over timestamp + body) of 1 event, and of 100
//   Mailgun   HMAC-SHA256 requests of 1 event (its token memory in play), for comparison
//
// Keys and the certificate are made here (openssl for X.509). Runs alternate; medians are
// reported. Nothing is stored: this measures the intake, not the store (phase B).
//
//   node bench/esp.mjs [--events 4000] [--runs 5]
import { execFileSync } from 'node:child_process';
import { createHmac, createPublicKey, createSign, createVerify, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, TMP, median, parseArgs, round } from './lib/common.mjs';

const args = parseArgs();
const N = Number(args.events ?? 4000);
const RUNS = Number(args.runs ?? 5);

const { EspIntake } = await import(join(ROOT, 'dist/esp/intake.js'));
const { snsStringToSign } = await import(join(ROOT, 'dist/esp/sns.js'));

// ---- keys -------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'esp-bench-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-subj', '/CN=sns.amazonaws.com'], { stdio: 'ignore' });
const snsKey = readFileSync(join(dir, 'k.pem'), 'utf8');
const snsCert = readFileSync(join(dir, 'c.pem'), 'utf8');
rmSync(dir, { recursive: true, force: true });
const snsPublic = createPublicKey(snsCert);
const sg = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const sgPublic = sg.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
const MG_KEY = 'key-bench-0123456789abcdef';

const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:ses-bounces';
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-bench.pem';
let fetches = 0;
const intakeOf = () =>
  new EspIntake({
    endpoints: [
      { id: 'ses', provider: 'ses', account: 'acme', topics: [TOPIC] },
      { id: 'sg', provider: 'sendgrid', account: 'acme', publicKey: sgPublic, replayWindowSeconds: 86_400 },
      { id: 'mg', provider: 'mailgun', account: 'acme', signingKey: MG_KEY, replayWindowSeconds: 86_400 },
    ],
    tags: null,
    fetchCert: async () => (fetches++, snsCert),
  });

// ---- requests (signed before timing) -----------------------------------------------------
const fx = (name) => JSON.parse(readFileSync(join(ROOT, 'fixtures/esp', name), 'utf8'));
const sesBounce = fx('ses-bounce-permanent-general.json');
const sgEvents = fx('sendgrid-events.json');
const mgFailed = fx('mailgun-failed-permanent.json');
const now = Date.now();
const ts = Math.floor(now / 1000);

const snsRequests = Array.from({ length: N }, (_, i) => {
  const ev = structuredClone(sesBounce);
  ev.bounce.feedbackId = `bench-${i}`;
  ev.bounce.bouncedRecipients[0].emailAddress = `user${i}@example.test`;
  const env = { Type: 'Notification', MessageId: `msg-${i}`, TopicArn: TOPIC, Message: JSON.stringify(ev), Timestamp: new Date(now).toISOString(), SignatureVersion: '2', SigningCertURL: CERT_URL };
  const s = createSign('RSA-SHA256');
  s.update(snsStringToSign(env), 'utf8');
  env.Signature = s.sign(snsKey, 'base64');
  return { body: Buffer.from(JSON.stringify(env)), headers: { 'x-amz-sns-message-type': 'Notification' }, toSign: snsStringToSign(env), sig: Buffer.from(env.Signature, 'base64') };
});

function sgRequest(events) {
  const body = Buffer.from(JSON.stringify(events));
  const signed = Buffer.concat([Buffer.from(String(ts)), body]);
  const sig = sign('sha256', signed, sg.privateKey);
  return { body, headers: { 'x-twilio-email-event-webhook-signature': sig.toString('base64'), 'x-twilio-email-event-webhook-timestamp': String(ts) }, signed, sig };
}
const sgEvent = (i) => ({ ...sgEvents[i % 6], sg_event_id: `sg-${i}`, email: `user${i}@example.test` });
const sgSingles = Array.from({ length: N }, (_, i) => sgRequest([sgEvent(i)]));
const BATCH = 100;
// N/10 requests of 100 events (10 N events): enough requests that the batch timing is not a few milliseconds
const sgBatches = Array.from({ length: Math.max(20, Math.floor(N / 10)) }, (_, b) => sgRequest(Array.from({ length: BATCH }, (_, k) => sgEvent(b * BATCH + k))));

const mgRequests = () =>
  Array.from({ length: N }, (_, i) => {
    const token = randomBytes(25).toString('hex');
    const signature = createHmac('sha256', MG_KEY).update(String(ts) + token).digest('hex');
    return { body: Buffer.from(JSON.stringify({ signature: { timestamp: String(ts), token, signature }, 'event-data': { ...mgFailed, id: `mg-${i}`, recipient: `user${i}@example.test` } })), headers: {} };
  });

// ---- measuring -----------------------------------------------------------------------------
async function intakeRate(provider, endpoint, requests, eventsPerRequest) {
  const intake = intakeOf();
  // warm: the certificate comes into the cache, the JIT sees the path
  const w = await intake.receive(provider, endpoint, requests[0], now);
  if (!w.ok || w.evidence.length === 0) throw new Error(`${provider}: ${JSON.stringify(w.ok ? w.skipped : w.refusal)}`);
  const rest = requests.slice(1);
  const t0 = performance.now();
  let evidence = 0;
  for (const r of rest) {
    const res = await intake.receive(provider, endpoint, r, now);
    if (!res.ok) throw new Error(`${provider}: refused ${res.refusal.code}`);
    evidence += res.evidence.length;
  }
  const s = (performance.now() - t0) / 1000;
  return { eventsPerSecond: (rest.length * eventsPerRequest) / s, evidence };
}

function baseline(fn, requests, eventsPerRequest) {
  for (const r of requests.slice(0, 50)) fn(r);
  const t0 = performance.now();
  for (const r of requests) if (!fn(r)) throw new Error('baseline did not verify');
  return (requests.length * eventsPerRequest) / ((performance.now() - t0) / 1000);
}

const rsaVerify = (r) => createVerify('RSA-SHA256').update(r.toSign, 'utf8').verify(snsPublic, r.sig);
const ecVerify = (r) => verify('sha256', r.signed, sg.publicKey, r.sig);

const runs = [];
for (let run = 1; run <= RUNS; run++) {
  const row = {};
  row.snsVerifyOnly = baseline(rsaVerify, snsRequests, 1);
  row.sns = (await intakeRate('ses', 'ses', snsRequests, 1)).eventsPerSecond;
  row.sgVerifyOnly = baseline(ecVerify, sgSingles, 1);
  row.sendgrid1 = (await intakeRate('sendgrid', 'sg', sgSingles, 1)).eventsPerSecond;
  row.sgBatchVerifyOnly = baseline(ecVerify, sgBatches, BATCH);
  row.sendgrid100 = (await intakeRate('sendgrid', 'sg', sgBatches, BATCH)).eventsPerSecond;
  row.mailgun = (await intakeRate('mailgun', 'mg', mgRequests(), 1)).eventsPerSecond;
  runs.push(row);
  console.log(`run ${run}: ${Object.entries(row).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}`);
}

const med = (k) => median(runs.map((r) => r[k]));
const result = {
  date: new Date().toISOString(),
  node: process.version,
  events: N,
  runs: RUNS,
  certificateFetches: fetches,
  medians: {
    snsEventsPerSecond: Math.round(med('sns')),
    snsRsaVerifyOnlyPerSecond: Math.round(med('snsVerifyOnly')),
    snsShareOfBaseline: round(med('sns') / med('snsVerifyOnly'), 2),
    sendgridEventsPerSecond1: Math.round(med('sendgrid1')),
    sendgridEcdsaVerifyOnlyPerSecond1: Math.round(med('sgVerifyOnly')),
    sendgridShareOfBaseline1: round(med('sendgrid1') / med('sgVerifyOnly'), 2),
    sendgridEventsPerSecond100: Math.round(med('sendgrid100')),
    sendgridEcdsaVerifyOnlyPerSecond100: Math.round(med('sgBatchVerifyOnly')),
    mailgunEventsPerSecond: Math.round(med('mailgun')),
  },
  all: runs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)]))),
};
console.log(JSON.stringify(result.medians, null, 2));
console.log(`certificate fetches over all runs: ${fetches} (one per run: the cache holds it)`);
mkdirSync(TMP, { recursive: true });
writeFileSync(join(TMP, 'esp.json'), JSON.stringify(result, null, 2));
