import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { createLogger } from '@fleet/logging-json';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import client from 'prom-client';
import { loadWorkerConfig } from '../config';
import { start } from '../server';
import { enqueuePushDeliveries } from './enqueue';
import { startPushSender, type PushSender, type PushSenderOptions } from './sender';

const quiet = createLogger({ service: 'worker', format: 'json', level: 'error', stream: new PassThrough() });

interface Message {
  to: string;
  title: string;
  body: string;
  data: { eventId: string; type: string };
}
type Ticket = { status: 'ok'; id: string } | { status: 'error'; message: string; details: { error: string } };

/**
 * A push service on loopback speaking Expo's protocol (`/--/api/v2/push/send`, `/getReceipts`).
 * `onSend` decides each send request's answer: an HTTP status, or the ticket of each message.
 */
async function fakePushService() {
  const sends: Array<{ messages: Message[]; status: number; authorization?: string }> = [];
  const receiptRequests: string[][] = [];
  const service = {
    onSend: (_messages: Message[], _n: number): number | Ticket[] => 200,
    receipts: {} as Record<string, { status: 'ok' } | { status: 'error'; message: string; details: { error: string } }>,
    sends,
    receiptRequests,
    delivered: () => sends.filter((s) => s.status === 200).flatMap((s) => s.messages),
    url: '',
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  let ticket = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || 'null');
      if (req.url === '/--/api/v2/push/getReceipts') {
        receiptRequests.push(body.ids);
        const data = Object.fromEntries(
          // A receipt is ready (ok) unless the test set another answer for it.
          (body.ids as string[]).map((id) => [id, service.receipts[id] ?? { status: 'ok' }]),
        );
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
        return;
      }
      const messages = body as Message[];
      const answer = service.onSend(messages, sends.length + 1);
      const status = typeof answer === 'number' ? answer : 200;
      sends.push({ messages, status, authorization: req.headers.authorization });
      if (status !== 200) {
        res.writeHead(status).end('unavailable');
        return;
      }
      const data =
        typeof answer === 'number' ? messages.map(() => ({ status: 'ok', id: `ticket-${++ticket}` })) : answer;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/--/api/v2/push/send`;
  return service;
}

describe('push notifications', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let org: string;
  let vehicle: string;
  let geofence: string;
  let users: Record<string, string>;
  let seq = 0;
  let push: Awaited<ReturnType<typeof fakePushService>>;
  let sender: PushSender | undefined;
  let registry: client.Registry;

  beforeAll(async () => {
    testDb = await createTestDatabase('push-sender');
    pool = new pg.Pool({ connectionString: testDb.url, max: 4 });
    pool.on('error', () => undefined);
    org = (await pool.query("INSERT INTO organizations (name, slug) VALUES ('P', 'p') RETURNING id")).rows[0].id;
    const other = (await pool.query("INSERT INTO organizations (name, slug) VALUES ('Q', 'q') RETURNING id")).rows[0]
      .id;
    vehicle = (
      await pool.query(
        "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Van 1', 'push-van-1') RETURNING id",
        [org],
      )
    ).rows[0].id;
    geofence = (
      await pool.query(
        `INSERT INTO geofences (organization_id, name, kind, area)
         VALUES ($1, 'Depot', 'circle', ST_Buffer(ST_SetSRID(ST_MakePoint(-3.7, 40.4), 4326)::geography, 100)::geometry)
         RETURNING id`,
        [org],
      )
    ).rows[0].id;
    users = {};
    for (const [name, organization] of [
      ['ana', org],
      ['bea', org],
      ['carl', org],
      ['outsider', other],
    ] as const)
      users[name] = (
        await pool.query(
          "INSERT INTO users (organization_id, email, password_hash) VALUES ($1, $2, 'x') RETURNING id",
          [organization, `${name}@p.example`],
        )
      ).rows[0].id;
  });

  beforeEach(async () => {
    push = await fakePushService();
    registry = new client.Registry();
    await pool.query('DELETE FROM push_tokens');
    await pool.query('UPDATE users SET disabled_at = NULL');
  });

  afterEach(async () => {
    await sender?.stop();
    sender = undefined;
    await push.close();
  });

  afterAll(async () => {
    await pool?.end();
    await testDb?.drop();
  });

  const register = async (user: string, token: string, eventTypes: string[], language = 'en') =>
    pool.query(
      `INSERT INTO push_tokens (user_id, organization_id, token, event_types, language)
       SELECT id, organization_id, $2, $3, $4 FROM users WHERE id = $1`,
      [users[user], token, eventTypes, language],
    );

  /** Events stored and scheduled as the detector does: in one transaction with their push deliveries. */
  const emit = async (type: string, attributes: Record<string, unknown> = {}) => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const res = await c.query(
        `INSERT INTO events (organization_id, vehicle_id, type, ts, geofence_id, point, attributes)
         VALUES ($1, $2, $3, now() - $4 * interval '1 second', $5, ST_SetSRID(ST_MakePoint(-3.7, 40.4), 4326), $6)
         RETURNING id`,
        [org, vehicle, type, ++seq, type.startsWith('geofence') ? geofence : null, attributes],
      );
      const id = res.rows[0].id as string;
      await enqueuePushDeliveries(c, [{ id, organizationId: org, vehicleId: vehicle, type }]);
      await c.query('COMMIT');
      return id;
    } finally {
      c.release();
    }
  };

  const run = (options: Partial<PushSenderOptions> = {}) => {
    sender = startPushSender({
      pool,
      logger: quiet,
      registry,
      endpoint: push.url,
      receiptsEndpoint: push.url.replace(/\/send$/, '/getReceipts'),
      batchSize: 100,
      pollMs: 20,
      timeoutMs: 2_000,
      maxAttempts: 5,
      backoffBaseMs: 20,
      backoffMaxMs: 100,
      receiptDelayMs: 20,
      receiptMaxAgeMs: 60_000,
      ...options,
    });
  };

  const statuses = async () =>
    (await pool.query<{ status: string }>('SELECT status FROM push_deliveries ORDER BY id')).rows.map((r) => r.status);

  it('sends each event to the tokens of the organization’s users who picked its type, in their language', async () => {
    await register('ana', 'ExponentPushToken[ana]', ['geofence_enter', 'overspeed']);
    await register('bea', 'ExponentPushToken[bea]', ['geofence_enter'], 'es');
    await register('carl', 'ExponentPushToken[carl]', ['device_offline']);
    await register('outsider', 'ExponentPushToken[outsider]', ['geofence_enter', 'overspeed']);
    const entered = await emit('geofence_enter');
    const sped = await emit('overspeed', { speedKmh: 97.4, limitKmh: 80 });
    run({ accessToken: 'expo-access-token' });
    await waitFor(async () => push.delivered().length === 3, { timeoutMs: 10_000, what: 'three pushes' });

    const got = push
      .delivered()
      .map((m) => ({ to: m.to, title: m.title, body: m.body, event: m.data.eventId }))
      .sort((a, b) => `${a.to}${a.body}`.localeCompare(`${b.to}${b.body}`));
    expect(got).toEqual([
      { to: 'ExponentPushToken[ana]', title: 'Van 1', body: 'Entered Depot', event: entered },
      {
        to: 'ExponentPushToken[ana]',
        title: 'Van 1',
        body: 'Over the speed limit: 97 km/h (limit 80 km/h)',
        event: sped,
      },
      { to: 'ExponentPushToken[bea]', title: 'Van 1', body: 'Entró en Depot', event: entered },
    ]);
    expect(push.sends[0].authorization).toBe('Bearer expo-access-token');
    // Tickets ok, then receipts ok: delivered.
    await waitFor(async () => (await statuses()).every((s) => s === 'delivered'), {
      timeoutMs: 10_000,
      what: 'receipts read',
    });
    expect(push.receiptRequests.flat().sort()).toEqual(['ticket-1', 'ticket-2', 'ticket-3']);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/push_notifications_total\{outcome="sent"\} 3/);
    expect(metrics).toMatch(/push_receipts_total\{outcome="delivered"\} 3/);
  });

  it('schedules for a user limited to vehicle groups only their groups’ vehicles (subgroups included); admins get all', async () => {
    const group = async (name: string, parent: string | null = null) =>
      (
        await pool.query<{ id: string }>(
          'INSERT INTO vehicle_groups (organization_id, parent_id, name) VALUES ($1, $2, $3) RETURNING id',
          [org, parent, name],
        )
      ).rows[0].id;
    const region = await group('Norte');
    const depot = await group('Depot Norte', region);
    const south = await group('Sur');
    await pool.query('UPDATE vehicles SET group_id = $2 WHERE id = $1', [vehicle, depot]);
    await pool.query("UPDATE users SET role = 'admin' WHERE id = $1", [users.carl]);
    const scopes: Array<[string, string]> = [
      [users.ana, region],
      [users.bea, south],
      [users.carl, south],
    ];
    for (const [user, groupId] of scopes)
      await pool.query('INSERT INTO user_group_scopes (user_id, group_id) VALUES ($1, $2)', [user, groupId]);
    try {
      for (const name of ['ana', 'bea', 'carl']) await register(name, `ExponentPushToken[${name}]`, ['overspeed']);
      const event = await emit('overspeed');
      const scheduled = await pool.query<{ token: string }>(
        `SELECT p.token FROM push_deliveries d JOIN push_tokens p ON p.id = d.push_token_id
          WHERE d.event_id = $1 ORDER BY p.token`,
        [event],
      );
      expect(scheduled.rows.map((r) => r.token)).toEqual(['ExponentPushToken[ana]', 'ExponentPushToken[carl]']);
    } finally {
      await pool.query('DELETE FROM user_group_scopes');
      await pool.query("UPDATE users SET role = 'viewer' WHERE id = $1", [users.carl]);
      await pool.query('UPDATE vehicles SET group_id = NULL WHERE id = $1', [vehicle]);
      await pool.query('DELETE FROM vehicle_groups WHERE parent_id IS NOT NULL');
      await pool.query('DELETE FROM vehicle_groups');
    }
  });

  it('retries on 5xx with backoff until the service takes it, sending it once', async () => {
    await register('ana', 'ExponentPushToken[ana]', ['overspeed']);
    push.onSend = (_messages, n) => (n <= 2 ? 503 : 200);
    const event = await emit('overspeed');
    run();
    await waitFor(async () => push.delivered().length === 1, { timeoutMs: 10_000, what: 'the push after two 503s' });
    expect(push.sends.map((s) => s.status)).toEqual([503, 503, 200]);
    expect(push.delivered()[0]).toMatchObject({ to: 'ExponentPushToken[ana]', data: { eventId: event } });
    const row = (await pool.query('SELECT attempts, ticket_id FROM push_deliveries')).rows[0];
    expect(row).toEqual({ attempts: 3, ticket_id: 'ticket-1' });
    expect(await registry.metrics()).toMatch(/push_notifications_total\{outcome="retry"\} 2/);
  });

  it('retries when the service cannot be reached, and nothing queued is lost across a restart', async () => {
    await register('ana', 'ExponentPushToken[ana]', ['overspeed']);
    await emit('overspeed');
    run({ endpoint: 'http://127.0.0.1:1/--/api/v2/push/send' });
    await waitFor(async () => (await pool.query('SELECT attempts FROM push_deliveries')).rows[0].attempts >= 2, {
      timeoutMs: 10_000,
      what: 'two failed attempts',
    });
    await sender!.stop();
    expect(await statuses()).toEqual(['pending']);
    // A new sender (the worker restarted) delivers it.
    run({ registry: new client.Registry() });
    await waitFor(async () => push.delivered().length === 1, { timeoutMs: 10_000, what: 'the push after restart' });
  });

  it('removes a token the service reports DeviceNotRegistered (ticket or receipt) and sends it nothing more', async () => {
    await register('ana', 'ExponentPushToken[ana]', ['overspeed']);
    await register('bea', 'ExponentPushToken[bea]', ['overspeed']);
    push.onSend = (messages) =>
      messages.map((m, i) =>
        m.to === 'ExponentPushToken[ana]'
          ? { status: 'error', message: 'not registered', details: { error: 'DeviceNotRegistered' } }
          : { status: 'ok', id: `bea-ticket-${i}` },
      );
    push.receipts['bea-ticket-0'] = push.receipts['bea-ticket-1'] = {
      status: 'error',
      message: 'gone',
      details: { error: 'DeviceNotRegistered' },
    };
    await emit('overspeed');
    run();
    await waitFor(async () => (await pool.query('SELECT 1 FROM push_tokens')).rowCount === 0, {
      timeoutMs: 10_000,
      what: 'both tokens removed',
    });
    const sent = push.sends.length;
    await emit('overspeed');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(push.sends.length).toBe(sent);
    expect(await statuses()).toEqual([]);
  });

  it('sends nothing to a token unregistered or a user disabled after the event was queued, nor for later events', async () => {
    await register('ana', 'ExponentPushToken[ana]', ['overspeed']);
    await register('bea', 'ExponentPushToken[bea]', ['overspeed']);
    await emit('overspeed');
    // Before the sender runs: ana unregisters (DELETE /api/v1/push-tokens), bea is disabled by an admin.
    await pool.query("DELETE FROM push_tokens WHERE token = 'ExponentPushToken[ana]'");
    await pool.query('UPDATE users SET disabled_at = now() WHERE id = $1', [users['bea']]);
    await emit('overspeed');
    run();
    await waitFor(async () => (await statuses()).every((s) => s === 'failed'), {
      timeoutMs: 10_000,
      what: 'the disabled user’s push skipped',
    });
    expect(await statuses()).toEqual(['failed']);
    expect(push.sends).toEqual([]);
    expect(await registry.metrics()).toMatch(/push_notifications_total\{outcome="skipped"\} 1/);
  });

  it('the worker pushes its device_offline events through PUSH_ENDPOINT and exports credential expiry dates', async () => {
    await register('carl', 'ExponentPushToken[carl]', ['device_offline'], 'es');
    await pool.query(
      `INSERT INTO vehicle_state (vehicle_id, organization_id, ts, point)
       VALUES ($1, $2, now() - interval '2 hours', ST_SetSRID(ST_MakePoint(-3.7, 40.4), 4326))`,
      [vehicle, org],
    );
    const worker = await start(
      loadWorkerConfig({
        APP_ENV: 'test',
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: testDb.url,
        REDIS_KEY_PREFIX: `test:push:${process.pid}:`,
        PUSH_ENDPOINT: push.url,
        PUSH_POLL_MS: '20',
        OFFLINE_CHECK_INTERVAL_MS: '3600000',
        MOBILE_CREDENTIAL_EXPIRY: 'apns_key=2027-03-01, ios_distribution=2027-01-15T00:00:00Z',
      }),
      { logger: quiet },
    );
    try {
      await worker.jobs['offline'].runNow();
      await waitFor(async () => push.delivered().length === 1, { timeoutMs: 10_000, what: 'the offline push' });
      expect(push.delivered()[0]).toMatchObject({
        to: 'ExponentPushToken[carl]',
        title: 'Van 1',
        body: 'Sin conexión: no se reciben posiciones',
        data: { type: 'device_offline' },
      });
      const text = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
      expect(text).toMatch(
        new RegExp(
          `mobile_credential_expiry_timestamp_seconds\\{credential="apns_key"[^}]*\\} ${Date.parse('2027-03-01') / 1000}\n`,
        ),
      );
      expect(text).toMatch(
        new RegExp(
          `mobile_credential_expiry_timestamp_seconds\\{credential="ios_distribution"[^}]*\\} ${Date.parse('2027-01-15') / 1000}\n`,
        ),
      );
    } finally {
      await worker.stop();
    }
  });

  it('refuses a MOBILE_CREDENTIAL_EXPIRY that is not name=date pairs', () => {
    expect(() => loadWorkerConfig({ APP_ENV: 'test', MOBILE_CREDENTIAL_EXPIRY: 'apns_key=next-year' })).toThrow(
      /MOBILE_CREDENTIAL_EXPIRY/,
    );
  });
});
