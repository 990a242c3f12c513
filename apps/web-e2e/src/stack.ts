import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { freePort, runSource, spawnSource, waitFor, type SourceProcess } from '@fleet/runtime/testing';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildWeb, repoRoot } from './build-web';
import { proxyTo, serveWeb, type StaticServer } from './static-server';

export interface Stack {
  /** The web app (static files + /api proxied to the API), as the browser sees it. */
  webUrl: string;
  apiUrl: string;
  databaseUrl: string;
  output(): string;
  stop(): Promise<void>;
}

async function stopProcess(p: SourceProcess) {
  if (p.child.exitCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await p.exited;
  clearTimeout(timer);
}

/**
 * The whole platform for one suite: a database of its own with migrations and the demo seed, a Redis
 * key prefix of its own, the real API and worker as processes, and the freshly built web app.
 */
export async function startStack(suite: string): Promise<Stack> {
  const db: TestDatabase = await createTestDatabase(suite);
  const env = {
    APP_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `e2e-${randomBytes(4).toString('hex')}:`,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
  };
  const seeded = runSource('tools/seed/main.ts', env);
  if (seeded.status !== 0) throw new Error(`seed failed:\n${seeded.stdout}\n${seeded.stderr}`);

  const apiPort = await freePort();
  const api = spawnSource('apps/api/src/main.ts', {
    ...env,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    OSMAND_PORT: 'off',
  });
  const worker = spawnSource('apps/worker/src/main.ts', {
    ...env,
    METRICS_PORT: String(await freePort()),
    HOST: '127.0.0.1',
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const outDir = path.join(repoRoot, 'tmp', `e2e-web-${process.pid}`);
  mkdirSync(outDir, { recursive: true });
  let web: StaticServer | undefined;
  try {
    buildWeb(outDir);
    await waitFor(
      async () => {
        if (api.child.exitCode !== null) throw new Error(`api exited:\n${api.output()}`);
        return (await fetch(`${apiUrl}/ready`)).status === 200;
      },
      { timeoutMs: 60_000, what: 'api ready' },
    );
    web = await serveWeb({ dir: outDir, api: proxyTo(apiUrl), config: { mapTileUrl: '/no-tiles/{z}/{x}/{y}.png' } });
  } catch (err) {
    await Promise.all([stopProcess(api), stopProcess(worker)]);
    await db.drop();
    rmSync(outDir, { recursive: true, force: true });
    throw err;
  }
  return {
    webUrl: web.url,
    apiUrl,
    databaseUrl: db.url,
    output: () => `--- api ---\n${api.output()}\n--- worker ---\n${worker.output()}`,
    stop: async () => {
      await web?.close();
      await Promise.all([stopProcess(api), stopProcess(worker)]);
      await db.drop();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
