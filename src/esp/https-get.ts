// A bounded HTTPS GET for the two requests SNS makes us send: fetching a signing certificate
// and visiting a SubscribeURL. Both URLs are checked against the allowed hosts before this is
// called (src/esp/sns.ts). Here: https only, no redirects (a 3xx is an error: the check was
// made for this URL, not another), a time limit, and a byte limit on the answer.
import { get } from 'node:https';

export interface HttpsGetOptions {
  /** Whole-request time limit (ms). Default 5 s. */
  timeoutMs?: number;
  /** Bytes of answer read at most. Default 64 KiB (a certificate is about 2 KiB). */
  maxBytes?: number;
  /** Extra trusted CA certificates (PEM); tests trust their own loopback server this way. */
  ca?: string | Buffer | Array<string | Buffer>;
}

export class HttpsGetError extends Error {
  override readonly name = 'HttpsGetError';
}

export function httpsGet(url: string, opts: HttpsGetOptions = {}): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxBytes = opts.maxBytes ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return reject(new HttpsGetError('not a URL'));
    }
    if (u.protocol !== 'https:') return reject(new HttpsGetError('not https'));
    const req = get(u, { ca: opts.ca, timeout: timeoutMs, headers: { accept: '*/*', 'user-agent': 'bounced' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        res.resume();
        req.destroy();
        return reject(new HttpsGetError(`HTTP ${status}`));
      }
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.destroy();
          return reject(new HttpsGetError(`answer over ${maxBytes} bytes`));
        }
        parts.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', (err) => reject(new HttpsGetError(err.message)));
    });
    const timer = setTimeout(() => req.destroy(new HttpsGetError(`no answer in ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new HttpsGetError(`idle for ${timeoutMs} ms`)));
    req.on('error', (err) => reject(err instanceof HttpsGetError ? err : new HttpsGetError(err.message)));
  });
}

/** A CertFetcher (src/esp/sns.ts) over httpsGet. */
export function httpsCertFetcher(opts: HttpsGetOptions = {}): (url: string) => Promise<string> {
  return async (url) => (await httpsGet(url, opts)).toString('utf8');
}

/** Visits a SubscribeURL (SNS confirms the subscription when it is fetched); the answer is read and dropped. */
export function httpsVisitor(opts: HttpsGetOptions = {}): (url: string) => Promise<void> {
  return async (url) => {
    await httpsGet(url, opts);
  };
}
