import { PassThrough } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { createLogger } from '@fleet/logging-json';
import { createEmailChannel } from '@fleet/notify';
import { Places } from '@fleet/places';
import { previousPeriod } from '@fleet/reports';
import { readPdf } from '@fleet/reports/testing';
import { waitFor } from '@fleet/runtime/testing';
import type { ParsedMail } from 'mailparser';
import pg from 'pg';
import client from 'prom-client';
import { loadWorkerConfig } from '../config';
import type { LeaseLoop } from '../deliveries/loop';
import { start, type WorkerHandle } from '../server';
import { startTestSmtp, type TestSmtp } from '../testing/smtp';
import { reportRunMetrics } from './scheduler';
import { startReportRunSender } from './sender';

// Reading the bundled places and rendering PDFs take seconds on a loaded machine.
jest.setTimeout(120_000);

const quiet = createLogger({ service: 'worker', format: 'json', level: 'error', stream: new PassThrough() });
const VEHICLE = 'Furgoneta Ñandú 7';
// 2 March 2026 in Madrid (UTC+1): its midnights in UTC.
const DAY = { from: '2026-03-01T23:00:00.000Z', to: '2026-03-02T23:00:00.000Z' };
const TRIP_KM = 25;

let testDb: TestDatabase;
let pool: pg.Pool;
let places: Places;
let org: string;
let user: string;
let vehicle: string;
let group: string;
let smtp: TestSmtp;

/** One trip: parked 10 minutes from `parkedAt`, 30 minutes east at 50 km/h (25 km), parked 10 minutes. */
async function seedTrip(vehicleId: string, parkedAt: string) {
  await pool.query(
    `INSERT INTO positions (vehicle_id, ts, point, speed_kmh)
     SELECT $1, $3::timestamptz + g * interval '10 seconds',
            ST_SetSRID(ST_MakePoint(-3.7 + $2::float8 * LEAST(GREATEST(g - 60, 0), 180) / 180.0, 40.4), 4326),
            CASE WHEN g > 60 AND g <= 240 THEN 50 ELSE 0 END
       FROM generate_series(0, 300) g`,
    // 25 km east at latitude 40.4: degrees of longitude.
    [vehicleId, TRIP_KM / (111.32 * Math.cos((40.4 * Math.PI) / 180)), parkedAt],
  );
}

async function schedule(
  o: { kind?: string; vehicleIds?: string[]; groupIds?: string[]; recipients?: string[]; name?: string } = {},
) {
  const res = await pool.query<{ id: string }>(
    `INSERT INTO report_schedules (organization_id, user_id, name, kind, vehicle_ids, group_ids, recipients, frequency, hour,
                                   time_zone, language)
     VALUES ($1, $2, $3, $4, $5::uuid[], $6::uuid[], $7, 'daily', 7, 'Europe/Madrid', 'es') RETURNING id`,
    [
      org,
      user,
      o.name ?? 'Trayectos diarios',
      o.kind ?? 'trips',
      o.vehicleIds ?? [],
      o.groupIds ?? [group],
      o.recipients ?? ['ops@org.example', 'boss@org.example'],
    ],
  );
  return res.rows[0].id;
}

async function queueRun(scheduleId: string, period = DAY): Promise<string> {
  const res = await pool.query<{ id: string }>(
    `INSERT INTO report_runs (schedule_id, period_from, period_to) VALUES ($1, $2, $3) RETURNING id::text AS id`,
    [scheduleId, period.from, period.to],
  );
  return res.rows[0].id;
}

const runOf = async (id: string) =>
  (
    await pool.query<{ status: string; attempts: number; error: string | null; sent_at: Date | null }>(
      'SELECT status, attempts, error, sent_at FROM report_runs WHERE id = $1',
      [id],
    )
  ).rows[0];

function sender(o: { pool?: pg.Pool; maxAttempts?: number; concurrency?: number; registry?: client.Registry } = {}) {
  const registry = o.registry ?? new client.Registry();
  return startReportRunSender({
    pool: o.pool ?? pool,
    logger: quiet,
    places,
    email: createEmailChannel({
      host: '127.0.0.1',
      port: smtp.port,
      secure: false,
      from: 'Fleet <fleet@test.example>',
    }),
    metrics: reportRunMetrics(registry),
    concurrency: o.concurrency ?? 1,
    pollMs: 50,
    leaseMs: 60_000,
    policy: { maxAttempts: o.maxAttempts ?? 5, baseMs: 400, maxMs: 2_000 },
  });
}

/** The PDF as a person sees it (readPdf: saved, each page rendered to PNG by pdftoppm, its text read by pdftotext). */
function lookAt(pdf: Buffer): { text: string; pngs: Buffer[] } {
  const { pages, pngs } = readPdf(pdf);
  return { text: pages.join('\n'), pngs };
}

/** RFC 4180 rows of the CSV (no quoted line breaks in these reports), byte order mark dropped. */
const csvRows = (csv: string) =>
  csv
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter(Boolean)
    .map((line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)].map((m) => m[1].replace(/^"|"$/g, '')));

const attachment = (mail: ParsedMail, type: string) => {
  const found = mail.attachments.find((a) => a.contentType.startsWith(type));
  if (!found) throw new Error(`no ${type} attachment in "${mail.subject}"`);
  return found;
};

beforeAll(async () => {
  testDb = await createTestDatabase('worker-report-runs');
  pool = new pg.Pool({ connectionString: testDb.url, max: 6 });
  places = new Places({ pool });
  org = (await pool.query(`INSERT INTO organizations (name, slug) VALUES ('Transportes Sur', 'sur') RETURNING id`))
    .rows[0].id;
  user = (
    await pool.query(
      `INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, 'u@org.example', 'operator', 'x') RETURNING id`,
      [org],
    )
  ).rows[0].id;
  // The vehicle is in a subgroup of the schedule's group: the group is expanded with its subtree.
  group = (
    await pool.query(`INSERT INTO vehicle_groups (organization_id, name) VALUES ($1, 'Sur') RETURNING id`, [org])
  ).rows[0].id;
  const depot = (
    await pool.query(
      `INSERT INTO vehicle_groups (organization_id, name, parent_id) VALUES ($1, 'Depósito Norte', $2) RETURNING id`,
      [org, group],
    )
  ).rows[0].id;
  vehicle = (
    await pool.query(
      `INSERT INTO vehicles (organization_id, name, device_identifier, device_token_hash, group_id)
       VALUES ($1, $2, 'van-7', 'x', $3) RETURNING id`,
      [org, VEHICLE, depot],
    )
  ).rows[0].id;
  // 2 March, 09:00 in Madrid (UTC+1) the trip starts.
  await seedTrip(vehicle, '2026-03-02T07:50:00Z');
});

beforeEach(async () => {
  smtp = await startTestSmtp();
  await pool.query('DELETE FROM report_schedules');
});

afterEach(async () => {
  await smtp?.close();
});

afterAll(async () => {
  await places?.stop();
  await pool?.end();
  await testDb?.drop();
});

describe('scheduled reports by e-mail', () => {
  let loops: LeaseLoop[] = [];
  afterEach(async () => {
    await Promise.all(loops.map((l) => l.stop()));
    loops = [];
  });

  it('e-mails the period’s report of the group’s vehicles with its PDF and CSV, and marks the run sent', async () => {
    const run = await queueRun(await schedule());
    loops.push(sender());
    await waitFor(async () => (await runOf(run)).status === 'sent', { timeoutMs: 30_000, what: 'the run sent' });

    expect(smtp.received).toHaveLength(1);
    const { mail, to } = smtp.received[0];
    expect(to.sort()).toEqual(['boss@org.example', 'ops@org.example']);
    expect(mail.subject).toBe('Trayectos diarios: Trayectos 02/03/2026');
    expect(mail.text).toContain(VEHICLE);
    const pdf = attachment(mail, 'application/pdf');
    const csv = attachment(mail, 'text/csv');
    expect(pdf.filename).toBe('trips_2026-03-02_2026-03-03.pdf');
    expect(csv.filename).toBe('trips_2026-03-02_2026-03-03.csv');

    const seen = lookAt(pdf.content);
    expect(seen.pngs.length).toBeGreaterThanOrEqual(1);
    for (const png of seen.pngs) expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(seen.text).toContain(VEHICLE);
    expect(seen.text).toContain('Transportes Sur');
    // The trip's distance as the Spanish PDF writes it ("25,0 km"), within a kilometre.
    const km = [...seen.text.matchAll(/(\d+,\d) km(?!\/h)/g)].map((m) => Number(m[1].replace(',', '.')));
    expect(km.some((d) => Math.abs(d - TRIP_KM) < 1)).toBe(true);

    const rows = csvRows(csv.content.toString('utf8'));
    expect(csv.content.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(rows).toHaveLength(2); // the header and the one trip
    const header = rows[0];
    const trip = Object.fromEntries(header.map((h, i) => [h, rows[1][i]]));
    expect(Object.values(trip)).toContain(VEHICLE);
    const distance = header.findIndex((h) => /distancia/i.test(h));
    expect(Math.abs(Number(rows[1][distance]) - TRIP_KM)).toBeLessThan(1);
    // Times in the schedule's zone: the trip started at 09:00 in Madrid.
    expect(rows[1].some((v) => /^2026-03-02T09:0\d:\d\d\+01:00$/.test(v))).toBe(true);

    const done = await runOf(run);
    expect(done).toMatchObject({ status: 'sent', attempts: 1, error: null });
    expect(done.sent_at).not.toBeNull();
    const last = await pool.query('SELECT last_status, last_error FROM report_schedules');
    expect(last.rows[0]).toEqual({ last_status: 'sent', last_error: null });
  });

  it('never reports beyond its owner’s vehicle groups: every vehicle, or a vehicle named, outside them is not sent', async () => {
    const east = (
      await pool.query<{ id: string }>(
        `INSERT INTO vehicle_groups (organization_id, name) VALUES ($1, 'Este') RETURNING id`,
        [org],
      )
    ).rows[0].id;
    await pool.query('INSERT INTO user_group_scopes (user_id, group_id) VALUES ($1, $2)', [user, east]);
    try {
      const everyEvent = await queueRun(await schedule({ kind: 'events', groupIds: [], name: 'Eventos' }));
      const named = await queueRun(await schedule({ vehicleIds: [vehicle], groupIds: [], name: 'Trayectos' }));
      loops.push(sender());
      await waitFor(
        async () => (await runOf(everyEvent)).status === 'failed' && (await runOf(named)).status === 'failed',
        {
          timeoutMs: 30_000,
          what: 'both runs refused',
        },
      );
      for (const run of [everyEvent, named])
        expect((await runOf(run)).error).toBe('none of the schedule’s vehicles is within its owner’s vehicle groups');
      expect(smtp.received).toHaveLength(0);
    } finally {
      await pool.query('DELETE FROM user_group_scopes WHERE user_id = $1', [user]);
      await pool.query('DELETE FROM vehicle_groups WHERE id = $1', [east]);
    }
  });

  it('e-mails a maintenance report: each rule of each vehicle with its next service', async () => {
    const rule = (
      await pool.query<{ id: string }>(
        `INSERT INTO maintenance_rules (organization_id, name, every_km, notify_before_km) VALUES ($1, 'Cambio de aceite', 15000, 500) RETURNING id`,
        [org],
      )
    ).rows[0].id;
    try {
      const run = await queueRun(await schedule({ kind: 'maintenance', name: 'Mantenimiento' }));
      loops.push(sender());
      await waitFor(async () => (await runOf(run)).status === 'sent', { timeoutMs: 30_000, what: 'the run sent' });
      const { mail } = smtp.received[0];
      const csv = csvRows(attachment(mail, 'text/csv').content.toString('utf8'));
      expect(csv).toHaveLength(2); // the header and the vehicle's one rule
      expect(csv[1]).toEqual(expect.arrayContaining([VEHICLE, 'Cambio de aceite']));
      const seen = lookAt(attachment(mail, 'application/pdf').content);
      expect(seen.text).toContain('Cambio de aceite');
      expect(seen.text).toContain(VEHICLE);
    } finally {
      await pool.query('DELETE FROM maintenance_rules WHERE id = $1', [rule]);
    }
  });

  it('retries a refusing SMTP server with backoff, then sends once', async () => {
    smtp.rejectNextRcpt('ops@org.example', 451, 451);
    const run = await queueRun(await schedule({ recipients: ['ops@org.example'] }));
    loops.push(sender());
    await waitFor(async () => (await runOf(run)).status === 'pending' && (await runOf(run)).error !== null, {
      timeoutMs: 30_000,
      what: 'the first refusal recorded',
    });
    expect((await runOf(run)).error).toMatch(/451/);
    await waitFor(async () => (await runOf(run)).status === 'sent', { timeoutMs: 30_000, what: 'the run sent' });

    expect(smtp.received).toHaveLength(1);
    expect(await runOf(run)).toMatchObject({ status: 'sent', attempts: 3 });
    // Equal jitter: at least half of 400 ms, then of 800 ms, between the attempts.
    const [a, b, c] = smtp.rcptTimes;
    expect(b - a).toBeGreaterThanOrEqual(190);
    expect(c - b).toBeGreaterThanOrEqual(390);
  });

  it('gives up after the attempts allowed, the error kept on the run and the schedule', async () => {
    smtp.rejectNextRcpt('ops@org.example', 451, 451, 451, 451);
    const run = await queueRun(await schedule({ recipients: ['ops@org.example'] }));
    loops.push(sender({ maxAttempts: 2 }));
    await waitFor(async () => (await runOf(run)).status === 'failed', { timeoutMs: 30_000, what: 'the run failed' });
    const failed = await runOf(run);
    expect(failed.attempts).toBe(2);
    expect(failed.error).toMatch(/451.*gave up after 2 attempts/s);
    expect(smtp.received).toHaveLength(0);
    const last = await pool.query('SELECT last_status, last_error FROM report_schedules');
    expect(last.rows[0].last_status).toBe('failed');
    expect(last.rows[0].last_error).toMatch(/451/);
  });

  it('sends each run exactly once with two workers claiming the same runs', async () => {
    const other = new pg.Pool({ connectionString: testDb.url, max: 4 });
    try {
      const runs: string[] = [];
      for (let i = 0; i < 4; i++) {
        const id = await schedule({ name: `Informe ${i}`, recipients: [`r${i}@org.example`], kind: 'summary' });
        runs.push(await queueRun(id));
      }
      loops.push(sender({ concurrency: 2 }), sender({ pool: other, concurrency: 2 }));
      await waitFor(
        async () =>
          (await pool.query(`SELECT count(*)::int AS n FROM report_runs WHERE status = 'sent'`)).rows[0].n ===
          runs.length,
        { timeoutMs: 60_000, what: 'every run sent' },
      );
      await Promise.all(loops.map((l) => l.stop()));
      loops = [];
      expect(smtp.received.map((r) => r.to[0]).sort()).toEqual(runs.map((_, i) => `r${i}@org.example`));
      for (const id of runs) expect((await runOf(id)).attempts).toBe(1);
    } finally {
      await other.end();
    }
  });

  it('takes over a run whose worker died mid-send once its lease expires', async () => {
    const run = await queueRun(await schedule({ recipients: ['ops@org.example'] }));
    // What a worker that claimed the run and died leaves: one attempt spent, a lease running a while.
    await pool.query(
      `UPDATE report_runs SET attempts = 1, next_attempt_at = now() + interval '1 second' WHERE id = $1`,
      [run],
    );
    loops.push(sender());
    await waitFor(async () => (await runOf(run)).status === 'sent', { timeoutMs: 30_000, what: 'the run sent' });
    expect(smtp.received).toHaveLength(1);
    expect((await runOf(run)).attempts).toBe(2);
  });
});

describe('the worker sends what its scheduler queues', () => {
  let worker: WorkerHandle | undefined;
  afterEach(async () => {
    await worker?.stop();
  });

  it('queues the due schedule’s last period and e-mails it through SMTP_HOST', async () => {
    const id = await schedule({ vehicleIds: [vehicle], groupIds: [], kind: 'stops' });
    // Due a minute ago: its period is the day before that one in Madrid, with a trip at midday.
    const due = new Date(Date.now() - 60_000);
    const period = previousPeriod('daily', 'Europe/Madrid', due);
    await seedTrip(vehicle, new Date(period.from.getTime() + 12 * 3_600_000).toISOString());
    await pool.query(`UPDATE report_schedules SET next_run_at = $2 WHERE id = $1`, [id, due.toISOString()]);
    worker = await start(
      loadWorkerConfig({
        APP_ENV: 'test',
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: testDb.url,
        REDIS_KEY_PREFIX: `test:worker-report-runs:${process.pid}:`,
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
        SMTP_FROM: 'Fleet <fleet@test.example>',
        NOTIFY_POLL_MS: '50',
        REPORT_SCHEDULE_INTERVAL_MS: '1000',
      }),
      { logger: quiet },
    );
    await waitFor(() => smtp.received.length > 0, { timeoutMs: 60_000, what: 'the scheduled report' });
    const runs = await pool.query('SELECT period_from, status FROM report_runs WHERE schedule_id = $1', [id]);
    expect(runs.rows.map((r) => [r.period_from.toISOString(), r.status])).toEqual([
      [period.from.toISOString(), 'sent'],
    ]);
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0];
    expect(mail.mail.subject).toMatch(/^Trayectos diarios: Paradas \d\d\/\d\d\/\d{4}$/);
    const csv = csvRows(attachment(mail.mail, 'text/csv').content.toString('utf8'));
    // The stops before and after the trip.
    expect(csv.length).toBeGreaterThanOrEqual(3);
    expect(lookAt(attachment(mail.mail, 'application/pdf').content).text).toContain(VEHICLE);
  });
});
