import { parseArgs } from 'node:util';
import { createPool } from '@fleet/db';
import { DEFAULT_STREAMS, replayUnprocessed } from '@fleet/queue-replay';
import { createRedis } from '@fleet/runtime';
import { loadWorkerConfig } from '../config';

const USAGE = `nx run worker:replay [--since=<ISO time | 30m | 2h | 1d>] [--grace-ms=<ms>]

Republishes accepted positions that were never processed (staging rows without processed_at) to the
ingestion stream, for instance after Redis lost its data. Without --since, rows older than the grace
period (REPLAY_GRACE_MS) are replayed; with --since, every unprocessed row received since then is.
Writes are idempotent: replaying twice never stores a position twice.`;

export function parseSince(value: string, now = Date.now()): Date {
  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (relative) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(relative[1]) * unit);
  }
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new Error(`--since: not a time or a duration: ${value}`);
  return at;
}

async function main() {
  const { values } = parseArgs({
    options: { since: { type: 'string' }, 'grace-ms': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const config = loadWorkerConfig();
  const pool = createPool({ url: config.db.url, max: 2, applicationName: 'fleet-replay' });
  const redis = createRedis({
    url: config.redis.url,
    keyPrefix: config.redis.keyPrefix,
    connectionName: 'fleet-replay',
  });
  try {
    const replayed = await replayUnprocessed(pool, redis, {
      names: DEFAULT_STREAMS,
      maxLen: config.ingest.streamMaxLen,
      graceMs: values['grace-ms'] === undefined ? config.replay.graceMs : Number(values['grace-ms']),
      since: values.since === undefined ? undefined : parseSince(values.since),
    });
    console.log(`replay: republished ${replayed} unprocessed batch(es)`);
  } finally {
    await pool.end();
    redis.disconnect();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`replay failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
