import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

/**
 * Where Patron may deliver a webhook (outbound events, issue 12): a subscriber's URL must not let
 * a caller make Patron's functions reach the cloud's metadata service, the VPC, or loopback
 * (server-side request forgery). The URL is parsed by the WHATWG parser (which already turns
 * `2130706433`, `0x7f.1` and `0177.0.0.1` into 127.0.0.1), then:
 * - the scheme is `https` (`http` only for loopback, and only where `allowLocalHttp`: the local
 *   stack's demo receiver);
 * - it carries no user name or password;
 * - the host is not a name reserved for local or metadata use;
 * - every address the host is or resolves to is public: not in BLOCKED_RANGES (private, loopback,
 *   link-local with the metadata address, carrier-grade NAT, documentation, multicast, reserved;
 *   IPv4 inside IPv6 (mapped, NAT64) is checked as IPv4).
 * A delivery must check again right before it connects, to the address it connects to: DNS can
 * answer differently later (rebinding). node:net's BlockList does the range matching.
 */
export const BLOCKED_RANGES: readonly (readonly [string, number, 'ipv4' | 'ipv6'])[] = [
  ['0.0.0.0', 8, 'ipv4'], // "this network"
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'], // link-local: 169.254.169.254 is EC2's and ECS's metadata service
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['192.88.99.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved, and the broadcast address
  ['::', 96, 'ipv6'], // unspecified, loopback and IPv4-compatible (::a.b.c.d, deprecated, still routed by some stacks)
  ['::ffff:0:0:0', 96, 'ipv6'], // SIIT-translated IPv4 (::ffff:0:a.b.c.d)
  ['64:ff9b:1::', 48, 'ipv6'], // local-use NAT64
  ['2001::', 32, 'ipv6'], // Teredo (carries an IPv4 address)
  ['2002::', 16, 'ipv6'], // 6to4 (carries an IPv4 address)
  ['100::', 64, 'ipv6'], // discard
  ['2001:db8::', 32, 'ipv6'], // documentation
  ['fc00::', 7, 'ipv6'], // unique local (fd00:ec2::254 is EC2's IPv6 metadata address)
  ['fe80::', 10, 'ipv6'], // link-local
  ['ff00::', 8, 'ipv6'], // multicast
];

const BLOCKED = new BlockList();
for (const [address, prefix, family] of BLOCKED_RANGES) BLOCKED.addSubnet(address, prefix, family);

/** Host names that are local or metadata endpoints whatever DNS says. */
const RESERVED_NAMES = [/^localhost$/, /\.localhost$/, /\.local$/, /\.internal$/, /^metadata$/, /^instance-data$/];

export type UrlVerdict = { ok: true; url: URL; addresses: string[] } | { ok: false; reason: string };

export interface UrlGuardOptions {
  /** The local stack: `http://localhost` (and loopback addresses) are allowed, for the demo receiver. */
  allowLocalHttp?: boolean;
  /** Every address of a host name (default: the system resolver, A and AAAA). */
  resolve?: (host: string) => Promise<string[]>;
}

const systemResolve = async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The IPv4 address inside an IPv6 one (mapped ::ffff:a.b.c.d or NAT64 64:ff9b::/96), if any. */
export function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^64:ff9b::(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return mapped[1];
  const hex = /^(?:::ffff|64:ff9b:):([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const [hi, lo] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** Whether Patron must not connect to this address. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    return v4 !== undefined ? BLOCKED.check(v4, 'ipv4') : BLOCKED.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse rather than guess
}

const isLoopback = (address: string) => address === '::1' || /^127\./.test(address) || embeddedIpv4(address)?.startsWith('127.') === true;

export async function checkDeliveryUrl(raw: string, options: UrlGuardOptions = {}): Promise<UrlVerdict> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'must not carry a user name or password' };
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const local = options.allowLocalHttp === true;
  const localHttp = local && url.protocol === 'http:' && (host === 'localhost' || (isIP(host) !== 0 && isLoopback(host)));
  if (url.protocol !== 'https:' && !localHttp) {
    return { ok: false, reason: local ? 'must be https (or http on localhost)' : 'must be https' };
  }
  if (localHttp) return { ok: true, url, addresses: [host === 'localhost' ? '127.0.0.1' : host] };
  if (!host || RESERVED_NAMES.some((name) => name.test(host.replace(/\.$/, '')))) {
    return { ok: false, reason: `host '${host}' is a local or metadata name` };
  }
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = await (options.resolve ?? systemResolve)(host);
    } catch {
      return { ok: false, reason: `host '${host}' does not resolve` };
    }
    if (!addresses.length) return { ok: false, reason: `host '${host}' does not resolve` };
  }
  const blocked = addresses.find(isBlockedAddress);
  if (blocked) return { ok: false, reason: `host '${host}' is a private, loopback, link-local or reserved address (${blocked})` };
  return { ok: true, url, addresses };
}
