import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { withTransaction } from '@fleet/db';
import { createLogger } from '@fleet/logging-json';
import { publishStaged, stageBatch, type NormalizedPosition, type Staged } from '@fleet/queue-replay';
import { createRedis, type Redis } from '@fleet/runtime';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import client from 'prom-client';
import { loadWorkerConfig } from '../config';
import { start, type WorkerHandle } from '../server';
import { LEASE_MARGIN_MS } from '../deliveries/lease';
import { startTestSmtp as startSmtp } from '../testing/smtp';
import { enqueueNotificationDeliveries } from './enqueue';
import { startNotifications } from './start';

const quiet = createLogger({ service: 'worker', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:worker-notifications:${process.pid}:`;

/** A local stand-in for the Telegram Bot API: accepts every sendMessage and keeps it. */
async function startFakeTelegram() {
  const messages: { token: string; chat_id: string; text: string; parse_mode: string }[] = [];
  let nextId = 1;
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  const server: Server = createServer((req, res) => {
    void read(req).then((body) => {
      const m = /^\/bot([^/]+)\/sendMessage$/.exec(req.url ?? '');
      if (!m) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"ok":false,"error_code":404}');
        return;
      }
      messages.push({ token: m[1], ...JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, result: { message_id: nextId++ } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface LogRow {
  channel: string;
  status: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  sent_at: Date | null;
}
const logOf = async (pool: pg.Pool, ruleId: string) =>
  (
    await pool.query<LogRow>(
      'SELECT channel, status, attempts, last_error, next_attempt_at, sent_at FROM notification_deliveries WHERE rule_id = $1 ORDER BY channel',
      [ruleId],
    )
  ).rows;

async function seed(pool: pg.Pool, slug: string) {
  const org = (await pool.query('INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id', [slug])).rows[0]
    .id as string;
  const user = (
    await pool.query("INSERT INTO users (organization_id, email, password_hash) VALUES ($1, $2, 'x') RETURNING id", [
      org,
      `owner@${slug}.example`,
    ])
  ).rows[0].id as string;
  return { org, user };
}

async function rule(
  pool: pg.Pool,
  owner: { org: string; user: string },
  r: {
    email?: string | null;
    telegram?: string | null;
    eventTypes?: string[];
    vehicleIds?: string[];
    groupIds?: string[];
    quiet?: [string, string, 'skip' | 'defer'];
    language?: string;
    timeZone?: string;
  },
) {
  return (
    await pool.query(
      `INSERT INTO notification_rules (organization_id, user_id, name, event_types, vehicle_ids, email, telegram_chat_id,
                                       language, time_zone, quiet_start, quiet_end, quiet_mode, group_ids)
       VALUES ($1, $2, 'Depot', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
      [
        owner.org,
        owner.user,
        r.eventTypes ?? ['geofence_enter'],
        r.vehicleIds ?? [],
        r.email ?? null,
        r.telegram ?? null,
        r.language ?? 'en',
        r.timeZone ?? 'Europe/Madrid',
        r.quiet?.[0] ?? null,
        r.quiet?.[1] ?? null,
        r.quiet?.[2] ?? 'defer',
        r.groupIds ?? [],
      ],
    )
  ).rows[0].id as string;
}

describe('notifications sent by the worker', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let worker: WorkerHandle;
  let redis: Redis;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let telegram: Awaited<ReturnType<typeof startFakeTelegram>>;
  let owner: { org: string; user: string };

  beforeAll(async () => {
    testDb = await createTestDatabase('worker-notifications');
    pool = new pg.Pool({ connectionString: testDb.url, max: 3 });
    pool.on('error', () => undefined);
    owner = await seed(pool, 'n');
    await pool.query(
      `INSERT INTO geofences (organization_id, name, kind, area)
         VALUES ($1, 'Depot Norte', 'polygon', ST_GeomFromText('POLYGON((-3.01 40, -3 40, -3 40.01, -3.01 40.01, -3.01 40))', 4326))
         RETURNING id`,
      [owner.org],
    );
    smtp = await startSmtp();
    telegram = await startFakeTelegram();
    redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    worker = await start(
      loadWorkerConfig({
        APP_ENV: 'test',
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: testDb.url,
        REDIS_KEY_PREFIX: prefix,
        INGEST_CONCURRENCY: '1',
        INGEST_BLOCK_MS: '100',
        REPLAY_INTERVAL_MS: '200',
        REPLAY_GRACE_MS: '300',
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
        SMTP_FROM: 'Fleet <fleet@test.example>',
        TELEGRAM_BOT_TOKEN: '123456:test-token',
        TELEGRAM_API_BASE_URL: telegram.url,
        WEB_BASE_URL: 'https://fleet.test.example',
        NOTIFY_POLL_MS: '50',
        NOTIFY_BACKOFF_BASE_MS: '100',
        NOTIFY_BACKOFF_MAX_MS: '200',
      }),
      { logger: quiet },
    );
  });

  afterAll(async () => {
    await worker?.stop();
    redis?.disconnect();
    await smtp?.close();
    await telegram?.close();
    await pool?.end();
    await testDb?.drop();
  });

  const vehicle = async (name: string) =>
    (
      await pool.query(
        'INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, $2, $3) RETURNING id',
        [owner.org, name, `${name}-${process.pid}`],
      )
    ).rows[0].id as string;
  const at = (vehicleId: string, base: number, s: number, lon: number): NormalizedPosition => ({
    vehicleId,
    organizationId: owner.org,
    ts: base + s * 1000,
    lat: 40.005,
    lon,
    speedKmh: 30,
  });
  const send = async (positions: NormalizedPosition[]): Promise<Staged> => {
    const staged = await stageBatch(pool, { protocol: 'test', positions });
    await publishStaged(redis, staged, { names: worker.names, maxLen: 10_000 });
    return staged;
  };
  const processed = async (id: string) =>
    (await pool.query('SELECT processed_at FROM ingest_staging WHERE id = $1', [id])).rows[0]?.processed_at != null;
  const mailsTo = (address: string) => smtp.received.filter((r) => r.to.includes(address));
  const telegramsTo = (chat: string) => telegram.messages.filter((m) => String(m.chat_id) === chat);

  it('an event committed by the worker sends one e-mail and one Telegram message, logged as sent; a redelivered batch sends nothing twice', async () => {
    const r = await rule(pool, owner, { email: 'ops@n.example', telegram: '-1001', language: 'es' });
    const v = await vehicle('Furgoneta 7');
    const base = Date.now() - 60_000;
    const batch = await send([at(v, base, 0, -3.02), at(v, base, 10, -3.005)]);

    await waitFor(
      async () => (await logOf(pool, r)).every((d) => d.status === 'sent') && (await logOf(pool, r)).length === 2,
      {
        timeoutMs: 15_000,
        what: 'both deliveries sent',
      },
    );
    const log = await logOf(pool, r);
    expect(log.map((d) => [d.channel, d.status, d.attempts, d.last_error])).toEqual([
      ['email', 'sent', 1, null],
      ['telegram', 'sent', 1, null],
    ]);
    expect(log.every((d) => d.sent_at instanceof Date)).toBe(true);
    const [mail] = mailsTo('ops@n.example');
    expect(mailsTo('ops@n.example')).toHaveLength(1);
    expect(mail.mail.subject).toContain('Furgoneta 7');
    expect(mail.mail.text).toContain('Depot Norte');
    expect(mail.mail.text).toContain('https://fleet.test.example/events?');
    expect(telegramsTo('-1001')).toHaveLength(1);
    expect(telegramsTo('-1001')[0]).toMatchObject({ token: '123456:test-token', parse_mode: 'HTML' });
    expect(telegramsTo('-1001')[0].text).toContain('Furgoneta 7');

    // The same batch redelivered through the stream and through the replayer: nothing new to send.
    await publishStaged(redis, batch, { names: worker.names, maxLen: 10_000 });
    await pool.query('UPDATE ingest_staging SET processed_at = NULL WHERE id = $1', [batch.id]);
    await waitFor(async () => processed(batch.id), { timeoutMs: 15_000, what: 'redelivered batch processed' });
    await waitFor(async () => (await redis.xpending(worker.names.stream, worker.names.group))[0] === 0, {
      timeoutMs: 10_000,
      what: 'stream drained',
    });
    // And the events enqueued once more by hand, as a hook run twice would: the unique key holds.
    const events = (
      await pool.query(
        'SELECT id, organization_id AS "organizationId", vehicle_id AS "vehicleId", type FROM events WHERE vehicle_id = $1',
        [v],
      )
    ).rows;
    expect(events).toHaveLength(1);
    expect(await withTransaction(pool, (c) => enqueueNotificationDeliveries(c, events))).toBe(0);
    // A later event of another vehicle goes through the same loop: by the time it is sent, a duplicate would have been too.
    const later = await vehicle('Furgoneta 8');
    await send([at(later, base, 0, -3.02), at(later, base, 10, -3.005)]);
    await waitFor(async () => telegramsTo('-1001').length === 2 && mailsTo('ops@n.example').length === 2, {
      timeoutMs: 15_000,
      what: 'the later event notified',
    });
    expect(mailsTo('ops@n.example').filter((m) => m.mail.subject?.includes('Furgoneta 7'))).toHaveLength(1);
    expect(telegramsTo('-1001').filter((m) => m.text.includes('Furgoneta 7'))).toHaveLength(1);
    // The server has the message a moment before the log row says so.
    await waitFor(async () => (await logOf(pool, r)).filter((d) => d.status === 'sent').length === 4, {
      timeoutMs: 10_000,
      what: 'the later event logged as sent',
    });
    expect(await logOf(pool, r)).toHaveLength(4);
  });

  it('a rule for a vehicle group notifies of its vehicles and its subgroups’ vehicles, not of others', async () => {
    const group = async (name: string, parent: string | null = null) =>
      (
        await pool.query(
          'INSERT INTO vehicle_groups (organization_id, name, parent_id) VALUES ($1, $2, $3) RETURNING id',
          [owner.org, name, parent],
        )
      ).rows[0].id as string;
    const region = await group('Región Sur');
    const depot = await group('Depósito Sur', region);
    const elsewhere = await group('Región Este');
    const covering = await rule(pool, owner, { email: 'region@n.example', groupIds: [region] });
    const other = await rule(pool, owner, { email: 'este@n.example', groupIds: [elsewhere] });
    const v = await vehicle('Furgoneta 9');
    await pool.query('UPDATE vehicles SET group_id = $2 WHERE id = $1', [v, depot]);
    const base = Date.now() - 50_000;
    await send([at(v, base, 0, -3.02), at(v, base, 10, -3.005)]);
    await waitFor(async () => (await logOf(pool, covering)).some((d) => d.status === 'sent'), {
      timeoutMs: 15_000,
      what: 'the group rule’s e-mail sent',
    });
    expect(mailsTo('region@n.example').map((m) => m.mail.subject)).toEqual([expect.stringContaining('Furgoneta 9')]);
    expect(await logOf(pool, other)).toEqual([]);
    expect(mailsTo('este@n.example')).toHaveLength(0);
  });

  it('a rule of a user limited to vehicle groups never reaches beyond their groups, whatever it lists', async () => {
    const group = async (name: string, parent: string | null = null) =>
      (
        await pool.query(
          'INSERT INTO vehicle_groups (organization_id, name, parent_id) VALUES ($1, $2, $3) RETURNING id',
          [owner.org, name, parent],
        )
      ).rows[0].id as string;
    const north = await group('Región Norte');
    const depot = await group('Depósito Norte', north);
    const west = await group('Región Oeste');
    const inside = await vehicle('Furgoneta Norte');
    const outside = await vehicle('Furgoneta Oeste');
    await pool.query('UPDATE vehicles SET group_id = $2 WHERE id = $1', [inside, depot]);
    await pool.query('UPDATE vehicles SET group_id = $2 WHERE id = $1', [outside, west]);
    const limited = (
      await pool.query("INSERT INTO users (organization_id, email, password_hash) VALUES ($1, $2, 'x') RETURNING id", [
        owner.org,
        'limited@n.example',
      ])
    ).rows[0].id as string;
    await pool.query('INSERT INTO user_group_scopes (user_id, group_id) VALUES ($1, $2)', [limited, north]);
    const me = { org: owner.org, user: limited };
    // Every vehicle (nothing listed), the other group named, the other vehicle named: none reaches it.
    const all = await rule(pool, me, { email: 'all@n.example', eventTypes: ['overspeed'] });
    const named = await rule(pool, me, {
      email: 'named@n.example',
      eventTypes: ['overspeed'],
      groupIds: [west],
      vehicleIds: [outside],
    });
    const events = await withTransaction(pool, async (c) => {
      const stored = [];
      for (const [k, vehicleId] of [inside, outside].entries()) {
        const id = (
          await c.query(
            "INSERT INTO events (organization_id, vehicle_id, type, ts) VALUES ($1, $2, 'overspeed', now() - $3 * interval '1 minute') RETURNING id",
            [owner.org, vehicleId, k + 1],
          )
        ).rows[0].id as string;
        stored.push({ id, organizationId: owner.org, vehicleId, type: 'overspeed' });
      }
      await enqueueNotificationDeliveries(c, stored);
      return stored;
    });
    const queued = await pool.query<{ rule_id: string; event_id: string }>(
      'SELECT rule_id, event_id FROM notification_deliveries WHERE rule_id = ANY($1::uuid[])',
      [[all, named]],
    );
    expect(queued.rows).toEqual([{ rule_id: all, event_id: events[0].id }]);
  });

  it('retries a transient SMTP failure (451) with backoff, then sends once', async () => {
    const r = await rule(pool, owner, { email: 'retry@n.example' });
    const v = await vehicle('Van retry');
    smtp.rejectNextRcpt('retry@n.example', 451);
    await send([at(v, Date.now() - 60_000, 0, -3.02), at(v, Date.now() - 60_000, 10, -3.005)]);
    await waitFor(async () => (await logOf(pool, r))[0]?.status === 'sent', {
      timeoutMs: 15_000,
      what: 'sent after a retry',
    });
    expect((await logOf(pool, r)).map((d) => [d.channel, d.status, d.attempts])).toEqual([['email', 'sent', 2]]);
    expect(mailsTo('retry@n.example')).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(metrics).toMatch(/notifications_sent_total\{channel="email",status="retry",[^}]*\} [1-9]/);
    expect(metrics).toMatch(/notifications_sent_total\{channel="email",status="sent",[^}]*\} [1-9]/);
  });

  it('sends a test (no event) through each channel of the rule, in its language', async () => {
    const r = await rule(pool, owner, {
      email: 'test@n.example',
      telegram: '-1009',
      language: 'es',
      eventTypes: ['overspeed'],
    });
    await pool.query(
      "INSERT INTO notification_deliveries (rule_id, event_id, channel) VALUES ($1, NULL, 'email'), ($1, NULL, 'telegram')",
      [r],
    );
    await waitFor(async () => (await logOf(pool, r)).filter((d) => d.status === 'sent').length === 2, {
      timeoutMs: 15_000,
      what: 'test sends sent',
    });
    expect(mailsTo('test@n.example').map((m) => m.mail.subject)).toEqual(['Fleet: notificación de prueba']);
    expect(telegramsTo('-1009').map((m) => m.text)).toEqual([expect.stringContaining('«Depot»')]);
  });

  it('marks a permanent failure failed at once (SMTP 550), with the server’s reason', async () => {
    const r = await rule(pool, owner, { email: 'gone@n.example' });
    const v = await vehicle('Van gone');
    smtp.rejectNextRcpt('gone@n.example', 550);
    await send([at(v, Date.now() - 60_000, 0, -3.02), at(v, Date.now() - 60_000, 10, -3.005)]);
    await waitFor(async () => (await logOf(pool, r))[0]?.status === 'failed', { timeoutMs: 15_000, what: 'failed' });
    const [d] = await logOf(pool, r);
    expect(d.attempts).toBe(1);
    expect(d.last_error).toMatch(/^smtp_550: /);
    expect(mailsTo('gone@n.example')).toHaveLength(0);
  });
});

describe('quiet hours and retries (injected clock)', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let owner: { org: string; user: string };
  let v: string;

  beforeAll(async () => {
    testDb = await createTestDatabase('worker-notifications-quiet');
    pool = new pg.Pool({ connectionString: testDb.url, max: 3 });
    pool.on('error', () => undefined);
    owner = await seed(pool, 'q');
    v = (
      await pool.query(
        "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Night van', 'night-van') RETURNING id",
        [owner.org],
      )
    ).rows[0].id;
    smtp = await startSmtp();
  });

  afterAll(async () => {
    await smtp?.close();
    await pool?.end();
    await testDb?.drop();
  });

  const startSender = (
    registry: client.Registry,
    now: () => Date,
    policy: { maxAttempts: number; baseMs: number; maxMs: number } = { maxAttempts: 3, baseMs: 50, maxMs: 100 },
  ) =>
    startNotifications({
      pool,
      logger: quiet,
      registry,
      now,
      config: {
        smtp: {
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
          requireTls: false,
          from: 'fleet@q.example',
          timeoutMs: 5_000,
        },
        telegram: null,
        webBaseUrl: 'https://fleet.test.example',
        concurrency: 2,
        pollMs: 20,
        sendTimeoutMs: 5_000,
        policy,
      },
    });

  /**
   * A settable fake clock that counts how often the sender read it: waiting for a few more reads is
   * waiting for the sender to have polled again (no fixed sleep) before saying it sent nothing.
   */
  const fakeClock = (start: string) => {
    const clock = { at: new Date(start), reads: 0, now: () => (clock.reads++, clock.at) };
    return clock;
  };
  const pollsAfter = async (clock: { reads: number }, what: string) => {
    const from = clock.reads;
    await waitFor(async () => clock.reads >= from + 10, { timeoutMs: 10_000, what });
  };
  /** Only the rules of the test at hand notify (the earlier tests' rules take device_offline too). */
  const onlyRule = (id: string) =>
    pool.query('UPDATE notification_rules SET enabled = (id = $2) WHERE organization_id = $1', [owner.org, id]);
  const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));

  /** An event stored and its deliveries queued in one transaction, as the worker's hook does. */
  const commitEvent = (ts: string) =>
    withTransaction(pool, async (c) => {
      const id = (
        await c.query(
          "INSERT INTO events (organization_id, vehicle_id, type, ts) VALUES ($1, $2, 'device_offline', $3) RETURNING id",
          [owner.org, v, ts],
        )
      ).rows[0].id as string;
      return enqueueNotificationDeliveries(c, [
        { id, organizationId: owner.org, vehicleId: v, type: 'device_offline' },
      ]);
    });

  it('defers a notification to the end of the quiet hours in the rule’s zone, skips one in skip mode', async () => {
    const deferred = await rule(pool, owner, {
      email: 'night@q.example',
      eventTypes: ['device_offline'],
      quiet: ['22:00', '07:00', 'defer'],
    });
    const skipped = await rule(pool, owner, {
      email: 'skip@q.example',
      eventTypes: ['device_offline'],
      quiet: ['22:00', '07:00', 'skip'],
    });
    // 00:30 in Madrid (UTC+1 in January): quiet until 07:00 local, 06:00 UTC. The clock is ahead of the
    // real one: rows are created due at the database's now(), which must not be in the clock's future.
    let now = new Date('2027-01-15T23:30:00Z');
    const registry = new client.Registry();
    const sender = startSender(registry, () => now);
    try {
      expect(await commitEvent('2027-01-15T23:29:00Z')).toBe(2);
      await waitFor(
        async () =>
          (await logOf(pool, deferred))[0]?.next_attempt_at.toISOString() === '2027-01-16T06:00:00.000Z' &&
          (await logOf(pool, skipped))[0]?.status === 'skipped',
        { timeoutMs: 10_000, what: 'deferred and skipped' },
      );
      expect((await logOf(pool, deferred)).map((d) => [d.status, d.attempts])).toEqual([['pending', 0]]);
      expect((await logOf(pool, skipped)).map((d) => [d.status, d.attempts, d.last_error])).toEqual([
        ['skipped', 0, 'quiet hours'],
      ]);
      expect(smtp.received).toHaveLength(0);

      // Still quiet a minute before the end: not due yet, nothing sent.
      now = new Date('2027-01-16T05:59:00Z');
      await waitFor(
        async () => (await registry.getSingleMetricAsString('notifications_sent_total')).includes('deferred'),
        {
          timeoutMs: 5_000,
          what: 'deferral counted',
        },
      );
      expect(smtp.received).toHaveLength(0);

      now = new Date('2027-01-16T06:00:01Z');
      await waitFor(async () => (await logOf(pool, deferred))[0]?.status === 'sent', {
        timeoutMs: 10_000,
        what: 'sent after quiet hours',
      });
      expect(smtp.received.map((r) => r.to)).toEqual([['night@q.example']]);
      expect((await logOf(pool, deferred))[0].sent_at?.toISOString()).toBe('2027-01-16T06:00:01.000Z');
    } finally {
      await sender.stop();
    }
  });
  it('defers to 07:00 summer time on the night the clocks go forward: 05:00 UTC, not 06:00', async () => {
    const r = await rule(pool, owner, {
      email: 'dst@q.example',
      eventTypes: ['device_offline'],
      quiet: ['22:00', '07:00', 'defer'],
      timeZone: 'Europe/Madrid',
    });
    await onlyRule(r);
    // 00:30 CET on 2027-03-28; at 02:00 the clocks jump to 03:00 CEST, so 07:00 local is 05:00 UTC.
    const clock = fakeClock('2027-03-27T23:30:00Z');
    const sender = startSender(new client.Registry(), clock.now);
    try {
      expect(await commitEvent('2027-03-27T23:29:00Z')).toBe(1);
      await waitFor(
        async () => (await logOf(pool, r))[0]?.next_attempt_at.toISOString() === '2027-03-28T05:00:00.000Z',
        { timeoutMs: 10_000, what: 'deferred to the end of quiet hours' },
      );
      // A millisecond before the end: still quiet, whatever the sender polls.
      clock.at = new Date('2027-03-28T04:59:59.999Z');
      await pollsAfter(clock, 'polls a millisecond before the end');
      expect((await logOf(pool, r)).map((d) => [d.status, d.attempts])).toEqual([['pending', 0]]);
      expect(mailsTo('dst@q.example')).toHaveLength(0);
      // At the end instant exactly: sent, stamped with it.
      clock.at = new Date('2027-03-28T05:00:00.000Z');
      await waitFor(async () => (await logOf(pool, r))[0]?.status === 'sent', { timeoutMs: 10_000, what: 'sent' });
      expect((await logOf(pool, r))[0].sent_at?.toISOString()).toBe('2027-03-28T05:00:00.000Z');
      expect(mailsTo('dst@q.example')).toHaveLength(1);
    } finally {
      await sender.stop();
    }
  });

  it('retries a transient failure on the backoff schedule of the fake clock, never earlier, without real waiting', async () => {
    const r = await rule(pool, owner, { email: 'backoff@q.example', eventTypes: ['device_offline'] });
    await onlyRule(r);
    // A minute base doubling to a two-minute cap, half of each random: 30–60 s, then 60–120 s.
    const policy = { maxAttempts: 4, baseMs: 60_000, maxMs: 120_000 };
    const clock = fakeClock('2027-04-01T10:00:00Z');
    smtp.rejectNextRcpt('backoff@q.example', 451, 451);
    const sender = startSender(new client.Registry(), clock.now, policy);
    try {
      expect(await commitEvent('2027-04-01T09:59:00Z')).toBe(1);
      const windows = [
        [30_000, 60_000],
        [60_000, 120_000],
      ];
      for (const [attempt, [min, max]] of windows.entries()) {
        const failedAt = clock.at.getTime();
        // Claimed (attempts counted, due again when the lease of the send timeout and its margin ends),
        // then failed: the lease gives way to the retry's due time.
        await waitFor(
          async () => {
            const [row] = await logOf(pool, r);
            const lease = failedAt + 5_000 + LEASE_MARGIN_MS;
            return row?.attempts === attempt + 1 && row.last_error !== null && row.next_attempt_at.getTime() !== lease;
          },
          { timeoutMs: 10_000, what: `attempt ${attempt + 1} failed` },
        );
        const [d] = await logOf(pool, r);
        expect(d.status).toBe('pending');
        expect(mailsTo('backoff@q.example')).toHaveLength(0);
        const wait = d.next_attempt_at.getTime() - failedAt;
        expect(wait).toBeGreaterThanOrEqual(min);
        expect(wait).toBeLessThanOrEqual(max);
        // A millisecond before the retry is due: nothing.
        clock.at = new Date(d.next_attempt_at.getTime() - 1);
        await pollsAfter(clock, `polls before retry ${attempt + 1}`);
        expect((await logOf(pool, r))[0].attempts).toBe(attempt + 1);
        clock.at = d.next_attempt_at;
      }
      await waitFor(async () => (await logOf(pool, r))[0]?.status === 'sent', { timeoutMs: 10_000, what: 'sent' });
      const [d] = await logOf(pool, r);
      expect([d.attempts, d.sent_at?.toISOString()]).toEqual([3, clock.at.toISOString()]);
      expect(mailsTo('backoff@q.example')).toHaveLength(1);
    } finally {
      await sender.stop();
    }
  });

  it('gives up on a delivery whose sends kept dying with their worker (attempts counted at the claim)', async () => {
    const r = await rule(pool, owner, { email: 'crash@q.example', eventTypes: ['device_offline'] });
    // Claimed three times, each lease expired without an outcome: what a send crashing its worker leaves.
    await pool.query(
      "INSERT INTO notification_deliveries (rule_id, event_id, channel, attempts) VALUES ($1, NULL, 'email', 3)",
      [r],
    );
    const sender = startSender(new client.Registry(), () => new Date(Date.now() + 1_000));
    try {
      await waitFor(async () => (await logOf(pool, r))[0]?.status === 'failed', { timeoutMs: 10_000, what: 'failed' });
      expect((await logOf(pool, r))[0]).toMatchObject({
        attempts: 3,
        last_error: 'gave up after 3 attempts without an answer',
      });
      expect(smtp.received.filter((m) => m.to.includes('crash@q.example'))).toHaveLength(0);
    } finally {
      await sender.stop();
    }
  });
});
