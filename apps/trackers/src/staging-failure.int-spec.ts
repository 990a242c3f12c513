import { PassThrough } from 'node:stream';
import { ensureDatabase, runMigrations } from '@fleet/db';
import { H02Device, parseH02Answers } from '@fleet/ingest/testing';
import { createLogger } from '@fleet/logging-json';
import { startOwnPostgres, waitFor } from '@fleet/runtime/testing';
import type { PostgresServer } from '@fleet/runtime/testing';
import { loadTrackersConfig } from './config';
import { start, type TrackersHandle } from './server';
import { connectDevice, metricValue } from './testing/device';
import { createTrackerFleet, stagedPositions } from './testing/fleet';

const quiet = createLogger({ service: 'trackers', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:trackers-staging:${process.pid}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tracker gateway with PostgreSQL stopped', () => {
  jest.setTimeout(90_000);
  let server: PostgresServer;
  let url: string;
  let gateway: TrackersHandle;

  beforeAll(async () => {
    server = await startOwnPostgres();
    url = server.url.replace(/\/postgres$/, '/fleet');
    await ensureDatabase(url);
    await runMigrations(url);
  });

  afterAll(async () => {
    await gateway?.stop();
    await server?.destroy();
  });

  it('acknowledges nothing it could not stage, closes the connection, and stores the resent fix once PostgreSQL is back', async () => {
    const [vehicle] = await createTrackerFleet(url, { slug: 'pgdown', imeis: ['4209815000'] });
    gateway = await start(
      loadTrackersConfig({
        APP_ENV: 'test',
        PORT: '0',
        HOST: '127.0.0.1',
        TELTONIKA_PORT: 'off',
        GT06_PORT: 'off',
        H02_PORT: '0',
        TRACKER_WORKERS: '1',
        DATABASE_URL: url,
        REDIS_KEY_PREFIX: prefix,
      }),
      { logger: quiet },
    );
    const base = `http://127.0.0.1:${gateway.port}`;
    const device = new H02Device(vehicle.imei);
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000; // H02 times are whole seconds
    const fix = (i: number) => device.position({ ts: new Date(t0 + i * 1000), lat: 40 + i / 1000, lon: -3 });
    const answers = (text: string) => parseH02Answers(Buffer.from(text, 'latin1')).filter((a) => a.type === 'V4');

    const first = await connectDevice(gateway.ports.h02!);
    first.send(fix(1));
    await first.waitFor(/V4,V1/);

    await server.stop();
    first.send(fix(2));
    await first.closed(15_000);
    expect(answers(first.received())).toHaveLength(1); // the second fix was not acknowledged
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    await waitFor(
      async () =>
        metricValue(await (await fetch(`${base}/metrics`)).text(), 'tracker_connections_closed_total', {
          protocol: 'h02',
          reason: 'staging_failed',
        }) === 1,
      { timeoutMs: 2_000, what: 'the close counted as staging_failed' },
    );

    await server.start();
    await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, { timeoutMs: 15_000, what: 'ready' });
    // The device resends what was not acknowledged.
    const again = await connectDevice(gateway.ports.h02!);
    again.send(fix(2));
    await again.waitFor(/V4,V1/, 10_000);
    await sleep(100);
    again.end();
    const staged = await stagedPositions(url, vehicle.id, 'h02');
    expect(staged.map((p) => p.ts)).toEqual([t0 + 1000, t0 + 2000]);
  });
});
