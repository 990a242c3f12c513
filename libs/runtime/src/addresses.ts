import net from 'node:net';

/**
 * Addresses a server-side request (a webhook) must not reach in production: every range of the IANA
 * IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and updates), multicast, and — for IPv6 —
 * everything outside global unicast 2000::/3, which takes in every IPv4-in-IPv6 form (mapped,
 * compatible, SIIT) and NAT64, whatever IPv4 address they carry. The API refuses URLs that visibly
 * name one; the worker checks the address it actually connects to (a public name can resolve to a
 * private address, or start to after a check: DNS rebinding).
 *
 * The one list of such ranges; matching is Node's own `net.BlockList`.
 */
export const SPECIAL_PURPOSE_RANGES: ReadonlyArray<{ network: string; prefix: number; name: string }> = [
  // IPv4 (IANA IPv4 Special-Purpose Address Registry, multicast, reserved).
  { network: '0.0.0.0', prefix: 8, name: '"this network" (0.0.0.0 reaches the host itself)' },
  { network: '10.0.0.0', prefix: 8, name: 'private-use' },
  { network: '100.64.0.0', prefix: 10, name: 'shared address space (carrier-grade NAT)' },
  { network: '127.0.0.0', prefix: 8, name: 'loopback' },
  { network: '169.254.0.0', prefix: 16, name: 'link-local (cloud metadata services)' },
  { network: '172.16.0.0', prefix: 12, name: 'private-use' },
  { network: '192.0.0.0', prefix: 24, name: 'IETF protocol assignments' },
  { network: '192.0.2.0', prefix: 24, name: 'documentation (TEST-NET-1)' },
  { network: '192.31.196.0', prefix: 24, name: 'AS112-v4' },
  { network: '192.52.193.0', prefix: 24, name: 'AMT' },
  { network: '192.88.99.0', prefix: 24, name: 'deprecated 6to4 relay anycast' },
  { network: '192.168.0.0', prefix: 16, name: 'private-use' },
  { network: '192.175.48.0', prefix: 24, name: 'direct delegation AS112 service' },
  { network: '198.18.0.0', prefix: 15, name: 'benchmarking' },
  { network: '198.51.100.0', prefix: 24, name: 'documentation (TEST-NET-2)' },
  { network: '203.0.113.0', prefix: 24, name: 'documentation (TEST-NET-3)' },
  { network: '224.0.0.0', prefix: 4, name: 'multicast' },
  { network: '240.0.0.0', prefix: 4, name: 'reserved, and the limited broadcast 255.255.255.255' },
  // IPv6 (IANA IPv6 Special-Purpose Address Registry and Address Space), most specific first.
  { network: '::', prefix: 128, name: 'unspecified' },
  { network: '::1', prefix: 128, name: 'loopback' },
  { network: '::', prefix: 96, name: 'IPv4-compatible (deprecated)' },
  { network: '::ffff:0:0', prefix: 96, name: 'IPv4-mapped' },
  { network: '::ffff:0:0:0', prefix: 96, name: 'IPv4-translated (SIIT)' },
  { network: '64:ff9b::', prefix: 96, name: 'IPv4/IPv6 translation (NAT64)' },
  { network: '64:ff9b:1::', prefix: 48, name: 'local-use IPv4/IPv6 translation (NAT64)' },
  { network: '100::', prefix: 64, name: 'discard-only' },
  { network: '100:0:0:1::', prefix: 64, name: 'dummy prefix' },
  { network: '2001::', prefix: 23, name: 'IETF protocol assignments (Teredo, benchmarking, ORCHID…)' },
  { network: '2001:db8::', prefix: 32, name: 'documentation' },
  { network: '2002::', prefix: 16, name: '6to4' },
  { network: '2620:4f:8000::', prefix: 48, name: 'direct delegation AS112 service' },
  { network: '3fff::', prefix: 20, name: 'documentation' },
  { network: '5f00::', prefix: 16, name: 'segment routing (SRv6) SIDs' },
  { network: 'fc00::', prefix: 7, name: 'unique local' },
  { network: 'fe80::', prefix: 10, name: 'link-local' },
  { network: 'fec0::', prefix: 10, name: 'site-local (deprecated)' },
  { network: 'ff00::', prefix: 8, name: 'multicast' },
  // Not global unicast at all: the complement of 2000::/3.
  { network: '::', prefix: 3, name: 'not global unicast (outside 2000::/3)' },
  { network: '4000::', prefix: 2, name: 'not global unicast (outside 2000::/3)' },
  { network: '8000::', prefix: 1, name: 'not global unicast (outside 2000::/3)' },
];

// One BlockList per range, so an answer can name the range. Rules and addresses are matched within one
// family only: a BlockList matches an IPv4 address against IPv6 rules through its mapped form
// (::ffff:a.b.c.d), so the catch-all IPv6 rules above would otherwise refuse every IPv4 address.
const RULES = SPECIAL_PURPOSE_RANGES.map(({ network, prefix, name }) => {
  const family = net.isIPv4(network) ? 'ipv4' : 'ipv6';
  const list = new net.BlockList();
  list.addSubnet(network, prefix, family);
  return { family, list, name };
});

/**
 * The special-purpose range an IP address literal is in (its name), or undefined when it is none.
 * Undefined for names too: the caller resolves them and checks each address.
 */
export function specialPurposeRange(address: string): string | undefined {
  const version = net.isIP(address);
  if (version === 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  try {
    return RULES.find((rule) => rule.family === family && rule.list.check(address, family))?.name;
  } catch {
    // Something net.isIP accepts but BlockList cannot parse (a zone index): refused, not waved through.
    return 'unparsable address';
  }
}

/** True for an IP address literal a webhook must not reach (see SPECIAL_PURPOSE_RANGES). */
export const isPrivateAddress = (address: string): boolean => specialPurposeRange(address) !== undefined;
