import { parseArgs } from 'node:util';
import { createPool } from '@fleet/db';
import { VehicleStates, warmAll, warmLatest } from '@fleet/live';
import { createRedis } from '@fleet/runtime';
import { loadWorkerConfig } from '../config';

const USAGE = `nx run worker:cache-warm [--organization=<id>]

Rebuilds the Redis hot cache of latest positions (what the live map and /positions/latest read) from
PostgreSQL's vehicle_state, for every organization or one: after Redis lost its data, or to be sure
the cache matches the database. Safe while the worker runs: a fix newer than the database's is kept.`;

async function main() {
  const { values } = parseArgs({ options: { organization: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const org = values.organization;
  if (org !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(org))
    throw new Error(`--organization: not an organization id (a UUID): ${org}`);
  const config = loadWorkerConfig();
  const pool = createPool({ url: config.db.url, max: 2, applicationName: 'fleet-cache-warm' });
  const redis = createRedis({
    url: config.redis.url,
    keyPrefix: config.redis.keyPrefix,
    connectionName: 'fleet-cache-warm',
  });
  const states = new VehicleStates(pool);
  const started = Date.now();
  try {
    const { organizations, vehicles } = org
      ? { organizations: 1, vehicles: await warmLatest(states, redis, org) }
      : await warmAll(states, redis);
    console.log(
      `cache-warm: ${vehicles} vehicle(s) of ${organizations} organization(s) cached in ${Date.now() - started} ms`,
    );
  } finally {
    await pool.end();
    redis.disconnect();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`cache-warm failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
