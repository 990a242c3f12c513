import { isTransientDatabaseError, enqueueEventDeliveries } from '@fleet/db';
import type { Logger } from '@fleet/logging-json';
import {
  ack,
  claimStale,
  deadLetter,
  deadLetterItems,
  ensureGroup,
  readNew,
  removeDeadConsumers,
  writeBatch,
  type InBetweenFix,
  type InsertedPosition,
  type StreamMessage,
  type StreamNames,
  type WriteResult,
} from '@fleet/queue-replay';
import type { PoolClient } from 'pg';
import type { Redis } from '@fleet/runtime';
import type { Pool } from 'pg';
import type { IngestMetrics } from './ingest-metrics';
import { detectEvents, type Detection, type DetectorOptions } from './events/detector';
import { publishCommitted } from './live-publish';
import { assignDriversFromFixes } from './drivers/assignment';
import { countMaintenance } from './maintenance/maintenance';

export interface ConsumerOptions {
  pool: Pool;
  /** A connection of its own: XREADGROUP BLOCK holds it while waiting. */
  redis: Redis;
  names: StreamNames;
  consumer: string;
  logger: Logger;
  metrics: IngestMetrics;
  /** Stream entries read at once. */
  readCount: number;
  blockMs: number;
  /** Positions per write statement at most. */
  maxPositionsPerWrite: number;
  /** Unacknowledged for this long → taken over from its consumer. */
  claimIdleMs: number;
  /** Consumers of the group idle for this long and holding nothing are removed (0: never). */
  deadConsumerIdleMs: number;
  /**
   * Deliveries after which a message that keeps failing for a reason other than its data (a
   * failing event hook…) is given up: its fixes become dead letters, replayable later.
   */
  maxDeliveries: number;
  /** Event rules applied to the inserted fixes, inside the write transaction. */
  events: DetectorOptions;
  /** Where committed positions and events are published (not the blocking connection). */
  publisher: Redis;
}

export interface ConsumerHandle {
  /** Finishes the batch in hand, then stops. */
  stop(): Promise<void>;
}

function chunkByPositions(messages: StreamMessage[], max: number): StreamMessage[][] {
  const chunks: StreamMessage[][] = [];
  let current: StreamMessage[] = [];
  let size = 0;
  for (const m of messages) {
    const n = m.count;
    if (current.length && size + n > max) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += n;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/**
 * The event hook of every write (consumer and dead-letter replay): event rules applied to the fixes
 * inserted or replaced, maintenance counters moved (maintenance_due), and their webhook, push and
 * notification deliveries queued, inside the write transaction.
 */
export function eventHook(
  events: DetectorOptions,
  onLateFixes?: (n: number) => void,
  onUnknownDriverIds?: (n: number) => void,
): (client: PoolClient, inserted: InsertedPosition[], between: InBetweenFix[]) => Promise<Detection> {
  return async (client, inserted, between) => {
    const detection = await detectEvents(client, inserted, { ...events, onLateFixes });
    // After the detector: its per-vehicle lock serialises the counters too. They count every fix
    // written, `between` too (the fixes the writer leaves out of `inserted`).
    detection.events.push(...(await countMaintenance(client, inserted, between)));
    // Also after the detector's lock: drivers from the fixes' driverUniqueId (driver_changed).
    detection.events.push(
      ...(await assignDriversFromFixes(client, inserted, { onUnknownIdentifiers: onUnknownDriverIds })),
    );
    await enqueueEventDeliveries(client, detection.events);
    return detection;
  };
}

/** Counts what a write did (stored, replaced, duplicates, dropped, dead-lettered). */
function countWrite(metrics: IngestMetrics, result: WriteResult<unknown>): void {
  metrics.batchSize.observe(result.received);
  metrics.stored.inc(result.stored);
  metrics.replaced.inc(result.replaced);
  metrics.duplicates.inc(result.duplicates);
  if (result.droppedVehicleDeleted) metrics.dropped.inc({ reason: 'vehicle_deleted' }, result.droppedVehicleDeleted);
  for (const d of result.deadLetters) metrics.deadLetterFixes.inc({ reason: d.code });
}

/** The writer loop: read (new, then stale), write set-based, acknowledge after commit. */
export function startIngestConsumer(o: ConsumerOptions): ConsumerHandle {
  let stopping = false;
  let lastClaim = 0;
  let lastCleanup = 0;
  // Taken over within claimIdleMs plus half of it (and one blocking read): 7.5 s by default.
  const claimEveryMs = Math.max(100, Math.min(o.claimIdleMs / 2, 5_000));

  const markDead = async (m: StreamMessage, reason: string) => {
    await deadLetter(o.redis, o.names, m, reason);
    if (/^\d+$/.test(m.stagingId)) {
      // Processed as far as the pipeline goes: the replayer must not bring it back.
      await o.pool.query(
        'UPDATE ingest_staging SET processed_at = now(), dead_letter_reason = $2 WHERE id = $1 AND processed_at IS NULL',
        [m.stagingId, reason.slice(0, 1000)],
      );
    }
    o.metrics.deadLetters.inc({ reason: 'undecodable' });
    o.logger.error('message moved to the dead-letter stream', {
      stagingId: m.stagingId,
      entryId: m.entryId,
      deliveries: m.deliveries,
      reason,
    });
  };

  const hook = eventHook(
    o.events,
    (n) => o.metrics.lateFixes.inc(n),
    (n) => o.metrics.unknownDriverIds.inc(n),
  );

  const write = async (messages: StreamMessage[]) => {
    const items = messages.map((m) => ({ stagingId: m.stagingId, payload: m.payload ?? '', count: m.count }));
    const end = o.metrics.batchDuration.startTimer();
    const result = await writeBatch(o.pool, items, { onInserted: hook });
    end();
    const { events, retracted } = result.hook ?? { events: [], retracted: [] };
    if (events.length) o.metrics.events.inc(events.length);
    // After the commit; positions and events are safe in PostgreSQL whatever happens to the push.
    await publishCommitted(o.publisher, result.inserted, events, retracted).catch((err: unknown) => {
      o.metrics.publishErrors.inc();
      o.logger.warn('live publish failed', { err });
    });
    // Requests that do not decode at all: their staging rows are marked; the stream keeps a copy.
    for (const u of result.undecodable) await markDead(messages[u.item], u.reason);
    await ack(
      o.redis,
      o.names,
      messages.map((m) => m.entryId),
    );
    countWrite(o.metrics, result);
    if (result.deadLetters.length)
      o.logger.warn('fixes refused by PostgreSQL moved to ingest_dead_letters; the rest of the batch is stored', {
        deadLetters: result.deadLetters.length,
        stored: result.stored,
        reasons: [...new Set(result.deadLetters.map((d) => d.reason))].slice(0, 5),
      });
    const now = Date.now();
    for (const m of messages) if (m.acceptedAt) o.metrics.endToEnd.observe((now - m.acceptedAt) / 1000);
  };

  /** Gives up on a message that keeps failing: its fixes become dead letters (replayable later). */
  const giveUp = async (m: StreamMessage, reason: string) => {
    try {
      const dead = await deadLetterItems(
        o.pool,
        [{ stagingId: m.stagingId, payload: m.payload ?? '', count: m.count }],
        reason,
      );
      await ack(o.redis, o.names, [m.entryId]);
      o.metrics.deadLetterFixes.inc({ reason: 'write_failed' }, dead.length);
      o.logger.error('message kept failing: its fixes moved to ingest_dead_letters', {
        stagingId: m.stagingId,
        deliveries: m.deliveries,
        fixes: dead.length,
        reason,
      });
    } catch (err) {
      if (isTransientDatabaseError(err)) throw err;
      await markDead(m, `undecodable: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  /** After a connection failure: wait (with backoff) until PostgreSQL answers again. */
  const waitForDatabase = async () => {
    for (let delay = 250; !stopping; delay = Math.min(delay * 2, 5_000)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (
        await o.pool.query('SELECT 1').then(
          () => true,
          () => false,
        )
      )
        return;
    }
  };

  const handle = async (messages: StreamMessage[]) => {
    const good: StreamMessage[] = [];
    for (const m of messages) {
      if (m.decodeError) await markDead(m, `undecodable: ${m.decodeError}`);
      else good.push(m);
    }
    for (const chunk of chunkByPositions(good, o.maxPositionsPerWrite)) {
      try {
        await write(chunk);
      } catch (err) {
        o.metrics.writeErrors.inc();
        if (isTransientDatabaseError(err)) {
          // Not the messages' fault: they stay pending and are reclaimed once PostgreSQL is back.
          o.logger.warn('database unavailable, pausing the writer', { err });
          await waitForDatabase();
          return;
        }
        // Poison fixes never get here (the writer isolates them). Something else failed (the event
        // hook, a bug): every message that can be written is; the others stay pending and come back
        // through claimStale until maxDeliveries turns their fixes into dead letters.
        o.logger.warn('batch write failed, retrying message by message', { err, messages: chunk.length });
        for (const m of chunk) {
          try {
            await write([m]);
          } catch (single) {
            if (isTransientDatabaseError(single)) {
              await waitForDatabase();
              return;
            }
            if (m.deliveries >= o.maxDeliveries)
              await giveUp(m, single instanceof Error ? single.message : String(single));
          }
        }
      }
    }
  };

  const loop = async () => {
    let groupReady = false;
    let lastError = '';
    while (!stopping) {
      try {
        if (!groupReady) {
          await ensureGroup(o.redis, o.names);
          groupReady = true;
        }
        if (o.deadConsumerIdleMs > 0 && Date.now() - lastCleanup > Math.min(o.deadConsumerIdleMs, 60_000)) {
          lastCleanup = Date.now();
          // Never below two blocking reads: a live consumer waiting for messages looks idle meanwhile.
          const minIdleMs = Math.max(o.deadConsumerIdleMs, 2 * o.blockMs);
          const removed = await removeDeadConsumers(o.redis, o.names, { minIdleMs });
          if (removed.length) o.logger.info('removed dead consumers from the group', { consumers: removed });
        }
        if (Date.now() - lastClaim > claimEveryMs) {
          lastClaim = Date.now();
          const stale = await claimStale(o.redis, o.names, o.consumer, {
            minIdleMs: o.claimIdleMs,
            count: o.readCount,
          });
          if (stale.length) {
            o.logger.info('reclaimed unacknowledged messages', { count: stale.length });
            await handle(stale);
          }
        }
        const fresh = await readNew(o.redis, o.names, o.consumer, { count: o.readCount, blockMs: o.blockMs });
        lastError = '';
        if (fresh.length) await handle(fresh);
      } catch (err) {
        if (stopping) break;
        const message = err instanceof Error ? err.message : String(err);
        const repeated = message === lastError;
        lastError = message;
        if (String((err as Error).message).includes('NOGROUP')) {
          // Redis lost the stream (restart without persistence, FLUSHALL): recreate it; the replayer
          // brings back whatever was accepted meanwhile.
          groupReady = false;
        } else if (!repeated) {
          // Logged once per distinct error: a Redis outage must not flood the logs.
          o.logger.warn('consumer loop error, retrying', { err });
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };

  const running = loop();
  return {
    stop: async () => {
      stopping = true;
      await running;
    },
  };
}
