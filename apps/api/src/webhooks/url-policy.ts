import { specialPurposeRange } from '@fleet/runtime';
import { invalid } from '../errors';

/**
 * Refuses (400, naming `url`) a webhook URL that names a special-purpose address (loopback, private,
 * link-local, documentation, NAT64, any IPv4-in-IPv6 form… see @fleet/runtime) or a localhost name,
 * unless configured to allow them. The WHATWG URL parser has already normalised the odd IPv4 spellings
 * (2130706433, 0177.0.0.1, 0x7f.1) and IPv6 forms (`[::127.0.0.1]` → `[::7f00:1]`). Names that resolve
 * to such addresses are refused by the worker when it connects.
 */
export function assertWebhookUrlAllowed(url: string, options: { allowPrivate: boolean }): void {
  if (options.allowPrivate) return;
  const host = new URL(url).hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  const reason = host === 'localhost' || host.endsWith('.localhost') ? 'a localhost name' : specialPurposeRange(host);
  if (reason)
    throw invalid('webhook URL is not allowed', [
      {
        path: 'url',
        message: `${reason}: loopback, private and other special-purpose addresses are refused here (WEBHOOK_ALLOW_PRIVATE_URLS allows them)`,
      },
    ]);
}
