import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { WebhookPayload } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { createLogger } from '@fleet/logging-json';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import client from 'prom-client';
import { loadWorkerConfig } from '../config';
import { start, type WorkerHandle } from '../server';
import { startWebhookDispatcher, type DispatcherOptions } from './dispatcher';
import { enqueueWebhookDeliveries } from './enqueue';
import { verifySignature } from './signature';

const quiet = createLogger({ service: 'worker', format: 'json', level: 'error', stream: new PassThrough() });

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A receiver on loopback; `answer` decides each request's status (or `hang` to never answer). */
async function receiver(answer: (n: number, req: http.IncomingMessage) => number | 'hang') {
  const received: Received[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer(received.length + 1, req);
      received.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        answered: status === 'hang' ? 0 : status,
      });
      if (status !== 'hang') res.writeHead(status).end(status >= 300 ? 'nope' : 'ok');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?source=fleet`,
    received,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('webhook dispatcher', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let org: string;
  let vehicle: string;
  let seq = 0;

  beforeAll(async () => {
    testDb = await createTestDatabase('webhook-dispatch');
    pool = new pg.Pool({ connectionString: testDb.url, max: 4 });
    // pool.end() resolves before its connections have closed; the database's DROP … FORCE may still
    // reach one, and an unheard pool 'error' would fail the suite.
    pool.on('error', () => undefined);
    org = (await pool.query("INSERT INTO organizations (name, slug) VALUES ('W', 'w') RETURNING id")).rows[0].id;
    vehicle = (
      await pool.query(
        "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Van 1', 'wh-van-1') RETURNING id",
        [org],
      )
    ).rows[0].id;
  });

  // Each test's webhooks go with it, so later events are not scheduled to receivers already closed.
  afterEach(() => pool.query('DELETE FROM webhooks'));

  afterAll(async () => {
    await pool?.end();
    await testDb?.drop();
  });

  const webhook = async (url: string, options: { eventTypes?: string[]; enabled?: boolean } = {}) => {
    const secret = `whsec_test_${++seq}`;
    const id = (
      await pool.query(
        'INSERT INTO webhooks (organization_id, url, secret, event_types, enabled) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [org, url, secret, options.eventTypes ?? [], options.enabled ?? true],
      )
    ).rows[0].id as string;
    return { id, secret };
  };

  /** Events stored and scheduled as the detector does: in one transaction, deliveries via enqueue. */
  const emit = async (count: number, type = 'geofence_enter') => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const events: Array<{ id: string; organizationId: string; type: string }> = [];
      for (let i = 0; i < count; i++) {
        const res = await c.query(
          `INSERT INTO events (organization_id, vehicle_id, type, ts, point, attributes)
           VALUES ($1, $2, $3, now() - $4 * interval '1 second', ST_SetSRID(ST_MakePoint(-3.7, 40.4), 4326), '{"k":1}')
           RETURNING id`,
          [org, vehicle, type, ++seq],
        );
        events.push({ id: res.rows[0].id, organizationId: org, type });
      }
      await enqueueWebhookDeliveries(c, events);
      await c.query('COMMIT');
      return events.map((e) => e.id);
    } finally {
      c.release();
    }
  };

  const deliveries = async (webhookId: string) =>
    (
      await pool.query(
        'SELECT id::text, event_id, status, attempts, last_status, last_error FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id',
        [webhookId],
      )
    ).rows as Array<{
      id: string;
      event_id: string;
      status: string;
      attempts: number;
      last_status: number | null;
      last_error: string | null;
    }>;

  const dispatcher = (overrides: Partial<DispatcherOptions> = {}) =>
    startWebhookDispatcher({
      pool,
      logger: quiet,
      registry: new client.Registry(),
      concurrency: 4,
      pollMs: 20,
      timeoutMs: 2_000,
      maxAttempts: 6,
      backoffBaseMs: 30,
      backoffMaxMs: 200,
      allowPrivateUrls: true,
      ...overrides,
    });

  it('delivers an event exactly once, signed, to a receiver that fails 3 times first (the real worker)', async () => {
    const rx = await receiver((n) => (n <= 3 ? 500 : 204));
    const hook = await webhook(rx.url);
    const [eventId] = await emit(1);
    let worker: WorkerHandle | undefined;
    try {
      worker = await start(
        loadWorkerConfig({
          APP_ENV: 'test',
          METRICS_PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: testDb.url,
          REDIS_KEY_PREFIX: `test:webhook-dispatch:${process.pid}:`,
          WEBHOOK_POLL_MS: '20',
          WEBHOOK_BACKOFF_BASE_MS: '50',
          WEBHOOK_BACKOFF_MAX_MS: '400',
          WEBHOOK_MAX_ATTEMPTS: '6',
        }),
        { logger: quiet },
      );
      await waitFor(async () => (await deliveries(hook.id))[0]?.status === 'delivered', {
        timeoutMs: 20_000,
        what: 'delivered',
      });
      // Nothing more arrives once delivered.
      await new Promise((resolve) => setTimeout(resolve, 500));

      expect(rx.received.map((r) => r.answered)).toEqual([500, 500, 500, 204]);
      const ids = new Set(rx.received.map((r) => r.headers['x-fleet-delivery']));
      expect(ids.size).toBe(1); // the same delivery id on every retry
      const accepted = rx.received.filter((r) => r.answered >= 200 && r.answered < 300);
      expect(accepted).toHaveLength(1);

      const final = accepted[0];
      const payload = WebhookPayload.parse(JSON.parse(final.body));
      expect(payload.event).toMatchObject({
        id: eventId,
        vehicleId: vehicle,
        type: 'geofence_enter',
        vehicleName: 'Van 1',
        lat: 40.4,
        lon: -3.7,
        attributes: { k: 1 },
      });
      expect(payload.webhookId).toBe(hook.id);
      expect(final.headers['x-fleet-delivery']).toBe(payload.deliveryId);
      expect(final.headers['x-fleet-event']).toBe('geofence_enter');
      expect(final.headers['content-type']).toBe('application/json');
      const timestamp = final.headers['x-fleet-timestamp'] as string;
      const signature = final.headers['x-fleet-signature'] as string;
      // Recomputed here from the documented recipe, not only through the worker's own helper.
      const expected = createHmac('sha256', hook.secret).update(`${timestamp}.${final.body}`).digest('hex');
      expect(signature).toBe(`t=${timestamp},v1=${expected}`);
      expect(verifySignature(signature, final.body, hook.secret)).toBe(true);
      expect(verifySignature(signature, final.body, 'whsec_wrong')).toBe(false);

      const [row] = await deliveries(hook.id);
      expect(row).toMatchObject({ status: 'delivered', attempts: 4, last_status: 204, last_error: null });
      const state = (
        await pool.query(
          'SELECT last_status, last_error, consecutive_failures, last_success_at, last_attempt_at FROM webhooks WHERE id = $1',
          [hook.id],
        )
      ).rows[0];
      expect(state).toMatchObject({ last_status: 204, last_error: null, consecutive_failures: 0 });
      expect(state.last_success_at).toBeInstanceOf(Date);

      const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
      expect(metrics).toMatch(/webhook_delivery_attempts_total\{[^}]*outcome="retry"[^}]*\} 3\b/);
      expect(metrics).toMatch(/webhook_delivery_attempts_total\{[^}]*outcome="delivered"[^}]*\} 1\b/);
    } finally {
      await worker?.stop();
      await rx.close();
    }
  });

  it('gives up after the last attempt, marks the delivery failed and shows the failures on the webhook', async () => {
    const rx = await receiver(() => 503);
    const hook = await webhook(rx.url);
    await emit(1);
    const d = dispatcher({ maxAttempts: 3 });
    try {
      await waitFor(async () => (await deliveries(hook.id))[0]?.status === 'failed', {
        timeoutMs: 10_000,
        what: 'failed',
      });
      expect(rx.received).toHaveLength(3);
      const [row] = await deliveries(hook.id);
      expect(row).toMatchObject({ status: 'failed', attempts: 3, last_status: 503 });
      expect(row.last_error).toMatch(/^HTTP 503 \(gave up after 3 attempts\)$/);
      const state = (
        await pool.query('SELECT last_status, consecutive_failures, last_success_at FROM webhooks WHERE id = $1', [
          hook.id,
        ])
      ).rows[0];
      expect(state).toEqual({ last_status: 503, consecutive_failures: 3, last_success_at: null });
    } finally {
      await d.stop();
      await rx.close();
    }
  });

  it('shares deliveries between two dispatchers without sending any twice', async () => {
    const rx = await receiver(() => 200);
    const hook = await webhook(rx.url);
    const events = await emit(40);
    const [a, b] = [dispatcher({ concurrency: 3 }), dispatcher({ concurrency: 3 })];
    try {
      await waitFor(async () => (await deliveries(hook.id)).every((r) => r.status === 'delivered'), {
        timeoutMs: 20_000,
        what: 'all delivered',
      });
      const byDelivery = new Map<string, number>();
      for (const r of rx.received) {
        const id = r.headers['x-fleet-delivery'] as string;
        byDelivery.set(id, (byDelivery.get(id) ?? 0) + 1);
      }
      expect(byDelivery.size).toBe(40);
      expect([...byDelivery.values()].every((n) => n === 1)).toBe(true);
      const eventIds = rx.received.map((r) => WebhookPayload.parse(JSON.parse(r.body)).event?.id).sort();
      expect(eventIds).toEqual([...events].sort());
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await rx.close();
    }
  });

  it('schedules only enabled webhooks whose filter takes the type, and fails a disabled one’s pending deliveries unsent', async () => {
    const rx = await receiver(() => 200);
    const all = await webhook(rx.url);
    const offline = await webhook(rx.url, { eventTypes: ['device_offline'] });
    const disabled = await webhook(rx.url, { enabled: false });
    const later = await webhook(rx.url);
    await emit(1, 'overspeed');
    expect(await deliveries(all.id)).toHaveLength(1);
    expect(await deliveries(offline.id)).toHaveLength(0);
    expect(await deliveries(disabled.id)).toHaveLength(0);
    // Disabled after its delivery was scheduled: nothing is sent to it.
    await pool.query('UPDATE webhooks SET enabled = false WHERE id = $1', [later.id]);
    const d = dispatcher();
    try {
      await waitFor(
        async () =>
          (await deliveries(all.id))[0]?.status === 'delivered' && (await deliveries(later.id))[0]?.status === 'failed',
        { timeoutMs: 10_000, what: 'settled' },
      );
      expect(rx.received).toHaveLength(1);
      expect((await deliveries(later.id))[0]).toMatchObject({ attempts: 1, last_error: 'webhook disabled' });
      // Skipping says nothing about the receiver: the webhook's failure state is untouched.
      const state = (
        await pool.query('SELECT consecutive_failures, last_attempt_at FROM webhooks WHERE id = $1', [later.id])
      ).rows[0];
      expect(state).toEqual({ consecutive_failures: 0, last_attempt_at: null });
    } finally {
      await d.stop();
      await rx.close();
    }
  });

  it('times out a receiver that never answers, and refuses loopback when private addresses are not allowed', async () => {
    const rx = await receiver(() => 'hang');
    const slow = await webhook(rx.url);
    await emit(1);
    const d = dispatcher({ timeoutMs: 300, maxAttempts: 1 });
    try {
      await waitFor(async () => (await deliveries(slow.id))[0]?.status === 'failed', {
        timeoutMs: 10_000,
        what: 'failed',
      });
      expect((await deliveries(slow.id))[0].last_error).toMatch(/no answer within 300 ms/);
    } finally {
      await d.stop();
    }
    await pool.query('DELETE FROM webhooks WHERE id = $1', [slow.id]);

    const guarded = await webhook(rx.url.replace('127.0.0.1', 'localhost'));
    const literal = await webhook(rx.url);
    const before = rx.received.length;
    await emit(1);
    const strict = dispatcher({ allowPrivateUrls: false, maxAttempts: 1 });
    try {
      await waitFor(
        async () =>
          (await deliveries(guarded.id))[0]?.status === 'failed' &&
          (await deliveries(literal.id))[0]?.status === 'failed',
        { timeoutMs: 10_000, what: 'refused' },
      );
      expect((await deliveries(guarded.id))[0].last_error).toMatch(/localhost is a private or loopback address/);
      expect((await deliveries(literal.id))[0].last_error).toMatch(/127\.0\.0\.1 is a private or loopback address/);
      expect(rx.received.length).toBe(before);
    } finally {
      await strict.stop();
      await rx.close();
    }
  });
});
