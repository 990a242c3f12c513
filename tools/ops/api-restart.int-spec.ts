import { existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { alive, createFleet, freePort, repoRoot, run, runAsync, tempDir, waitFor, type TestVehicle } from './testing';

// tools/playbooks/api-restart.sh against the real API, started and stopped the way a supervisor would
// (a pid file), behind a stand-in gateway that routes to it unless a "drained" flag is set. While the
// playbook runs, the test keeps a request in flight and keeps calling through the gateway.
const playbook = path.join(repoRoot, 'tools/playbooks/api-restart.sh');

interface Gateway {
  url: string;
  /** Status of every call made through it while polling. */
  seen: number[];
  stop(): Promise<void>;
}

/** Forwards to the API unless `flag` exists (drained: 503); 502 when the API does not answer. */
async function startGateway(apiPort: number, flag: string): Promise<Gateway> {
  const server = http.createServer((req, res) => {
    if (existsSync(flag)) {
      res.writeHead(503).end('drained');
      return;
    }
    fetch(`http://127.0.0.1:${apiPort}${req.url}`).then(
      (r) => res.writeHead(r.status).end(),
      () => res.writeHead(502).end('upstream down'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const seen: number[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      seen.push(
        await fetch(`${url}/ready`).then(
          (r) => r.status,
          () => 0,
        ),
      );
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    url,
    seen,
    stop: async () => {
      polling = false;
      await poll;
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A position posted directly to the instance, its body trickling in over `ms`: a request in flight. */
function slowIngest(port: number, vehicle: TestVehicle, ms: number): Promise<number> {
  const body = Buffer.from(JSON.stringify({ positions: [{ ts: new Date().toISOString(), lat: 40.41, lon: -3.7 }] }));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/positions',
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          authorization: `Bearer ${vehicle.token}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    const chunks = 10;
    const size = Math.ceil(body.length / chunks);
    let i = 0;
    const tick = () => {
      req.write(body.subarray(i * size, (i + 1) * size));
      i += 1;
      if (i * size >= body.length) req.end();
      else setTimeout(tick, ms / chunks);
    };
    tick();
  });
}

describe('playbook: controlled API restart', () => {
  jest.setTimeout(180_000);
  let db: TestDatabase;
  let dir: string;
  let port: number;
  let vehicle: TestVehicle;
  const pidFile = () => path.join(dir, 'api.pid');
  const pid = () => Number(readFileSync(pidFile(), 'utf8'));
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('ops-api-restart');
    [vehicle] = await createFleet(db.url, { count: 1, slug: 'restart' });
    dir = tempDir('api-restart');
    port = await freePort();
    const startCmd = `nohup node --import tsx apps/api/src/main.ts >> ${dir}/api.log 2>&1 < /dev/null & echo $! > ${pidFile()}`;
    env = {
      APP_ENV: 'test',
      LOG_FORMAT: 'json',
      HOST: '127.0.0.1',
      PORT: String(port),
      OSMAND_PORT: 'off',
      DATABASE_URL: db.url,
      REDIS_KEY_PREFIX: `ops-restart-${process.pid}:`,
      TSX_TSCONFIG_PATH: 'tsconfig.base.json',
      API_URL: `http://127.0.0.1:${port}`,
      START_CMD: startCmd,
      STOP_CMD: `kill -TERM $(cat ${pidFile()})`,
      DRAIN_CMD: `touch ${dir}/drained`,
      UNDRAIN_CMD: `rm ${dir}/drained`,
    };
    run('bash', ['-c', startCmd], { env });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200, {
      timeoutMs: 40_000,
      what: 'api ready',
    });
  });

  afterAll(async () => {
    if (existsSync(pidFile()) && alive(pid())) process.kill(pid(), 'SIGTERM');
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drains at the gateway, waits for the request in flight, restarts, and routes back only once ready', async () => {
    const gateway = await startGateway(port, path.join(dir, 'drained'));
    const oldPid = pid();
    const inFlight = slowIngest(port, vehicle, 5_000);
    await new Promise((r) => setTimeout(r, 300)); // the request has started
    const res = await runAsync(playbook, [], { env });
    const status = await inFlight;
    // A few more calls through the gateway, all after the playbook routed the instance back.
    const after = gateway.seen.length;
    await waitFor(() => gateway.seen.length > after + 2, { timeoutMs: 5_000, what: 'calls after the playbook' });
    await gateway.stop();
    const out = res.stdout + res.stderr;

    expect([res.status, out]).toEqual([0, expect.stringContaining('done')]);
    expect(out).toMatch(/waiting for 1 in-flight request/);
    expect(out).toMatch(
      /in-flight requests: 0[\s\S]*stopping[\s\S]*old process gone[\s\S]*health: 200[\s\S]*ready: 200[\s\S]*routing back/,
    );
    expect(status).toBe(202); // the request in flight finished normally
    expect(pid()).not.toBe(oldPid);
    // It stopped listening first, then closed its pools and exited.
    await waitFor(() => !alive(oldPid), { timeoutMs: 10_000, what: 'the old process to exit' });
    // The old process saw nothing in flight when told to stop: the playbook had waited.
    const draining = readFileSync(path.join(dir, 'api.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"api draining"'))
      .map((l) => JSON.parse(l) as { inFlight: number });
    expect(draining.map((d) => d.inFlight)).toEqual([0]);
    // Through the gateway: served, then drained (503), then served again; never routed to a dead upstream.
    expect(gateway.seen).not.toContain(502);
    expect(gateway.seen).toContain(503);
    expect(gateway.seen[0]).toBe(200);
    expect(gateway.seen.at(-1)).toBe(200);
    const firstDrained = gateway.seen.indexOf(503);
    expect(gateway.seen.slice(firstDrained).indexOf(200)).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
  });

  it('past DRAIN_TIMEOUT it stops anyway: /ready turns 503 and the API still finishes the request', async () => {
    const oldPid = pid();
    const inFlight = slowIngest(port, vehicle, 8_000);
    await new Promise((r) => setTimeout(r, 300));
    const res = await runAsync(playbook, [], { env: { ...env, DRAIN_TIMEOUT: '1' } });
    const status = await inFlight;
    const out = res.stdout + res.stderr;
    expect([res.status, out]).toEqual([0, expect.stringContaining('done')]);
    expect(out).toMatch(/still 1 request\(s\) in flight after 1s: stopping anyway/);
    expect(out).toMatch(/ready: 503 \(draining\)[\s\S]*old process gone/);
    expect(status).toBe(202);
    expect(pid()).not.toBe(oldPid);
    expect(existsSync(path.join(dir, 'drained'))).toBe(false);
  });

  it('fails, and leaves the instance out of the gateway, when the new process never becomes ready', async () => {
    const res = await runAsync(playbook, [], {
      env: { ...env, START_CMD: 'true', START_TIMEOUT: '3' },
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/FAILED: \/health did not answer 200 within 3s/);
    expect(res.stderr).toMatch(/still out of the gateway/);
    expect(existsSync(path.join(dir, 'drained'))).toBe(true);
    // Leave things as found for afterAll: start it again.
    run('bash', ['-c', env['START_CMD']], { env });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200, {
      timeoutMs: 40_000,
      what: 'api ready',
    });
  });
});
