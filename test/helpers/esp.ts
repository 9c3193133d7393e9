// Test helpers for ESP intake: keys and certificates made here (openssl for X.509), a loopback
// HTTPS server standing in for sns.<region>.amazonaws.com, and the providers' signing done the
// way their documentation describes, so that the verifiers meet the real algorithms.
import { execFileSync } from 'node:child_process';
import { createHmac, createSign, generateKeyPairSync, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fixturesDir, tmpDir } from './env.js';
import { snsStringToSign, type SnsEnvelope } from '../../src/esp/sns.js';

export const FIXTURES = join(fixturesDir, 'esp');

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** A self-signed certificate and its RSA key, made by openssl in a temporary directory. */
export interface SelfSigned {
  certPem: string;
  keyPem: string;
}

export function selfSigned(cn: string, san: string | null = null, days = 2, keyType: 'rsa' | 'ec' = 'rsa'): SelfSigned {
  const dir = tmpDir('esp-cert-');
  try {
    const newkey = keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
    const args = ['req', '-x509', ...newkey, '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', String(days), '-subj', `/CN=${cn}`];
    if (san) args.push('-addext', `subjectAltName=${san}`);
    execFileSync('openssl', args, { stdio: 'ignore' });
    return { certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// A loopback "SNS": serves certificates by path, records SubscribeURL visits

export interface FakeSns {
  /** `127.0.0.1:<port>`: what the endpoint's certHosts name. */
  host: string;
  /** The TLS certificate of the server itself (trust it in the fetcher). */
  tlsCert: string;
  /** Paths requested, in order. */
  requests: string[];
  /** path -> PEM (or a status code). */
  files: Map<string, string | number>;
  close(): Promise<void>;
}

export async function startFakeSns(): Promise<FakeSns> {
  const tls = selfSigned('127.0.0.1', 'IP:127.0.0.1');
  const files = new Map<string, string | number>();
  const requests: string[] = [];
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    requests.push(req.url ?? '/');
    if (url.searchParams.get('Action') === 'ConfirmSubscription') {
      res.writeHead(200, { 'content-type': 'text/xml' });
      return res.end('<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn:aws:sns:eu-west-1:111122223333:bounces:1</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>');
    }
    const f = files.get(url.pathname);
    if (typeof f === 'string') {
      res.writeHead(200, { 'content-type': 'application/x-x509-ca-cert' });
      return res.end(f);
    }
    res.writeHead(typeof f === 'number' ? f : 404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    tlsCert: tls.certPem,
    requests,
    files,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------
// Signing as the providers do

export const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:ses-bounces';

/** An SNS envelope around `message`, signed with `keyPem` (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA). */
export function snsEnvelope(
  fields: Partial<SnsEnvelope> & { Type: SnsEnvelope['Type']; SigningCertURL: string },
  keyPem: string,
  version: '1' | '2' = '2',
): SnsEnvelope & Record<string, string> {
  const env = {
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: TOPIC,
    Message: '{}',
    Timestamp: '2026-11-20T08:41:03.000Z',
    SignatureVersion: version,
    Signature: '',
    ...fields,
  } as SnsEnvelope & Record<string, string>;
  const s = createSign(version === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
  s.update(snsStringToSign(env), 'utf8');
  env.Signature = s.sign(keyPem, 'base64');
  return env;
}

export function notification(message: unknown, certUrl: string, keyPem: string, version: '1' | '2' = '2', extra: Partial<SnsEnvelope> = {}): Buffer {
  const env = snsEnvelope({ Type: 'Notification', Message: typeof message === 'string' ? message : JSON.stringify(message), SigningCertURL: certUrl, ...extra }, keyPem, version);
  return Buffer.from(JSON.stringify({ ...env, UnsubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x' }));
}

/** SendGrid: ECDSA P-256 key pair; the public key as SendGrid shows it (base64 DER SPKI). */
export function sendgridKeys(): { privateKey: KeyObject; publicKeyBase64: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKey,
    publicKeyBase64: (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).toString('base64'),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
}

export function sendgridHeaders(body: Buffer, privateKey: KeyObject, timestamp: number): Record<string, string> {
  const sig = cryptoSign('sha256', Buffer.concat([Buffer.from(String(timestamp)), body]), privateKey);
  return {
    'x-twilio-email-event-webhook-signature': sig.toString('base64'),
    'x-twilio-email-event-webhook-timestamp': String(timestamp),
    'content-type': 'application/json',
  };
}

/** Mailgun: the body with its `signature` object (HMAC-SHA256 of timestamp + token). */
export function mailgunBody(eventData: unknown, signingKey: string, timestamp: number, token = randomBytes(25).toString('hex')): Buffer {
  const signature = createHmac('sha256', signingKey).update(String(timestamp) + token).digest('hex');
  return Buffer.from(JSON.stringify({ signature: { timestamp: String(timestamp), token, signature }, 'event-data': eventData }));
}

export function basicAuth(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}
