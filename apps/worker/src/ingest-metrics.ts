import { streamStats, type StreamNames } from '@fleet/queue-replay';
import type { Redis } from '@fleet/runtime';
import type { Pool } from 'pg';
import client from 'prom-client';

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

/** The worker's side of the pipeline; the stream and staging gauges are read at scrape time. */
export function createIngestMetrics(registry: client.Registry, deps: { pool: Pool; redis: Redis; names: StreamNames }) {
  const registers = [registry];
  let statsCache: { at: number; value: Promise<Awaited<ReturnType<typeof streamStats>> | undefined> } | undefined;
  // One Redis round trip serves every stream gauge of a scrape.
  const stats = () => {
    if (!statsCache || Date.now() - statsCache.at > 1_000) {
      statsCache = { at: Date.now(), value: streamStats(deps.redis, deps.names).catch(() => undefined) };
    }
    return statsCache.value;
  };
  const streamGauge = (name: string, help: string, pick: (s: Awaited<ReturnType<typeof streamStats>>) => number) =>
    new client.Gauge({
      name,
      help,
      registers,
      async collect() {
        const s = await stats();
        if (s) this.set(pick(s));
      },
    });
  streamGauge('ingest_stream_length', 'Entries in the ingestion stream', (s) => s.length);
  streamGauge('ingest_stream_pending', 'Entries delivered to a worker and not yet acknowledged', (s) => s.pending);
  streamGauge(
    'ingest_oldest_pending_age_seconds',
    'Age of the oldest unacknowledged entry',
    (s) => s.oldestPendingAgeMs / 1000,
  );
  streamGauge('ingest_consumer_lag', 'Entries not yet delivered to the writers group', (s) => s.lag);
  streamGauge('ingest_dead_letter_stream_length', 'Entries in the dead-letter stream', (s) => s.deadLetters);
  new client.Gauge({
    name: 'ingest_dead_letters_pending',
    help: 'Dead-lettered fixes not replayed yet (rows of ingest_dead_letters without replayed_at)',
    registers,
    async collect() {
      const res = await deps.pool
        .query<{ n: string }>('SELECT count(*) AS n FROM ingest_dead_letters WHERE replayed_at IS NULL')
        .catch(() => undefined);
      if (res) this.set(Number(res.rows[0].n));
    },
  });
  new client.Gauge({
    name: 'ingest_staging_backlog',
    help: 'Accepted requests not yet processed (rows of ingest_staging without processed_at)',
    registers,
    async collect() {
      const res = await deps.pool
        .query<{ n: string }>('SELECT count(*) AS n FROM ingest_staging WHERE processed_at IS NULL')
        .catch(() => undefined);
      if (res) this.set(Number(res.rows[0].n));
    },
  });
  return {
    stored: new client.Counter({
      name: 'positions_stored_total',
      help: 'Positions inserted into positions',
      registers,
    }),
    duplicates: new client.Counter({
      name: 'positions_duplicates_total',
      help: 'Positions dropped because already stored',
      registers,
    }),
    replaced: new client.Counter({
      name: 'positions_replaced_total',
      help: 'Stored positions replaced by a better fix of the same vehicle and timestamp (docs/ingestion.md)',
      registers,
    }),
    dropped: new client.Counter({
      name: 'ingest_fixes_dropped_total',
      help: 'Fixes not stored on purpose, by reason (vehicle_deleted: the vehicle was deleted while they were in flight)',
      labelNames: ['reason'] as const,
      registers,
    }),
    deadLetters: new client.Counter({
      name: 'ingest_dead_letters_total',
      help: 'Messages that do not decode, moved to the dead-letter stream',
      labelNames: ['reason'] as const,
      registers,
    }),
    deadLetterFixes: new client.Counter({
      name: 'ingest_dead_letter_fixes_total',
      help: 'Fixes PostgreSQL refused on their own, moved to ingest_dead_letters (replayable), by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    replayed: new client.Counter({
      name: 'ingest_replayed_total',
      help: 'Staging rows republished by the replayer',
      registers,
    }),
    events: new client.Counter({
      name: 'events_emitted_total',
      help: 'Events inserted by the detector (geofence, overspeed, online/offline)',
      registers,
    }),
    lateFixes: new client.Counter({
      name: 'events_late_fixes_total',
      help: 'Fixes older than their vehicle’s newest evaluated fix (or replacing a stored one): each re-evaluates its vehicle’s event rules from its time on (docs/events.md)',
      registers,
    }),
    unknownDriverIds: new client.Counter({
      name: 'driver_unknown_identifiers_total',
      help: 'Fixes whose driverUniqueId no driver of their organization has (kept on the fix; nobody assigned)',
      registers,
    }),
    publishErrors: new client.Counter({
      name: 'live_publish_errors_total',
      help: 'Committed batches whose live push (pub/sub, hot cache) failed',
      registers,
    }),
    writeErrors: new client.Counter({
      name: 'ingest_write_errors_total',
      help: 'Failed batch writes (retried)',
      registers,
    }),
    batchSize: new client.Histogram({
      name: 'ingest_batch_size',
      help: 'Positions per batch write',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    batchDuration: new client.Histogram({
      name: 'ingest_batch_duration_seconds',
      help: 'Duration of one batch write',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    endToEnd: new client.Histogram({
      name: 'ingest_end_to_end_seconds',
      help: 'From the staging insert to the positions commit',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}
