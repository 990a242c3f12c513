import { isTransientDatabaseError } from '@fleet/db';
import type { Logger } from '@fleet/logging-json';
import {
  ack,
  claimStale,
  deadLetter,
  ensureGroup,
  readNew,
  writeBatch,
  type StreamMessage,
  type StreamNames,
} from '@fleet/queue-replay';
import type { Redis } from '@fleet/runtime';
import type { Pool } from 'pg';
import type { IngestMetrics } from './ingest-metrics';
import { detectEvents, type DetectorOptions } from './events/detector';
import { enqueueWebhookDeliveries } from './webhooks/enqueue';
import { publishCommitted } from './events/publish';

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
  /** Deliveries after which a message goes to the dead-letter stream. */
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

/** The writer loop: read (new, then stale), write set-based, acknowledge after commit. */
export function startIngestConsumer(o: ConsumerOptions): ConsumerHandle {
  let stopping = false;
  let lastClaim = 0;

  const markDead = async (m: StreamMessage, reason: string) => {
    await deadLetter(o.redis, o.names, m, reason);
    if (/^\d+$/.test(m.stagingId)) {
      // Processed as far as the pipeline goes: the replayer must not bring it back.
      await o.pool.query(
        'UPDATE ingest_staging SET processed_at = now(), dead_letter_reason = $2 WHERE id = $1 AND processed_at IS NULL',
        [m.stagingId, reason.slice(0, 1000)],
      );
    }
    o.metrics.deadLetters.inc({ reason: m.decodeError ? 'undecodable' : 'write_failed' });
    o.logger.error('message moved to the dead-letter stream', {
      stagingId: m.stagingId,
      entryId: m.entryId,
      deliveries: m.deliveries,
      reason,
    });
  };

  const write = async (messages: StreamMessage[]) => {
    const items = messages.map((m) => ({ stagingId: m.stagingId, payload: m.payload!, count: m.count }));
    const end = o.metrics.batchDuration.startTimer();
    const result = await writeBatch(o.pool, items, {
      onInserted: async (client, inserted) => {
        const events = await detectEvents(client, inserted, {
          ...o.events,
          onLateFixes: (n) => o.metrics.lateFixes.inc(n),
        });
        await enqueueWebhookDeliveries(client, events);
        return events;
      },
    });
    end();
    const events = result.hook ?? [];
    if (events.length) o.metrics.events.inc(events.length);
    // After the commit; positions and events are safe in PostgreSQL whatever happens to the push.
    await publishCommitted(o.publisher, result.inserted, events).catch((err: unknown) => {
      o.metrics.publishErrors.inc();
      o.logger.warn('live publish failed', { err });
    });
    await ack(
      o.redis,
      o.names,
      messages.map((m) => m.entryId),
    );
    o.metrics.batchSize.observe(result.received);
    o.metrics.stored.inc(result.stored);
    o.metrics.duplicates.inc(result.duplicates);
    const now = Date.now();
    for (const m of messages) if (m.acceptedAt) o.metrics.endToEnd.observe((now - m.acceptedAt) / 1000);
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
        o.logger.warn('batch write failed, retrying message by message', { err, messages: chunk.length });
        // Isolate the poison: every message that can be written is; the others stay pending and
        // come back through claimStale until maxDeliveries sends them to the dead-letter stream.
        for (const m of chunk) {
          try {
            await write([m]);
          } catch (single) {
            if (m.deliveries >= o.maxDeliveries)
              await markDead(m, single instanceof Error ? single.message : String(single));
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
        if (Date.now() - lastClaim > Math.min(o.claimIdleMs, 5_000)) {
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
