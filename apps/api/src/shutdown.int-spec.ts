import { spawn } from 'node:child_process';
import path from 'node:path';
import { ReadyResponse } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { freePort, waitFor } from '@fleet/runtime/testing';

const root = path.resolve(__dirname, '../../..');

describe('api process on SIGTERM', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;

  beforeAll(async () => {
    testDb = await createTestDatabase('api-shutdown');
  });
  afterAll(() => testDb.drop());

  it('refuses to start in production without a strong JWT_SECRET, naming the variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: 'tsconfig.base.json',
        APP_ENV: 'production',
        JWT_SECRET: 'short',
        OSMAND_PORT: 'off',
        DATABASE_URL: testDb.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('JWT_SECRET');
    expect(stderr).not.toContain('short');
  });

  it('finishes 20 slow in-flight requests, refuses new ones, and exits 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: 'tsconfig.base.json',
        APP_ENV: 'test',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: testDb.url,
        LOG_FORMAT: 'json',
        SHUTDOWN_GRACE_MS: '10000',
        OSMAND_PORT: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, { timeoutMs: 20_000, what: 'api ready' });

    const slow = Array.from({ length: 20 }, () =>
      fetch(`${base}/api/v1/_debug/sleep/1500`).then(async (r) => ({ status: r.status, body: await r.json() })),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Draining: readiness is 503 at once and new work is turned away.
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(ReadyResponse.parse(await ready.json()).status).toBe('draining');
    const late = await fetch(`${base}/api/v1/_debug/sleep/1`);
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('1');

    const results = await Promise.all(slow);
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await exited).toBe(0);
    // Once drained, the listener is gone.
    await expect(fetch(`${base}/health`)).rejects.toThrow();
    const lines = output.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.some((l) => JSON.parse(l).msg === 'api stopped')).toBe(true);
  });
});
