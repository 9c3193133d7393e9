import ipaddr from 'ipaddr.js';

// The unit a per-client limit counts (SMTP connections, unauthenticated HTTP requests). An
// IPv4 address is one client. An IPv6 client is its /64: that is what one site or host gets
// (RFC 6177, RFC 4291 §2.5.4's 64-bit interface identifiers), and counting single addresses
// would let one host take 2^64 turns. An IPv4-mapped IPv6 address (what a dual-stack socket
// reports for an IPv4 peer) is its IPv4 address.

// The last address asked and its key: every API request asks (the failed-authentication limit
// reads its client's bucket), and consecutive requests mostly come from the same few clients;
// parsing with ipaddr.js each time was about 1 us of the pre-send check (issue #20).
let lastAddress: string | null = null;
let lastKey = '';

export function clientKey(address: string): string {
  if (address === lastAddress) return lastKey;
  const key = keyOf(address);
  lastAddress = address;
  lastKey = key;
  return key;
}

function keyOf(address: string): string {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.process(address);
  } catch {
    return address; // not an address (a Unix socket, a test double): itself
  }
  if (ip.kind() === 'ipv4') return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts;
  return `${parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
}

/** True for an IP address or CIDR range ipaddr.js can read (config validation). */
export function isAddressOrRange(text: string): boolean {
  return ipaddr.isValid(text) || isCidr(text);
}

function isCidr(text: string): boolean {
  try {
    ipaddr.parseCIDR(text);
    return true;
  } catch {
    return false;
  }
}

/** A test for membership in a list of addresses and CIDR ranges (IPv4-mapped addresses unwrapped). */
export function addressMatcher(list: readonly string[]): (address: string) => boolean {
  if (list.length === 0) return () => false;
  const ranges = list.map((entry) => {
    if (isCidr(entry)) return ipaddr.parseCIDR(entry);
    const ip = ipaddr.process(entry);
    return [ip, ip.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
  });
  return (address) => {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.process(address);
    } catch {
      return false;
    }
    return ranges.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net as never, bits));
  };
}
