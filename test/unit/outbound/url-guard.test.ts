import fc from 'fast-check';
import { checkDeliveryUrl, embeddedIpv4, isBlockedAddress } from '../../../layers/core/src/outbound/url-guard.js';

/** A resolver that answers from a table, so no test depends on the network. */
const dns =
  (table: Record<string, string[]>) =>
  async (host: string): Promise<string[]> => {
    const found = table[host];
    if (!found) throw new Error('ENOTFOUND');
    return found;
  };
const resolve = dns({
  'hooks.example.org': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'rebind.example.org': ['93.184.216.34', '169.254.169.254'],
  'internal.example.org': ['10.0.0.7'],
  'v6only.example.org': ['fd00:ec2::254'],
});
const reasonOf = async (url: string, allowLocalHttp = false) => {
  const v = await checkDeliveryUrl(url, { resolve, allowLocalHttp });
  return v.ok ? 'ok' : v.reason;
};

describe('the delivery URL guard (SSRF)', () => {
  it('accepts https to a public host, with every address it resolves to', async () => {
    const v = await checkDeliveryUrl('https://hooks.example.org/patron?x=1', { resolve });
    expect(v).toMatchObject({ ok: true, addresses: ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'] });
  });

  it.each([
    ['http://hooks.example.org/', 'must be https'],
    ['ftp://hooks.example.org/', 'must be https'],
    ['https://user:pw@hooks.example.org/', 'must not carry a user name or password'],
    ['https://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['https://2130706433/', '127.0.0.1'], // the WHATWG parser reads it as 127.0.0.1
    ['https://0x7f.1/', '127.0.0.1'],
    ['https://[::1]/', '::1'],
    ['https://[::ffff:169.254.169.254]/', 'reserved address'],
    ['https://[fd00:ec2::254]/', 'fd00:ec2::254'],
    ['https://localhost/', 'local or metadata name'],
    ['https://metadata.google.internal/', 'local or metadata name'],
    ['https://printer.local/', 'local or metadata name'],
    ['https://internal.example.org/', '10.0.0.7'],
    ['https://rebind.example.org/', '169.254.169.254'],
    ['https://v6only.example.org/', 'fd00:ec2::254'],
    ['https://nowhere.example.org/', 'does not resolve'],
    ['not a url', 'is not a URL'],
  ])('refuses %s, saying why', async (url, why) => {
    expect(await reasonOf(url)).toContain(why);
  });

  it('allows http on loopback only where the local stack asks for it (the demo receiver)', async () => {
    expect(await reasonOf('http://localhost:4000/hook', true)).toBe('ok');
    expect(await reasonOf('http://127.0.0.1:4000/hook', true)).toBe('ok');
    expect(await reasonOf('http://localhost:4000/hook')).toBe('must be https');
    expect(await reasonOf('http://hooks.example.org/', true)).toBe('must be https (or http on localhost)');
    expect(await reasonOf('http://10.0.0.1/', true)).toBe('must be https (or http on localhost)');
  });

  it('reads IPv4 inside IPv6 (mapped, NAT64) as IPv4', () => {
    expect(embeddedIpv4('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(embeddedIpv4('::ffff:a01:203')).toBe('10.1.2.3');
    expect(embeddedIpv4('64:ff9b::a9fe:a9fe')).toBe('169.254.169.254');
    expect(isBlockedAddress('64:ff9b::a9fe:a9fe')).toBe(true);
    expect(isBlockedAddress('::ffff:8.8.8.8')).toBe(false);
    expect(isBlockedAddress('not-an-address')).toBe(true);
  });

  it('blocks the IPv6 forms that carry an IPv4 address: compatible, SIIT, local NAT64, 6to4, Teredo (found by the outside probe)', () => {
    for (const address of [
      '::a9fe:a9fe',
      '::127.0.0.1',
      '::ffff:0:a9fe:a9fe',
      '64:ff9b:1::a9fe:a9fe',
      '2002:a9fe:a9fe::',
      '2001:0:4136:e378::1',
    ])
      expect({ address, blocked: isBlockedAddress(address) }).toEqual({ address, blocked: true });
    // Ordinary public IPv6 stays allowed.
    expect(isBlockedAddress('2606:4700:4700::1111')).toBe(false);
  });

  it('blocks every address of the private, loopback and link-local ranges, and lets public ones through (property)', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const inRange = fc.oneof(
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `10.${b}.${c}.${d}`),
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `127.${b}.${c}.${d}`),
      fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([b, c, d]) => `172.${b}.${c}.${d}`),
      fc.tuple(octet, octet).map(([c, d]) => `192.168.${c}.${d}`),
      fc.tuple(octet, octet).map(([c, d]) => `169.254.${c}.${d}`),
      fc.tuple(fc.integer({ min: 64, max: 127 }), octet, octet).map(([b, c, d]) => `100.${b}.${c}.${d}`),
    );
    fc.assert(fc.property(inRange, (address) => isBlockedAddress(address) && isBlockedAddress(`::ffff:${address}`)));
    // 11.x-99.x (less 100.64/10 and the like) are public unicast.
    const publicV4 = fc.tuple(fc.integer({ min: 11, max: 99 }), octet, octet, fc.integer({ min: 1, max: 254 })).map((p) => p.join('.'));
    fc.assert(fc.property(publicV4, (address) => !isBlockedAddress(address)));
  });
});
