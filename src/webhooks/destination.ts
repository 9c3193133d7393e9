import dns from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';

// Webhook URLs are chosen by account holders. Without a check, an account key could make
// the daemon POST to loopback or private addresses and read the status codes back from the
// attempt log (server-side request forgery). By default only public unicast addresses are
// destinations (http.webhookAllowPrivateDestinations opens the others, e.g. for a receiver
// on the same host). Three checks, one rule (`nonPublicRange`):
//  - `destinationRefusal` at registration: an address literal, or a name resolving to such an
//    address, is refused with a stable code before the endpoint is stored;
//  - the same before every delivery attempt (the setting may have changed since);
//  - `guardedFetch` on the connection itself: an address literal is checked before the
//    socket opens (Node does no look-up for literals), a name in the look-up the connection
//    uses, so a DNS answer that changes between the checks (DNS rebinding) is caught there.
//
// The rule is an allow-list: an IPv4 address must be ordinary unicast (not in any of the
// IANA special-purpose ranges ipaddr.js knows: RFC 6890, 1918, 3927, 6598, 5737, 2544 ...),
// an IPv6 address must be global unicast (2000::/3) outside every special range. Addresses
// that carry an IPv4 address are judged by that address: IPv4-mapped (::ffff:a.b.c.d, which
// a dual-stack socket connects to a.b.c.d), SIIT (::ffff:0:a.b.c.d), NAT64's well-known
// prefix 64:ff9b::/96 (RFC 6052) and 6to4 (2002::/16, RFC 3056). The local-use NAT64 prefix
// 64:ff9b:1::/48 (RFC 8215) is refused: where it leads is the local network's choice.

const V6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

function v4Range(ip: ipaddr.IPv4): string | null {
  const range = ip.range();
  return range === 'unicast' ? null : range;
}

function embeddedV4(parts: number[], hi: number, prefix: string): string | null {
  const v4 = new ipaddr.IPv4([parts[hi]! >> 8, parts[hi]! & 0xff, parts[hi + 1]! >> 8, parts[hi + 1]! & 0xff]);
  const range = v4Range(v4);
  return range ? `${prefix} ${v4.toString()}: ${range}` : null;
}

/** Null for a public unicast address; else the name of its range (`loopback`, `private`, ...). */
export function nonPublicRange(address: string): string | null {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return 'not an IP address';
  }
  if (ip.kind() === 'ipv4') return v4Range(ip as ipaddr.IPv4);
  const v6 = ip as ipaddr.IPv6;
  const range = v6.range();
  switch (range) {
    case 'ipv4Mapped':
      return embeddedV4(v6.parts, 6, 'IPv4-mapped');
    case 'rfc6145':
      return embeddedV4(v6.parts, 6, 'IPv4-translated');
    case 'rfc6052':
      return v6.match(NAT64_WELL_KNOWN) ? embeddedV4(v6.parts, 6, 'NAT64') : 'NAT64 local-use prefix';
    case '6to4':
      return embeddedV4(v6.parts, 1, '6to4');
    case 'unicast':
      // Outside 2000::/3 nothing is assigned for ordinary use (::/96 IPv4-compatible, ...).
      return v6.match(V6_GLOBAL_UNICAST) ? null : 'reserved';
    default:
      return range;
  }
}

export function isPrivateAddress(address: string): boolean {
  return nonPublicRange(address) !== null;
}

/** Stable codes of a refused destination (the API answers them; see src/api/errors.ts). */
export type DestinationRefusalCode = 'destination_not_public' | 'destination_unresolvable' | 'destination_invalid';
export interface DestinationRefusal {
  code: DestinationRefusalCode;
  message: string;
}

const notPublic = (address: string, range: string): DestinationRefusal => ({
  code: 'destination_not_public',
  message: `destination ${address} is not a public address (${range}); see http.webhookAllowPrivateDestinations`,
});

/**
 * Null when the URL may be called; otherwise why not. Names are resolved: one that does not
 * exist is refused (`destination_unresolvable`); a temporary resolver failure is not a
 * refusal (the connection's own look-up is checked again).
 */
export async function destinationRefusal(url: string): Promise<DestinationRefusal | null> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return { code: 'destination_invalid', message: 'not a URL' };
  }
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((r) => r.address);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'ENOTFOUND' || code === 'ENODATA') return { code: 'destination_unresolvable', message: `cannot resolve ${host}: ${code}` };
      return null;
    }
  }
  for (const a of addresses) {
    const range = nonPublicRange(a);
    if (range) return notPublic(a, range);
  }
  return null;
}

/** The dispatcher's pre-check: null when allowed, else the reason. */
export async function checkDestination(url: string): Promise<string | null> {
  return (await destinationRefusal(url))?.message ?? null;
}

/** The error a refused connection fails with (its code says it was our refusal, not the network). */
export const REFUSED_CODE = 'EPRIVATEDEST';
const refusedError = (address: string, range: string) => Object.assign(new Error(notPublic(address, range).message), { code: REFUSED_CODE });

/** dns.lookup for outgoing connections that fails on a non-public answer. */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    for (const a of addresses) {
      const range = nonPublicRange(a.address);
      if (range) return callback(refusedError(a.address, range), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

const connectWithLookup = buildConnector({ lookup: guardedLookup } as buildConnector.BuildOptions);
/** undici's connector, refusing an address literal before any socket is opened. */
export const guardedConnect: buildConnector.connector = (opts, callback) => {
  const range = isIP(opts.hostname) ? nonPublicRange(opts.hostname) : null;
  if (range) return callback(refusedError(opts.hostname, range), null);
  connectWithLookup(opts, callback);
};

const guardedAgent = new Agent({ connect: guardedConnect });

/** fetch whose connections only reach public addresses (literals and names, as they are connected). */
export const guardedFetch: typeof fetch = ((url: string, init?: RequestInit) =>
  undiciFetch(url, { ...(init as object), dispatcher: guardedAgent })) as unknown as typeof fetch;
