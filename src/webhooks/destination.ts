import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

// Webhook URLs are chosen by account holders. Without a check, an account key could make
// the daemon POST to loopback or private addresses and read the status codes back from the
// attempt log (server-side request forgery). By default such destinations are refused
// (http.webhookAllowPrivateDestinations opens them, e.g. for a receiver on the same host).
// The name is resolved here and again by fetch: a DNS answer that changes in between (DNS
// rebinding) is not caught; pinning the address needs an HTTP agent of our own.

const V4_PRIVATE: Array<[number, number]> = [
  [0x00000000, 8], // 0.0.0.0/8 "this network"
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10 carrier-grade NAT
  [0x7f000000, 8], // 127/8 loopback
  [0xa9fe0000, 16], // 169.254/16 link-local (cloud metadata)
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
  [0xe0000000, 3], // multicast and reserved
];

function v4ToInt(a: string): number {
  return a.split('.').reduce((n, p) => (n << 8) + Number(p), 0) >>> 0;
}

export function isPrivateAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 4) {
    const n = v4ToInt(address);
    return V4_PRIVATE.some(([base, bits]) => (n >>> (32 - bits)) === (base >>> (32 - bits)));
  }
  if (v === 6) {
    const a = address.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    if (mapped) return isPrivateAddress(mapped[1]!);
    return a === '::' || a === '::1' || /^f[cd]/.test(a) || /^fe[89ab]/.test(a);
  }
  return true; // not an address at all: refuse
}

/** Null when the URL may be called; otherwise why not. */
export async function checkDestination(url: string): Promise<string | null> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return 'not a URL';
  }
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((r) => r.address);
    } catch (err) {
      return `cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`;
    }
  }
  const bad = addresses.find(isPrivateAddress);
  return bad ? `destination ${bad} is a loopback or private address (http.webhookAllowPrivateDestinations)` : null;
}
