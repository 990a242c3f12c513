import { isPrivateAddress } from '@fleet/runtime';
import { AppError } from '../errors';

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
