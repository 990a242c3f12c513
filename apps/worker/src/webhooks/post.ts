import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { isPrivateAddress } from '@fleet/runtime';
import { AddressNotAllowedError, guardedLookup } from './address';

/**
 * POSTs `body` and resolves with the HTTP status, or rejects (refused, reset, timed out, address not
 * allowed). Redirects are not followed: a 3xx is an answer like any other non-2xx. The answer's body is
 * read (to free the socket) up to a small bound and dropped.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<number> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  // An address literal is connected to without a lookup: checked here instead.
  if (!options.allowPrivate && net.isIP(host) && isPrivateAddress(host))
    return Promise.reject(new AddressNotAllowedError(host, host));
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise<number>((resolve, reject) => {
    const req = transport.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: false,
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 64 * 1024) res.destroy();
        });
        res.on('close', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err) =>
      reject(err.name === 'AbortError' ? new Error(`no answer within ${options.timeoutMs} ms`) : err),
    );
    req.end(body);
  });
}
