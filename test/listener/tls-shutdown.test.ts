// STARTTLS is offered only with a configured certificate (an inbound MX never uses
// smtp-server's built-in, publicly known key), and SIGTERM stops the daemon within 8 s even
// with a client session open.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { spawnDaemon } from '../helpers/child.js';
import { BOUNCE_DOMAIN, TEST_SECRET, testConfig, tmpDir } from '../helpers/env.js';

let daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons) await d.stop();
  daemons = [];
});

function ehlo(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    sock.on('data', (b) => {
      buf += b.toString();
      if (/^220 /m.test(buf) && !buf.includes('EHLO-SENT')) {
        buf += 'EHLO-SENT\n';
        sock.write('EHLO client.example.org\r\n');
      } else if (/^250 /m.test(buf.split('EHLO-SENT')[1] ?? '')) {
        sock.end('QUIT\r\n');
        resolve(buf.split('EHLO-SENT')[1]!);
      }
    });
    sock.on('error', reject);
  });
}

function selfSigned(): { key: string; cert: string } {
  const dir = tmpDir('bounced-tls-');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=bounced.test'], { stdio: 'ignore' });
  return { key, cert };
}

describe('STARTTLS', () => {
  it('is not offered without a certificate, and AUTH never is', async () => {
    const d = await startDaemon(testConfig(), createLogger('silent'));
    daemons.push(d);
    const caps = await ehlo(d.smtpAddress.port);
    expect(caps).not.toMatch(/STARTTLS/);
    expect(caps).not.toMatch(/AUTH/);
    expect(caps).toMatch(/SIZE \d+/);
  });

  it('is offered with a configured certificate and carries a message', async () => {
    const { key, cert } = selfSigned();
    const d = await startDaemon(testConfig({ smtp: { port: 0, tlsKeyFile: key, tlsCertFile: cert } }), createLogger('silent'));
    daemons.push(d);
    const caps = await ehlo(d.smtpAddress.port);
    expect(caps).toMatch(/STARTTLS/);
    expect(caps).not.toMatch(/AUTH/);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: d.smtpAddress.port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false } });
    const info = await transport.sendMail({ envelope: { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, raw: 'Subject: over TLS\r\n\r\nhello\r\n' });
    transport.close();
    expect(info.response).toMatch(/^250 /);
  });
});

describe('shutdown', () => {
  it('SIGTERM stops the daemon within 8 s, exit code 0, even with a session open', async () => {
    const child = await spawnDaemon({ BOUNCED_DATA_DIR: tmpDir(), BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN });
    const sock = net.connect(child.smtpPort, '127.0.0.1');
    await new Promise((r) => sock.once('data', r)); // greeted, then idle
    const t0 = Date.now();
    child.proc.kill('SIGTERM');
    const code = await child.exited;
    sock.destroy();
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(child.log()).toMatch(/"evt":"STOPPED"/);
  });
});
