import { parseArgs } from 'node:util';
import { createPool } from '@fleet/db';
import { DEFAULT_STREAMS, listDeadLetters, replayDeadLetters, replayUnprocessed } from '@fleet/queue-replay';
import { createRedis } from '@fleet/runtime';
import { loadWorkerConfig } from '../config';
import { eventHook } from '../ingest-consumer';
import { publishCommitted } from '../live-publish';

const USAGE = `nx run worker:replay [--since=<ISO time | 30m | 2h | 1d>] [--grace-ms=<ms>]
nx run worker:replay --list-dead-letters [--all] [--limit=<n>]
nx run worker:replay --dead-letters

Without options: republishes accepted positions that were never processed (staging rows without
processed_at) to the ingestion stream, for instance after Redis lost its data. Without --since, rows
older than the grace period (REPLAY_GRACE_MS) are replayed; with --since, every unprocessed row
received since then is. Writes are idempotent: replaying twice never stores a position twice.

--list-dead-letters prints the fixes PostgreSQL refused (ingest_dead_letters), one JSON line each:
those not replayed yet, or all with --all.
--dead-letters writes them again through the writer (after whatever refused them was fixed): each
fix stored, or found stored, is marked replayed; one still refused stays, with its latest reason.`;

function parseSince(value: string, now = Date.now()): Date {
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
    options: {
      since: { type: 'string' },
      'grace-ms': { type: 'string' },
      'dead-letters': { type: 'boolean' },
      'list-dead-letters': { type: 'boolean' },
      all: { type: 'boolean' },
      limit: { type: 'string' },
      help: { type: 'boolean' },
    },
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
    if (values['list-dead-letters']) {
      const rows = await listDeadLetters(pool, {
        all: values.all,
        limit: values.limit === undefined ? undefined : Number(values.limit),
      });
      for (const row of rows) console.log(JSON.stringify(row));
      console.error(`${rows.length} dead-lettered fix(es)${values.all ? '' : ' not replayed yet'}`);
      return;
    }
    if (values['dead-letters']) {
      // The same writer and event rules as the worker's consumer; the live feed hears what is stored.
      const result = await replayDeadLetters(pool, {
        onInserted: eventHook({ overspeedMinSeconds: config.events.overspeedMinSeconds }),
        onBatch: async (written) => {
          const detection = written.hook ?? { events: [], retracted: [] };
          await publishCommitted(redis, written.inserted, detection.events, detection.retracted).catch(() => undefined);
        },
      });
      console.log(`dead letters: ${result.replayed} replayed, ${result.failed} still refused`);
      if (result.failed) process.exitCode = 2;
      return;
    }
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
