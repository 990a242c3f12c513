import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { freePort, repoRoot, startAppProcess, waitFor, type Service } from './testing';

// The Fluent Bit examples (deployments/fluent-bit) parse our lines as JSON with a `time` key in a
// given format and label them by `service` and `level`. Here the real api, worker and tracker gateway
// (its primary and two listener processes, which share its stdout) run as in staging (no LOG_FORMAT:
// the default must be JSON) and every line they print on stdout is checked against those configs.
const fluent = path.join(repoRoot, 'deployments/fluent-bit');

/** A strptime format as Fluent Bit reads it, as a regular expression. */
function strptimeRegex(format: string): RegExp {
  const parts: Record<string, string> = {
    Y: '\\d{4}',
    m: '(0[1-9]|1[0-2])',
    d: '(0[1-9]|[12]\\d|3[01])',
    H: '([01]\\d|2[0-3])',
    M: '[0-5]\\d',
    S: '[0-5]\\d',
    L: '\\d+',
  };
  const body = format.replace(/%(.)|([^%]+)/g, (_m, spec: string | undefined, literal: string | undefined) => {
    if (literal !== undefined) return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (!spec || !parts[spec]) throw new Error(`unsupported strptime field %${spec}`);
    return parts[spec];
  });
  return new RegExp(`^${body}$`);
}

function parserSetting(name: string, key: string): string {
  const text = readFileSync(path.join(fluent, 'parsers.conf'), 'utf8');
  const block = text.split('[PARSER]').find((b) => new RegExp(`^\\s*Name\\s+${name}\\s*$`, 'm').test(b));
  const m = block && new RegExp(`^\\s*${key}\\s+(.+?)\\s*$`, 'm').exec(block);
  if (!m) throw new Error(`parsers.conf: no ${key} in parser ${name}`);
  return m[1];
}

describe('JSON logs in staging, as the Fluent Bit configs read them', () => {
  jest.setTimeout(90_000);
  let testDb: TestDatabase;
  const secret = randomBytes(32).toString('base64url');
  const lines: { service: string; raw: string }[] = [];
  // Stopped in afterAll too, should beforeAll fail half-way (left running, they keep jest from exiting).
  const started: Service[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase('ops-logging');
    const env = {
      APP_ENV: 'staging',
      LOG_FORMAT: '', // unset: staging must default to JSON
      DATABASE_URL: testDb.url,
      REDIS_KEY_PREFIX: 'ops-logging:',
      JWT_SECRET: secret,
    };
    const api: Service = await startAppProcess('api', env);
    started.push(api);
    const worker: Service = await startAppProcess('worker', env);
    started.push(worker);
    // Traffic that logs: a 404, a refused login (which carries a password to redact), a bad body.
    const base = `http://127.0.0.1:${api.port}`;
    await fetch(`${base}/api/v1/no-such-thing`);
    await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'hunter2-hunter2' }),
    });
    await fetch(`${base}/api/v1/positions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    // A tracker whose IMEI no vehicle has: Teltonika's handshake, answered 00, logged and closed.
    const teltonika = await freePort();
    const trackers: Service = await startAppProcess('trackers', {
      ...env,
      TELTONIKA_PORT: String(teltonika),
      TRACKER_WORKERS: '2',
    });
    started.push(trackers);
    const imei = '356307042441013';
    const handshake = () =>
      new Promise<Buffer | undefined>((resolve) => {
        const socket = net.connect(teltonika, '127.0.0.1', () =>
          socket.write(Buffer.concat([Buffer.from([0, imei.length]), Buffer.from(imei, 'ascii')])),
        );
        let got = Buffer.alloc(0);
        socket.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
        socket.once('close', () => resolve(got.length ? got : undefined));
        socket.once('error', () => resolve(undefined));
      });
    let answer: Buffer | undefined;
    // Retried as a device would, should a listener process still be starting.
    await waitFor(async () => (answer = await handshake()) !== undefined, {
      timeoutMs: 30_000,
      what: "the gateway's answer to an unknown IMEI",
    });
    expect(answer).toEqual(Buffer.from([0x00]));
    await Promise.all([api.stop(), worker.stop(), trackers.stop()]);
    for (const [service, s] of [
      ['api', api],
      ['worker', worker],
      ['trackers', trackers],
    ] as const)
      for (const raw of s
        .stdout()
        .split('\n')
        .filter((l) => l.trim()))
        lines.push({ service, raw });
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    await testDb?.drop();
  });

  it('every stdout line is one JSON object with time, level, service and msg', () => {
    expect(lines.filter((l) => l.service === 'api').length).toBeGreaterThanOrEqual(4);
    expect(lines.filter((l) => l.service === 'worker').length).toBeGreaterThanOrEqual(2);
    // The primary's start and stop, each listener process's, and the refused device.
    const trackers = lines.filter((l) => l.service === 'trackers').map((l) => JSON.parse(l.raw) as { msg: string });
    expect(trackers.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['trackers started', 'unknown device refused', 'trackers stopped']),
    );
    for (const { service, raw } of lines) {
      const record = JSON.parse(raw) as Record<string, unknown>;
      expect(record).toEqual(
        expect.objectContaining({
          time: expect.any(String),
          level: expect.any(String),
          service,
          msg: expect.any(String),
        }),
      );
    }
    const requests = lines.map((l) => JSON.parse(l.raw) as Record<string, unknown>).filter((r) => r['requestId']);
    expect(requests.length).toBeGreaterThanOrEqual(3);
  });

  it("every line's time matches parsers.conf's Time_Key and Time_Format (UTC)", () => {
    const key = parserSetting('fleet_json', 'Time_Key');
    const format = strptimeRegex(parserSetting('fleet_json', 'Time_Format'));
    for (const { raw } of lines) {
      const value = (JSON.parse(raw) as Record<string, string>)[key];
      expect([value, format.test(value)]).toEqual([value, true]);
      expect(Math.abs(Date.parse(value) - Date.now())).toBeLessThan(5 * 60_000);
    }
    // The check can fail: a local time without milliseconds does not match.
    expect(format.test('2026-11-28 10:00:00')).toBe(false);
  });

  it('the record keys the Loki output labels by exist on every line', () => {
    const loki = readFileSync(path.join(fluent, 'fluent-bit-loki.conf'), 'utf8');
    const keys = [...(/^\s*Label_Keys\s+(.+)$/m.exec(loki)?.[1] ?? '').matchAll(/\$(\w+)/g)].map((m) => m[1]);
    expect(keys).toEqual(['service', 'level']);
    for (const { raw } of lines) for (const k of keys) expect(JSON.parse(raw)).toHaveProperty(k);
    const cloudwatch = readFileSync(path.join(fluent, 'fluent-bit-cloudwatch.conf'), 'utf8');
    expect(cloudwatch).toMatch(/Parser\s+fleet_json/);
  });

  it('no secret reaches the logs', () => {
    const all = lines.map((l) => l.raw).join('\n');
    expect(all).not.toContain(secret);
    expect(all).not.toContain('hunter2-hunter2');
  });
});
