import type { EventDetail } from '@fleet/contracts';
import { createDb, schema, selectEventDetails, toEventDetail, type Database } from '@fleet/db';
import type { Logger } from '@fleet/logging-json';
import { backoffMs } from '@fleet/notify';
import { inArray, sql } from 'drizzle-orm';
import type { Pool } from 'pg';
import client from 'prom-client';
import { claimDue, LEASE_MARGIN_MS, MAX_ERROR_LENGTH } from '../deliveries/lease';
import { wakeableSleep } from '../deliveries/loop';
import { pushText, type PushLanguage } from './text';

export interface PushSenderOptions {
  pool: Pool;
  logger: Logger;
  registry: client.Registry;
  /** Expo's `/--/api/v2/push/send`, or a service answering the same way. */
  endpoint: string;
  /** Expo's `/--/api/v2/push/getReceipts`, or the same on another service. */
  receiptsEndpoint: string;
  /** Expo's "enhanced security" access token; sent as Bearer when set. */
  accessToken?: string;
  /** Messages per request (Expo takes up to 100). */
  batchSize: number;
  pollMs: number;
  timeoutMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long after a ticket its receipt is first asked for (Expo: receipts are ready within about 15 min). */
  receiptDelayMs: number;
  /** A ticket whose receipt has not come after this long is given up on. */
  receiptMaxAgeMs: number;
}

export interface PushSender {
  stop(): Promise<void>;
}

interface Claimed {
  id: string;
  event_id: string;
  attempts: number;
  token: string;
  token_id: string;
  language: string;
  active: boolean;
}

/** Expo's ticket for one message (same order as the messages sent). */
interface Ticket {
  status?: string;
  id?: string;
  message?: string;
  details?: { error?: string };
}

type Outcome =
  | { status: 'sent'; ticketId: string }
  | { status: 'pending'; error: string; retryInMs: number }
  | { status: 'failed'; error: string }
  | { status: 'unregistered'; error: string };

/**
 * Claims due pushes as a lease (like the webhook dispatcher: SKIP LOCKED, the attempt counted and the
 * next attempt moved past the request's timeout), with the token and whether its user may still be
 * notified. Hand-written: the lock, the lease and the read are one statement.
 */
const CLAIM = `${claimDue('push_deliveries', 'pending', 'attempts = d.attempts + 1', 'd.id, d.push_token_id, d.event_id, d.attempts')}
SELECT c.id::text AS id, c.event_id, c.attempts, p.token, p.id AS token_id, p.language,
       u.disabled_at IS NULL AS active
FROM claimed c
JOIN push_tokens p ON p.id = c.push_token_id
JOIN users u ON u.id = p.user_id`;

/** Records a send's outcome; `attempts = $2` ignores an attempt whose lease expired and was claimed again. */
const FINISH = `
UPDATE push_deliveries
SET status = $3, ticket_id = $4, last_error = $5,
    sent_at = CASE WHEN $3 = 'sent' THEN now() ELSE sent_at END,
    next_attempt_at = now() + $6::integer * interval '1 millisecond'
WHERE id = $1::bigint AND attempts = $2 AND status = 'pending'`;

/** Tickets whose receipt is due, leased so that another worker does not ask at the same time. */
const CLAIM_RECEIPTS = `${claimDue('push_deliveries', 'sent', '', 'd.id, d.ticket_id, d.push_token_id, d.sent_at')}
SELECT id::text AS id, ticket_id, push_token_id AS token_id, sent_at FROM claimed`;

function senderMetrics(registry: client.Registry, db: Database) {
  new client.Gauge({
    name: 'push_deliveries_pending',
    help: 'Push notifications waiting to be sent (pending) or for their receipt (sent)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .select({ status: schema.pushDeliveries.status, n: sql<number>`count(*)::int` })
        .from(schema.pushDeliveries)
        .where(inArray(schema.pushDeliveries.status, ['pending', 'sent']))
        .groupBy(schema.pushDeliveries.status)
        .catch(() => undefined);
      if (!rows) return;
      this.reset();
      this.set({ status: 'pending' }, 0);
      this.set({ status: 'sent' }, 0);
      for (const r of rows) this.set({ status: r.status }, r.n);
    },
  });
  return {
    sends: new client.Counter({
      name: 'push_notifications_total',
      help: 'Push notifications by outcome: sent (ticket ok), retry, failed (gave up or refused), skipped (user disabled), unregistered (token removed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    receipts: new client.Counter({
      name: 'push_receipts_total',
      help: 'Push receipts read, by outcome: delivered, failed, unregistered (token removed), expired (no receipt in time)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    requests: new client.Counter({
      name: 'push_requests_total',
      help: 'Requests to the push service, by kind (send, receipts) and result (ok, http_5xx, http_4xx, network, bad_response)',
      labelNames: ['kind', 'result'] as const,
      registers: [registry],
    }),
  };
}

class PushRequestError extends Error {
  constructor(
    message: string,
    /** Worth retrying (5xx, 429, network, a malformed answer) or not (another 4xx). */
    readonly retryable: boolean,
    readonly result: string,
  ) {
    super(message);
  }
}

/**
 * The push sender: sends a push for each queued delivery through an Expo-compatible service, retries
 * what failed on the way (5xx, 429, network) with backoff, reads the receipts and removes tokens the
 * service reports `DeviceNotRegistered`. Its own loop, like the webhook dispatcher.
 */
export function startPushSender(o: PushSenderOptions): PushSender {
  const db = createDb(o.pool);
  const metrics = senderMetrics(o.registry, db);
  let stopped = false;
  // Batches (one request for many pushes), not the per-delivery lease loop: only its wait is shared.
  const { sleep, wake } = wakeableSleep();

  async function post(url: string, body: unknown, kind: 'send' | 'receipts'): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(o.accessToken ? { authorization: `Bearer ${o.accessToken}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (err) {
      metrics.requests.inc({ kind, result: 'network' });
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new PushRequestError(`${cause ? `${cause}: ` : ''}${(err as Error).message}`, true, 'network');
    }
    const text = await res.text().catch(() => '');
    if (res.status >= 500 || res.status === 429) {
      metrics.requests.inc({ kind, result: 'http_5xx' });
      throw new PushRequestError(`HTTP ${res.status}`, true, 'http_5xx');
    }
    if (res.status >= 400) {
      metrics.requests.inc({ kind, result: 'http_4xx' });
      throw new PushRequestError(`HTTP ${res.status}: ${text.slice(0, 200)}`, false, 'http_4xx');
    }
    try {
      const json = JSON.parse(text) as { data?: unknown };
      if (json.data === undefined) throw new Error('no data');
      metrics.requests.inc({ kind, result: 'ok' });
      return json.data;
    } catch {
      metrics.requests.inc({ kind, result: 'bad_response' });
      throw new PushRequestError(
        `HTTP ${res.status} with an answer that is not the push service's JSON`,
        true,
        'bad_response',
      );
    }
  }

  const retryOrFail = (row: Claimed, error: string): Outcome =>
    row.attempts >= o.maxAttempts
      ? { status: 'failed', error: `${error} (gave up after ${row.attempts} attempts)` }
      : {
          status: 'pending',
          error,
          retryInMs: backoffMs(row.attempts, { baseMs: o.backoffBaseMs, maxMs: o.backoffMaxMs }),
        };

  function ticketOutcome(row: Claimed, ticket: Ticket | undefined): Outcome {
    if (ticket?.status === 'ok' && typeof ticket.id === 'string') return { status: 'sent', ticketId: ticket.id };
    const code = ticket?.details?.error;
    const error = `${code ?? 'error'}: ${ticket?.message ?? 'no ticket for this message'}`;
    if (code === 'DeviceNotRegistered') return { status: 'unregistered', error };
    if (!ticket || code === 'MessageRateExceeded') return retryOrFail(row, error);
    return { status: 'failed', error };
  }

  /** Sends one request for the claimed rows that may be notified; the outcome of each. */
  async function send(rows: Claimed[], events: Map<string, EventDetail>): Promise<Map<Claimed, Outcome>> {
    const outcomes = new Map<Claimed, Outcome>();
    const sendable: Array<{ row: Claimed; event: EventDetail }> = [];
    for (const row of rows) {
      const event = events.get(row.event_id);
      if (!row.active) outcomes.set(row, { status: 'failed', error: 'user disabled' });
      else if (!event) outcomes.set(row, { status: 'failed', error: 'event deleted' });
      else sendable.push({ row, event });
    }
    if (!sendable.length) return outcomes;
    const messages = sendable.map(({ row, event }) => {
      const { title, body } = pushText(event, row.language === 'es' ? 'es' : ('en' as PushLanguage));
      return {
        to: row.token,
        title,
        body,
        sound: 'default',
        priority: 'high',
        data: { eventId: event.id, vehicleId: event.vehicleId, type: event.type },
      };
    });
    try {
      const data = await post(o.endpoint, messages, 'send');
      const tickets = Array.isArray(data) ? (data as Ticket[]) : undefined;
      // A request refused whole (an error object instead of a ticket per message) is not retried as is.
      for (const [i, { row }] of sendable.entries()) outcomes.set(row, ticketOutcome(row, tickets?.[i]));
    } catch (err) {
      const e = err as PushRequestError;
      for (const { row } of sendable)
        outcomes.set(row, e.retryable ? retryOrFail(row, e.message) : { status: 'failed', error: e.message });
    }
    return outcomes;
  }

  async function finish(row: Claimed, outcome: Outcome): Promise<void> {
    const label =
      outcome.status === 'pending'
        ? 'retry'
        : outcome.status === 'failed' && outcome.error === 'user disabled'
          ? 'skipped'
          : outcome.status;
    metrics.sends.inc({ outcome: label });
    if (outcome.status === 'unregistered') {
      // The phone uninstalled the app or revoked notifications: its token (and its queued pushes) go.
      await o.pool.query('DELETE FROM push_tokens WHERE id = $1', [row.token_id]);
      o.logger.info('push token removed: the push service reports it unregistered', { deliveryId: row.id });
      return;
    }
    if (outcome.status === 'failed')
      o.logger.warn('push notification failed', { deliveryId: row.id, error: outcome.error });
    await o.pool.query(FINISH, [
      row.id,
      row.attempts,
      outcome.status,
      outcome.status === 'sent' ? outcome.ticketId : null,
      outcome.status === 'sent' ? null : outcome.error.slice(0, MAX_ERROR_LENGTH),
      outcome.status === 'pending' ? outcome.retryInMs : outcome.status === 'sent' ? o.receiptDelayMs : 0,
    ]);
  }

  async function sendDue(): Promise<number> {
    const res = await o.pool.query<Claimed>(CLAIM, [o.batchSize, o.timeoutMs + LEASE_MARGIN_MS]);
    if (!res.rows.length) return 0;
    const ids = [...new Set(res.rows.map((r) => r.event_id))];
    const events = new Map(
      (await selectEventDetails(db).where(inArray(schema.events.id, ids))).map((r) => [r.id, toEventDetail(r)]),
    );
    const outcomes = await send(res.rows, events);
    for (const [row, outcome] of outcomes) await finish(row, outcome);
    return res.rows.length;
  }

  async function checkReceipts(): Promise<number> {
    const res = await o.pool.query<{ id: string; ticket_id: string; token_id: string; sent_at: Date }>(CLAIM_RECEIPTS, [
      Math.min(1000, o.batchSize * 10),
      o.timeoutMs + LEASE_MARGIN_MS,
    ]);
    if (!res.rows.length) return 0;
    let receipts: Record<string, Ticket>;
    try {
      const data = await post(o.receiptsEndpoint, { ids: res.rows.map((r) => r.ticket_id) }, 'receipts');
      receipts = data && typeof data === 'object' ? (data as Record<string, Ticket>) : {};
    } catch (err) {
      // The lease makes them due again after it; nothing else to record.
      o.logger.debug('push receipts request failed', { error: (err as Error).message });
      return res.rows.length;
    }
    for (const row of res.rows) {
      const receipt = receipts[row.ticket_id];
      if (receipt?.status === 'ok') {
        metrics.receipts.inc({ outcome: 'delivered' });
        await o.pool.query("UPDATE push_deliveries SET status = 'delivered' WHERE id = $1::bigint", [row.id]);
      } else if (receipt?.details?.error === 'DeviceNotRegistered') {
        metrics.receipts.inc({ outcome: 'unregistered' });
        await o.pool.query('DELETE FROM push_tokens WHERE id = $1', [row.token_id]);
      } else if (receipt) {
        metrics.receipts.inc({ outcome: 'failed' });
        const error = `${receipt.details?.error ?? 'error'}: ${receipt.message ?? ''}`.slice(0, MAX_ERROR_LENGTH);
        await o.pool.query("UPDATE push_deliveries SET status = 'failed', last_error = $2 WHERE id = $1::bigint", [
          row.id,
          error,
        ]);
      } else if (Date.now() - row.sent_at.getTime() > o.receiptMaxAgeMs) {
        metrics.receipts.inc({ outcome: 'expired' });
        await o.pool.query(
          "UPDATE push_deliveries SET status = 'failed', last_error = 'no receipt' WHERE id = $1::bigint",
          [row.id],
        );
      } else {
        // Not ready yet: ask again after the usual delay.
        await o.pool.query(
          "UPDATE push_deliveries SET next_attempt_at = now() + $2::integer * interval '1 millisecond' WHERE id = $1::bigint",
          [row.id, o.receiptDelayMs],
        );
      }
    }
    return res.rows.length;
  }

  const loop = (async () => {
    while (!stopped) {
      let busy = false;
      try {
        busy = (await sendDue()) >= o.batchSize;
        await checkReceipts();
      } catch (err) {
        o.logger.warn('push sender pass failed', { err });
      }
      if (stopped) break;
      // A full batch means more may be due: send again at once.
      if (!busy) await sleep(o.pollMs);
    }
  })();

  return {
    stop: async () => {
      stopped = true;
      wake();
      await loop;
    },
  };
}
