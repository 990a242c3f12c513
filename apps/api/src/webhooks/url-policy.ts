import net from 'node:net';
import { AppError } from '../errors';

/**
 * Addresses a webhook must not reach in production: loopback, private, link-local (cloud metadata),
 * carrier-grade NAT, multicast and reserved ranges. IPv4-mapped IPv6 addresses match the IPv4 rules.
 * The worker checks the address it actually connects to (a public name can resolve to a private
 * address); this check only refuses what is visibly private in the URL, with a clear 400.
 */
const PRIVATE = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  return family !== 0 && PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Refuses (400, naming `url`) a webhook URL that names a private address, unless configured to allow it. */
export function assertWebhookUrlAllowed(url: string, options: { allowPrivate: boolean }): void {
  if (options.allowPrivate) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const named = host === 'localhost' || host.endsWith('.localhost');
  if (named || isPrivateAddress(host))
    throw new AppError(400, 'validation_failed', 'webhook URL is not allowed', [
      {
        path: 'url',
        message: 'loopback and private addresses are refused here (WEBHOOK_ALLOW_PRIVATE_URLS allows them)',
      },
    ]);
}
