import { ErrorBody, WebhookWithSecret } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

// Issue 11, finding 6: webhook targets in special-purpose ranges, IPv4-in-IPv6 forms and NAT64 were
// accepted. With private URLs refused (production's default) each is now a 400 naming `url`, on
// creation and on update; the worker checks again when it connects (apps/worker post.int-spec.ts).
let testDb: TestDatabase;
let t: StartedApi;
let admin: string;

jest.setTimeout(60_000);

beforeAll(async () => {
  testDb = await createTestDatabase('api-webhook-ssrf');
  await seedOrganizations(testDb.url, ['ss']);
  t = await startTestApi(
    { DATABASE_URL: testDb.url, WEBHOOK_ALLOW_PRIVATE_URLS: 'false' },
    { keyPrefix: `test:webhook-ssrf:${process.pid}:` },
  );
  admin = (await loginAll(t.base, ['ss']))['admin@ss'];
});

afterAll(async () => {
  await t?.api.stop();
  await testDb?.drop();
});

const HOSTS = [
  // IPv4 special-purpose ranges.
  '0.0.0.0',
  '10.0.0.1',
  '100.64.0.1',
  '127.0.0.1',
  '127.9.9.9',
  '169.254.169.254',
  '172.16.0.1',
  '192.0.0.1',
  '192.0.2.1',
  '192.88.99.1',
  '192.168.1.1',
  '198.18.0.1',
  '198.51.100.1',
  '203.0.113.1',
  '224.0.0.1',
  '240.0.0.1',
  '255.255.255.255',
  // Odd IPv4 spellings the URL parser normalises to 127.0.0.1.
  '2130706433',
  '0177.0.0.1',
  '0x7f.0.0.1',
  '0x7f000001',
  '127.1',
  '127.0.0.1.',
  // IPv6 special-purpose ranges.
  '[::]',
  '[::1]',
  '[::ffff:8.8.8.8]',
  '[100::1]',
  '[2001::1]',
  '[2001:0:4136:e378:8000:63bf:3fff:fdd2]',
  '[2001:db8::1]',
  '[2002:7f00:1::1]',
  '[fc00::1]',
  '[fd12:3456::1]',
  '[fe80::1]',
  '[ff02::1]',
  // Every IPv4-in-IPv6 form, and NAT64.
  '[::127.0.0.1]',
  '[::7f00:1]',
  '[::ffff:127.0.0.1]',
  '[::ffff:7f00:1]',
  '[0:0:0:0:0:ffff:127.0.0.1]',
  '[::ffff:0:7f00:1]',
  '[::ffff:0:127.0.0.1]',
  '[64:ff9b::7f00:1]',
  '[64:ff9b::127.0.0.1]',
  '[64:ff9b::8.8.8.8]',
  '[64:ff9b:1::a00:1]',
  // Names.
  'localhost',
  'localhost.',
  'hooks.localhost',
];

async function refusedOnUrl(res: Response) {
  expect(res.status).toBe(400);
  const body = ErrorBody.parse(await res.json());
  expect(body.error.details?.map((d) => d.path)).toContain('url');
}

describe('webhook targets in special-purpose ranges', () => {
  let existing: string;

  beforeAll(async () => {
    const res = await apiCall(t.base, admin, 'POST', '/webhooks', { url: 'https://hooks.example.com/fleet' });
    expect(res.status).toBe(201);
    existing = WebhookWithSecret.parse(await res.json()).webhook.id;
  });

  it.each(HOSTS)('refuses http://%s/ on creation and on update, naming url', async (host) => {
    const url = `http://${host}:8080/hook`;
    await refusedOnUrl(await apiCall(t.base, admin, 'POST', '/webhooks', { url }));
    await refusedOnUrl(await apiCall(t.base, admin, 'PATCH', `/webhooks/${existing}`, { url }));
  });

  it.each(['https://hooks.example.com/x', 'https://8.8.8.8/x', 'https://[2001:4860:4860::8888]/x'])(
    'accepts the public target %s',
    async (url) => {
      const res = await apiCall(t.base, admin, 'PATCH', `/webhooks/${existing}`, { url });
      expect(res.status).toBe(200);
    },
  );
});
