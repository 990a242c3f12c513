import net from 'node:net';
import { isPrivateAddress, SPECIAL_PURPOSE_RANGES, specialPurposeRange } from './addresses';

describe('webhook address policy', () => {
  // One address in (and, where it matters, at both ends of) each range the issue and the IANA
  // special-purpose registries list.
  it.each([
    ['0.0.0.0', '"this network"'],
    ['0.255.255.255', '"this network"'],
    ['10.1.2.3', 'private-use'],
    ['100.64.0.1', 'shared address space'],
    ['100.127.255.255', 'shared address space'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private-use'],
    ['172.31.255.255', 'private-use'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.2.1', 'TEST-NET-1'],
    ['192.31.196.1', 'AS112-v4'],
    ['192.52.193.1', 'AMT'],
    ['192.88.99.1', '6to4 relay'],
    ['192.168.1.1', 'private-use'],
    ['192.175.48.1', 'AS112'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'TEST-NET-2'],
    ['203.0.113.9', 'TEST-NET-3'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'limited broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::7f00:1', 'IPv4-compatible'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::8.8.8.8', 'IPv4-compatible'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
    ['::ffff:0:7f00:1', 'SIIT'],
    ['::ffff:0:808:808', 'SIIT'],
    ['64:ff9b::7f00:1', 'NAT64'],
    ['64:ff9b::8.8.8.8', 'NAT64'],
    ['64:ff9b:1::a00:1', 'NAT64'],
    ['100::1', 'discard-only'],
    ['2001::1', 'IETF protocol assignments'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['2001:2::1', 'IETF protocol assignments'],
    ['2001:1ff:ffff::1', 'IETF protocol assignments'],
    ['2001:db8::1', 'documentation'],
    ['2002:7f00:1::1', '6to4'],
    ['2620:4f:8000::1', 'AS112'],
    ['3fff::1', 'documentation'],
    ['5f00::1', 'SRv6'],
    ['fc00::1', 'unique local'],
    ['fd00::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['1234::1', 'not global unicast'],
    ['4000::1', 'not global unicast'],
  ])('refuses %s (%s)', (address, range) => {
    expect(isPrivateAddress(address)).toBe(true);
    expect(specialPurposeRange(address)?.toLowerCase()).toContain(range.toLowerCase().split(' (')[0]);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.1',
    '192.0.1.1',
    '192.88.98.1',
    '192.169.0.1',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2001:4860:4860::8888',
    '2001:200::1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '3ffe::1',
  ])('allows %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
    expect(specialPurposeRange(address)).toBeUndefined();
  });

  it('does not judge names, only addresses', () => expect(isPrivateAddress('localhost')).toBe(false));

  it('refuses a link-local literal with a zone index', () => expect(isPrivateAddress('fe80::1%eth0')).toBe(true));

  it('lists only valid networks, each inside its own range', () => {
    for (const { network, prefix } of SPECIAL_PURPOSE_RANGES) {
      const family = net.isIPv4(network) ? 'ipv4' : 'ipv6';
      expect(net.isIP(network)).not.toBe(0);
      const list = new net.BlockList();
      list.addSubnet(network, prefix, family);
      expect(list.check(network, family)).toBe(true);
    }
  });
});
