import dns from 'node:dns';
import { isPrivateAddress, specialPurposeRange } from '@fleet/runtime';

export class AddressNotAllowedError extends Error {
  constructor(host: string, address: string) {
    super(
      `${host} is a private or loopback address (${address}: ${specialPurposeRange(address) ?? 'special-purpose'}); ` +
        'WEBHOOK_ALLOW_PRIVATE_URLS allows it',
    );
    this.name = 'AddressNotAllowedError';
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request that refuses special-purpose addresses (the one list in @fleet/runtime):
 * the check happens on the very addresses the socket connects to, at connection time, so a DNS answer
 * changing between the API's check and the delivery (DNS rebinding) cannot slip by. Any bad address
 * in the answer refuses the whole name (happy eyeballs may try each of them).
 */
export function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(new AddressNotAllowedError(hostname, bad.address), []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
}
