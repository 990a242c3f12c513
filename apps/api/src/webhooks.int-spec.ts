import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ErrorBody,
  Geofence,
  MAX_WEBHOOKS_PER_ORGANIZATION,
  VehicleWithToken,
  Webhook,
  WebhookDeliveryList,
  WebhookList,
  WebhookPayload,
  WebhookWithSecret,
} from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startWorkerProcess } from './testing/fixtures';
import { startTestApi, type StartedApi } from './testing/harness';

const prefix = `test:webhooks:${process.pid}:`;
let testDb: TestDatabase;
let t: StartedApi;
let pool: pg.Pool;
let tokens: Record<string, string>;
let orgs: Record<string, string>;

beforeAll(async () => {
  testDb = await createTestDatabase('api-webhooks');
  orgs = await seedOrganizations(testDb.url, ['a', 'b']);
  pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
  // pool.end() resolves before its connections have closed; the database's DROP … FORCE may still
  // reach one, and an unheard pool 'error' would fail the suite.
  pool.on('error', () => undefined);
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
  tokens = await loginAll(t.base, ['a', 'b']);
});

afterAll(async () => {
  await t?.api.stop();
  await pool?.end();
  await testDb?.drop();
});

const call = (as: string, method: string, path: string, body?: unknown) =>
  apiCall(t.base, tokens[as], method, path, body);

async function create(as: string, body: unknown) {
  const res = await call(as, 'POST', '/webhooks', body);
  expect(res.status).toBe(201);
  return WebhookWithSecret.parse(await res.json());
}

async function refused(res: Response, path: string) {
  expect(res.status).toBe(400);
  const body = ErrorBody.parse(await res.json());
  expect(body.error.details?.map((d) => d.path)).toContain(path);
}

describe('webhooks API', () => {
  jest.setTimeout(60_000);

  it('creates a webhook whose secret is shown once, and shows its state without it', async () => {
    const { webhook, secret } = await create('admin@a', {
      url: 'https://receiver.example/fleet?token=abc',
      eventTypes: ['geofence_exit', 'geofence_enter', 'geofence_enter'],
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhook).toMatchObject({
      url: 'https://receiver.example/fleet?token=abc',
      eventTypes: ['geofence_enter', 'geofence_exit'],
      enabled: true,
      lastStatus: null,
      lastError: null,
      lastAttemptAt: null,
      lastSuccessAt: null,
      consecutiveFailures: 0,
      pendingDeliveries: 0,
    });
    const one = await call('admin@a', 'GET', `/webhooks/${webhook.id}`);
    const text = await one.text();
    expect(text).not.toContain(secret);
    expect(Webhook.parse(JSON.parse(text))).toEqual(webhook);
    const list = WebhookList.parse(await (await call('admin@a', 'GET', '/webhooks')).json());
    expect(list.items.map((w) => w.id)).toContain(webhook.id);
    expect(JSON.stringify(list)).not.toContain(secret);
  });

  it('is for admins only, and refuses bad URLs and event types with a 400 naming the field', async () => {
    const { webhook } = await create('admin@a', { url: 'http://receiver.example/hook' });
    for (const as of ['operator@a', 'viewer@a']) {
      expect((await call(as, 'GET', '/webhooks')).status).toBe(403);
      expect((await call(as, 'POST', '/webhooks', { url: 'https://x.example/' })).status).toBe(403);
      expect((await call(as, 'GET', `/webhooks/${webhook.id}`)).status).toBe(403);
      expect((await call(as, 'PATCH', `/webhooks/${webhook.id}`, { enabled: false })).status).toBe(403);
      expect((await call(as, 'DELETE', `/webhooks/${webhook.id}`)).status).toBe(403);
      expect((await call(as, 'POST', `/webhooks/${webhook.id}/rotate-secret`)).status).toBe(403);
      expect((await call(as, 'GET', `/webhooks/${webhook.id}/deliveries`)).status).toBe(403);
    }
    await refused(await call('admin@a', 'POST', '/webhooks', { url: 'ftp://files.example/' }), 'url');
    await refused(await call('admin@a', 'POST', '/webhooks', { url: 'not a url' }), 'url');
    await refused(await call('admin@a', 'POST', '/webhooks', { url: 'https://user:pw@x.example/' }), 'url');
    await refused(await call('admin@a', 'POST', '/webhooks', { url: `https://x.example/${'a'.repeat(2100)}` }), 'url');
    await refused(
      await call('admin@a', 'POST', '/webhooks', { url: 'https://x.example/', eventTypes: ['teleported'] }),
      'eventTypes.0',
    );
    await refused(await call('admin@a', 'POST', '/webhooks', { url: 'https://x.example/', secret: 'mine' }), 'secret');
    await refused(await call('admin@a', 'PATCH', `/webhooks/${webhook.id}`, { url: 'javascript:alert(1)' }), 'url');
  });

  it('refuses loopback and private addresses when configured to (production’s default)', async () => {
    const strict = await startTestApi(
      { DATABASE_URL: testDb.url, WEBHOOK_ALLOW_PRIVATE_URLS: 'false' },
      { keyPrefix: `${prefix}strict:` },
    );
    try {
      const [admin] = Object.values(await loginAll(strict.base, ['a']));
      for (const url of [
        'http://127.0.0.1:8080/hook',
        'http://localhost/hook',
        'http://api.localhost/hook',
        'http://[::1]/hook',
        'http://10.1.2.3/hook',
        'http://192.168.0.10/hook',
        'http://169.254.169.254/latest/meta-data',
        'http://[::ffff:127.0.0.1]/hook',
      ])
        await refused(await apiCall(strict.base, admin, 'POST', '/webhooks', { url }), 'url');
      expect(
        (await apiCall(strict.base, admin, 'POST', '/webhooks', { url: 'https://hooks.example.com/x' })).status,
      ).toBe(201);
    } finally {
      await strict.api.stop();
    }
  });

  it('changes URL, filter and enabled flag; rotates the secret; deletes with its deliveries', async () => {
    const { webhook, secret } = await create('admin@a', { url: 'https://one.example/' });
    const patched = Webhook.parse(
      await (
        await call('admin@a', 'PATCH', `/webhooks/${webhook.id}`, {
          url: 'https://two.example/',
          eventTypes: ['overspeed'],
          enabled: false,
        })
      ).json(),
    );
    expect(patched).toMatchObject({ url: 'https://two.example/', eventTypes: ['overspeed'], enabled: false });
    const rotated = WebhookWithSecret.parse(
      await (await call('admin@a', 'POST', `/webhooks/${webhook.id}/rotate-secret`)).json(),
    );
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.webhook.id).toBe(webhook.id);
    const stored = await pool.query('SELECT secret FROM webhooks WHERE id = $1', [webhook.id]);
    expect(stored.rows[0].secret).toBe(rotated.secret);

    expect((await call('admin@a', 'DELETE', `/webhooks/${webhook.id}`)).status).toBe(204);
    expect((await call('admin@a', 'GET', `/webhooks/${webhook.id}`)).status).toBe(404);
    expect((await call('admin@a', 'DELETE', `/webhooks/${webhook.id}`)).status).toBe(404);
  });

  it('lists recent deliveries newest first with status, attempts and last error', async () => {
    const { webhook } = await create('admin@a', { url: 'https://three.example/' });
    const vehicle = (
      await pool.query(
        "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Van', 'wh-api-van') RETURNING id",
        [orgs['a']],
      )
    ).rows[0].id;
    const rows: Array<{ id: string; status: string }> = [];
    for (const [i, status] of ['delivered', 'failed', 'pending', 'pending', 'delivered'].entries()) {
      const event = (
        await pool.query(
          "INSERT INTO events (organization_id, vehicle_id, type, ts) VALUES ($1, $2, 'overspeed', now() - $3 * interval '1 minute') RETURNING id",
          [orgs['a'], vehicle, i],
        )
      ).rows[0].id;
      const d = await pool.query(
        `INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, last_status, last_error, delivered_at)
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $3 = 'delivered' THEN now() END) RETURNING id::text`,
        [
          webhook.id,
          event,
          status,
          i + 1,
          status === 'delivered' ? 200 : 500,
          status === 'delivered' ? null : 'HTTP 500',
        ],
      );
      rows.push({ id: d.rows[0].id, status });
    }
    const first = WebhookDeliveryList.parse(
      await (await call('admin@a', 'GET', `/webhooks/${webhook.id}/deliveries?limit=3`)).json(),
    );
    expect(first.items.map((d) => d.id)).toEqual(
      rows
        .map((r) => r.id)
        .reverse()
        .slice(0, 3),
    );
    expect(first.items[0]).toMatchObject({ status: 'delivered', attempts: 5, lastStatus: 200, nextAttemptAt: null });
    expect(first.items[1]).toMatchObject({ status: 'pending', eventType: 'overspeed', lastError: 'HTTP 500' });
    expect(first.items[1].nextAttemptAt).not.toBeNull();
    const second = WebhookDeliveryList.parse(
      await (
        await call('admin@a', 'GET', `/webhooks/${webhook.id}/deliveries?limit=3&cursor=${first.nextCursor}`)
      ).json(),
    );
    expect(second.items.map((d) => d.id)).toEqual([rows[1].id, rows[0].id]);
    expect(second.nextCursor).toBeNull();
    const pending = WebhookDeliveryList.parse(
      await (await call('admin@a', 'GET', `/webhooks/${webhook.id}/deliveries?status=pending`)).json(),
    );
    expect(pending.items.map((d) => d.id)).toEqual([rows[3].id, rows[2].id]);
    expect(
      Webhook.parse(await (await call('admin@a', 'GET', `/webhooks/${webhook.id}`)).json()).pendingDeliveries,
    ).toBe(2);
    await refused(await call('admin@a', 'GET', `/webhooks/${webhook.id}/deliveries?cursor=abc`), 'cursor');
    await refused(await call('admin@a', 'GET', `/webhooks/${webhook.id}/deliveries?status=lost`), 'status');

    expect((await call('admin@a', 'DELETE', `/webhooks/${webhook.id}`)).status).toBe(204);
    const left = await pool.query('SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = $1', [webhook.id]);
    expect(Number(left.rows[0].n)).toBe(0);
  });

  it('caps the webhooks of an organization and keeps organizations apart (404)', async () => {
    for (let i = 0; i < MAX_WEBHOOKS_PER_ORGANIZATION; i++) await create('admin@b', { url: `https://b${i}.example/` });
    const over = await call('admin@b', 'POST', '/webhooks', { url: 'https://one-too-many.example/' });
    expect(over.status).toBe(409);
    const b = WebhookList.parse(await (await call('admin@b', 'GET', '/webhooks?limit=100')).json());
    expect(b.total).toBe(MAX_WEBHOOKS_PER_ORGANIZATION);
    const mine = b.items[0].id;
    for (const [method, path, body] of [
      ['GET', `/webhooks/${mine}`, undefined],
      ['PATCH', `/webhooks/${mine}`, { enabled: false }],
      ['DELETE', `/webhooks/${mine}`, undefined],
      ['POST', `/webhooks/${mine}/rotate-secret`, undefined],
      ['GET', `/webhooks/${mine}/deliveries`, undefined],
    ] as const)
      expect(`${method} ${path} → ${(await call('admin@a', method, path, body)).status}`).toBe(
        `${method} ${path} → 404`,
      );
    const a = WebhookList.parse(await (await call('admin@a', 'GET', '/webhooks?limit=100')).json());
    expect(a.items.map((w) => w.id)).not.toContain(mine);
    expect(Webhook.parse(await (await call('admin@b', 'GET', `/webhooks/${mine}`)).json()).enabled).toBe(true);
    await pool.query('DELETE FROM webhooks WHERE organization_id = $1', [orgs['b']]);
  });

  it('delivers the events of a vehicle driving through a geofence, signed, once each, despite a flaky receiver', async () => {
    await pool.query('DELETE FROM webhooks');
    const received: Array<{ headers: http.IncomingHttpHeaders; body: string; status: number }> = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = received.length < 3 ? 500 : 200; // the first three attempts fail
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fleet`;
    const worker = await startWorkerProcess({
      DATABASE_URL: testDb.url,
      REDIS_KEY_PREFIX: prefix,
      INGEST_BLOCK_MS: '100',
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_BACKOFF_BASE_MS: '50',
      WEBHOOK_BACKOFF_MAX_MS: '300',
    });
    try {
      const { webhook, secret } = await create('admin@a', {
        url,
        eventTypes: ['geofence_enter', 'geofence_exit'],
      });
      const fence = Geofence.parse(
        await (
          await call('operator@a', 'POST', '/geofences', {
            name: 'Yard',
            kind: 'circle',
            center: { lat: 40.4, lon: -3.7 },
            radiusM: 300,
          })
        ).json(),
      );
      const { vehicle, deviceToken } = VehicleWithToken.parse(
        await (await call('admin@a', 'POST', '/vehicles', { name: 'Through the yard' })).json(),
      );
      // West of the yard, through its middle, out east: one enter, one exit.
      const start = Date.now() - 120_000;
      const fixes = [-3.71, -3.705, -3.7, -3.699, -3.695, -3.69].map((lon, i) => ({
        ts: new Date(start + i * 10_000).toISOString(),
        lat: 40.4,
        lon,
        speed: 30,
      }));
      const ingest = await fetch(`${t.base}/api/v1/positions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${deviceToken}` },
        body: JSON.stringify(fixes),
      });
      expect(ingest.status).toBe(202);
      await waitFor(async () => received.filter((r) => r.status === 200).length >= 2, {
        timeoutMs: 20_000,
        what: 'two events delivered',
      });
      await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more should come

      const accepted = received.filter((r) => r.status === 200);
      expect(accepted).toHaveLength(2);
      expect(received.filter((r) => r.status === 500)).toHaveLength(3);
      const payloads = accepted.map((r) => WebhookPayload.parse(JSON.parse(r.body)));
      expect(payloads.map((p) => p.event?.type).sort()).toEqual(['geofence_enter', 'geofence_exit']);
      for (const p of payloads)
        expect(p.event).toMatchObject({ vehicleId: vehicle.id, geofenceId: fence.id, geofenceName: 'Yard' });
      expect(new Set(accepted.map((r) => r.headers['x-fleet-delivery'])).size).toBe(2);
      for (const r of received) {
        const t0 = r.headers['x-fleet-timestamp'] as string;
        const v1 = createHmac('sha256', secret).update(`${t0}.${r.body}`).digest('hex');
        expect(r.headers['x-fleet-signature']).toBe(`t=${t0},v1=${v1}`);
        expect(Math.abs(Number(t0) - Date.now() / 1000)).toBeLessThan(60);
      }

      const state = Webhook.parse(await (await call('admin@a', 'GET', `/webhooks/${webhook.id}`)).json());
      expect(state).toMatchObject({ lastStatus: 200, lastError: null, consecutiveFailures: 0, pendingDeliveries: 0 });
      expect(state.lastSuccessAt).not.toBeNull();
      const list = WebhookDeliveryList.parse(
        await (await call('admin@a', 'GET', `/webhooks/${webhook.id}/deliveries`)).json(),
      );
      expect(list.items.map((d) => d.status)).toEqual(['delivered', 'delivered']);
      expect(list.items.reduce((n, d) => n + d.attempts, 0)).toBe(5);

      // A test ping: queued by the API, signed and delivered by the worker, listed with the deliveries.
      const queued = await call('admin@a', 'POST', `/webhooks/${webhook.id}/test`);
      expect(queued.status).toBe(202);
      const { deliveryId } = (await queued.json()) as { deliveryId: string };
      await waitFor(async () => received.length === 6, { timeoutMs: 10_000, what: 'test ping delivered' });
      const ping = received[5];
      expect(ping.headers['x-fleet-event']).toBe('test');
      expect(ping.headers['x-fleet-delivery']).toBe(deliveryId);
      const t1 = ping.headers['x-fleet-timestamp'] as string;
      expect(ping.headers['x-fleet-signature']).toBe(
        `t=${t1},v1=${createHmac('sha256', secret).update(`${t1}.${ping.body}`).digest('hex')}`,
      );
      expect(WebhookPayload.parse(JSON.parse(ping.body))).toEqual({
        deliveryId,
        webhookId: webhook.id,
        event: null,
        test: true,
      });
      await waitFor(
        async () => {
          const after = WebhookDeliveryList.parse(
            await (await call('admin@a', 'GET', `/webhooks/${webhook.id}/deliveries`)).json(),
          );
          return after.items[0].id === deliveryId && after.items[0].status === 'delivered';
        },
        { timeoutMs: 5_000, what: 'test ping listed as delivered' },
      );
      const listed = WebhookDeliveryList.parse(
        await (await call('admin@a', 'GET', `/webhooks/${webhook.id}/deliveries`)).json(),
      ).items[0];
      expect(listed).toMatchObject({ eventId: null, eventType: 'test' });
      // Another organization's admin cannot ping it.
      expect((await call('admin@b', 'POST', `/webhooks/${webhook.id}/test`)).status).toBe(404);
    } finally {
      expect(await worker.stop()).toBe(0);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
