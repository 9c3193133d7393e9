import dns from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

// Webhook URLs are chosen by account holders. Without a check, an account key could make
// the daemon POST to loopback or private addresses and read the status codes back from the
// attempt log (server-side request forgery). By default such destinations are refused
// (http.webhookAllowPrivateDestinations opens them, e.g. for a receiver on the same host).
// Two checks: `checkDestination` refuses a URL before any request (an address literal, or a
// name resolving to such an address), and `guardedFetch` checks the address each connection
// actually goes to, in the look-up the connection itself uses: a DNS answer that changes
// between the two (DNS rebinding) is caught there.

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
  return bad ? refusal(bad) : null;
}

const refusal = (address: string) => `destination ${address} is a loopback or private address (http.webhookAllowPrivateDestinations)`;

/** dns.lookup for outgoing connections that fails on a loopback or private answer. */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(Object.assign(new Error(refusal(bad.address)), { code: 'EPRIVATEDEST' }), '', 0);
    if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

const guardedAgent = new Agent({ connect: { lookup: guardedLookup } });

/** fetch whose connections only reach public addresses (names are checked as they are connected). */
export const guardedFetch: typeof fetch = ((url: string, init?: RequestInit) =>
  undiciFetch(url, { ...(init as object), dispatcher: guardedAgent })) as unknown as typeof fetch;
