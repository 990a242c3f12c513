import dns from 'node:dns';
import { isPrivateAddress } from '@fleet/runtime';

export class AddressNotAllowedError extends Error {
  constructor(host: string, address: string) {
    super(`${host} is a private or loopback address (${address}); WEBHOOK_ALLOW_PRIVATE_URLS allows it`);
    this.name = 'AddressNotAllowedError';
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request that refuses private addresses: the check happens on the very address
 * the socket connects to, so a DNS answer changing between a check and the connection cannot slip by.
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
