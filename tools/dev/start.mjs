// `npm start`: sets this machine up and runs the whole platform in the foreground.
// Plain Node (no dependencies) because it runs before `npm ci` may have happened.
import path from 'node:path';
import { superviseServices } from './services.mjs';
import { color, prepareMachine, run, say, waitUntil } from './setup.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fleet';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_PORT = Number(process.env.PORT ?? 3000);
// The live streams (SSE) on a port of their own, served by processes that do nothing else (LIVE_PORT=off:
// the main port serves them, as in tests); the web dev server proxies the live paths there.
const LIVE_PORT = process.env.LIVE_PORT === 'off' ? undefined : Number(process.env.LIVE_PORT || 3001);
const WORKER_PORT = Number(process.env.METRICS_PORT ?? 9464);
const TRACKERS_PORT = Number(process.env.TRACKERS_METRICS_PORT ?? 9465);
const trackerPort = (name, fallback) => process.env[name] ?? String(fallback);
const WEB_PORT = Number(process.env.WEB_PORT ?? 4200);
const APP_ENV = process.env.APP_ENV ?? 'development';

// From here on, Ctrl-C, SIGTERM, SIGHUP (or npm gone) stops the launcher and whatever it has started.
const services = superviseServices({ root });

await prepareMachine({ databaseUrl: DATABASE_URL, redisUrl: REDIS_URL });

// Database, migrations and demo data.
const tsx = (file, extraEnv = {}) =>
  run(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.base.json', DATABASE_URL, REDIS_URL, APP_ENV, ...extraEnv },
  });
say('applying migrations');
tsx('libs/db/src/cli/migrate.ts');
if (APP_ENV !== 'production') {
  say('loading demo data');
  tsx('tools/seed/main.ts');
}

// The services, each line prefixed with its name; Ctrl-C drains them all.
function startService(name, file, extraEnv, tint, args = []) {
  services.startService(
    name,
    ['--import', 'tsx', file, ...args],
    {
      ...process.env,
      TSX_TSCONFIG_PATH: 'tsconfig.base.json',
      DATABASE_URL,
      REDIS_URL,
      APP_ENV,
      LOG_FORMAT: process.env.LOG_FORMAT ?? 'plain',
      ...extraEnv,
    },
    tint,
  );
}

startService('api', 'apps/api/src/main.ts', { PORT: String(API_PORT), LIVE_PORT: String(LIVE_PORT ?? 'off') }, '1;32');
startService('worker', 'apps/worker/src/main.ts', { METRICS_PORT: String(WORKER_PORT) }, '1;35');
// The tracker gateway: one worker by default here (each would load tsx); production runs one per core.
startService(
  'trackers',
  'apps/trackers/src/main.ts',
  { PORT: String(TRACKERS_PORT), TRACKER_WORKERS: process.env.TRACKER_WORKERS ?? '1' },
  '1;33',
);
// The web app through Vite's dev server (reloads on edit), /api proxied to the API above (the live
// streams to LIVE_PORT).
startService(
  'web',
  'node_modules/vite/bin/vite.js',
  {
    API_PORT: String(API_PORT),
    LIVE_PORT: String(LIVE_PORT ?? API_PORT),
    WEB_PORT: String(WEB_PORT),
    WEB_HOST: process.env.WEB_HOST ?? '0.0.0.0',
  },
  '1;34',
  ['--config', 'apps/web/vite.config.mts', '--strictPort', '--clearScreen', 'false'],
);

const ready = await waitUntil(async () => {
  try {
    return (
      (await fetch(`http://127.0.0.1:${API_PORT}/ready`)).status === 200 &&
      (LIVE_PORT === undefined || (await fetch(`http://127.0.0.1:${LIVE_PORT}/ready`)).status === 200) &&
      (await fetch(`http://127.0.0.1:${WEB_PORT}/`)).status === 200
    );
  } catch {
    return false;
  }
}, 60_000);
if (!ready) {
  console.error(color('1;31', '✘ ') + 'the API or the web app did not become ready within 60 s');
  services.shutdown(1);
} else if (!services.isStopping()) {
  console.log(`
${color('1;32', '✔ Fleet is running')}
  Web app        http://localhost:${WEB_PORT}   (sign in with the demo login below)
  API            http://localhost:${API_PORT}/api/v1   (health: /health, readiness: /ready, metrics: /metrics)
  Live streams   ${LIVE_PORT === undefined ? 'on the API port (LIVE_PORT=off)' : `http://localhost:${LIVE_PORT}/api/v1/live   (SSE only; the web app's proxy sends them there)`}
  Worker         http://localhost:${WORKER_PORT}/metrics
  Gateway        Teltonika TCP :${trackerPort('TELTONIKA_PORT', 5027)}, GT06 :${trackerPort('GT06_PORT', 5023)}, H02 :${trackerPort('H02_PORT', 5013)}   (metrics: http://localhost:${TRACKERS_PORT}/metrics)
  Demo login     demo@example.com / demo-fleet-2026
  Traccar Client server URL http://<this machine>:${process.env.OSMAND_PORT ?? 5055}, device identifier demo-01 … demo-25
  Stop           Ctrl-C
`);
  // The demo fleet drives around Madrid and reports like Traccar Client (SIMULATOR=off to keep it still).
  if (APP_ENV !== 'production' && process.env.SIMULATOR !== 'off')
    startService(
      'sim',
      'tools/dev/simulate.ts',
      { SIMULATOR_URL: `http://127.0.0.1:${process.env.OSMAND_PORT ?? 5055}` },
      '1;36',
    );
}
