import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddressNotAllowedError, guardedLookup } from './address';
import { postWebhook } from './post';

// Delivery-time SSRF check (issue 11, finding 6): whatever the API let through (or a name that now
// resolves elsewhere), the worker refuses to connect to a special-purpose address. A real receiver
// listens on the loopback; a refused form must not reach it.
let server: http.Server;
let port: number;
let received = 0;
let ipv6 = false;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received += 1;
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  // `::` with dual-stack takes both 127.0.0.1 and ::1; a machine without IPv6 gets 127.0.0.1 only.
  ipv6 = await new Promise<boolean>((resolve) => {
    server.once('error', () => server.listen(0, '127.0.0.1', () => resolve(false)));
    server.listen(0, '::', () => resolve(true));
  });
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const post = (host: string, allowPrivate: boolean) =>
  postWebhook(
    `http://${host}:${port}/hook`,
    '{}',
    { 'content-type': 'application/json' },
    {
      timeoutMs: 2000,
      allowPrivate,
    },
  );

describe('webhook delivery to special-purpose addresses', () => {
  it('reaches the local receiver when private addresses are allowed (so the refusals below mean something)', async () => {
    const before = received;
    await expect(post('127.0.0.1', true)).resolves.toBe(204);
    if (ipv6) await expect(post('[::1]', true)).resolves.toBe(204);
    expect(received).toBe(before + (ipv6 ? 2 : 1));
  });

  it.each([
    '127.0.0.1',
    '2130706433',
    '0177.0.0.1',
    '0x7f.0.0.1',
    '0x7f000001',
    '127.1',
    '0.0.0.0',
    '[::1]',
    '[::]',
    '[::127.0.0.1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[0:0:0:0:0:ffff:127.0.0.1]',
    '[::ffff:0:7f00:1]',
    '[64:ff9b::7f00:1]',
    '[64:ff9b:1::7f00:1]',
    '[2002:7f00:1::1]',
    '[2001:0:4136:e378:8000:63bf:80ff:fffe]',
    '169.254.169.254',
    '10.0.0.1',
    '192.0.2.1',
    '198.18.0.1',
    '203.0.113.1',
    '[fe80::1]',
    '[fd00::1]',
    'localhost',
  ])('refuses %s before sending anything', async (host) => {
    const before = received;
    await expect(post(host, false)).rejects.toBeInstanceOf(AddressNotAllowedError);
    expect(received).toBe(before);
  });

  it('checks the resolved addresses at connection time, each of them', async () => {
    const addresses = await new Promise<unknown>((resolve, reject) =>
      guardedLookup('localhost', { all: true }, (err, result) => (err ? reject(err) : resolve(result))),
    ).catch((err: unknown) => err);
    expect(addresses).toBeInstanceOf(AddressNotAllowedError);
    expect(String(addresses)).toMatch(/localhost is a private or loopback address \((127\.0\.0\.1|::1): loopback\)/);
  });
});
