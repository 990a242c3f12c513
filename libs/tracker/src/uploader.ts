import { ApiError, type FleetApi } from '@fleet/api-client';
import { MAX_BATCH, type PositionInput } from '@fleet/contracts';
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter, type BackoffOptions } from './backoff';
import type { FixQueue, QueuedFix } from './queue';

export interface UploaderOptions {
  queue: FixQueue;
  /** A FleetApi whose `getToken` returns the device token. */
  api: Pick<FleetApi, 'ingestPositions'>;
  /** Where the last answer's `Retry-After` is read (ResponseHints wrapped around the api's fetch). */
  hints?: { takeRetryAfter(): string | null };
  /** Fixes per request, at most MAX_BATCH (the server's limit). */
  batchSize?: number;
  backoff?: BackoffOptions;
  /** Epoch milliseconds; injected with `sleep` so tests run on fake timers. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface DrainOptions {
  /** Give up (and leave the rest queued) rather than wait past this time, e.g. a background task's budget. */
  until?: number;
}

export type DrainEnd = 'empty' | 'deadline' | 'stopped' | 'unauthorized';

export interface DrainResult {
  end: DrainEnd;
  /** Fixes the server answered 2xx for (and that left the queue). */
  sent: number;
  quarantined: number;
  requests: number;
  /** Failed requests that were waited out and retried. */
  retries: number;
}

export interface UploaderStatus {
  lastUploadAt?: number;
  lastError?: { at: number; status: number; message: string };
  /** The wait in progress before the next retry, if any. */
  retryAt?: number;
}

/** Which fix of the batch a detail path names: `positions.3.lat` (or `3.lat` for a bare array). */
const ITEM_PATH = /^(?:positions\.)?(\d+)(?:\.|$)/;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends the queue to `POST /api/v1/positions` in batches, oldest first, one request at a time.
 *
 * - A fix leaves the queue only after a 2xx for its batch. A batch whose answer was lost is sent
 *   again; the server keeps one row per vehicle and timestamp, so a resend stores nothing twice.
 * - 400 naming `positions.N.field`: fix N goes to the quarantine with the message, the rest are
 *   sent again at once. A 400 naming no fix: the batch is halved until the bad fix is alone, then
 *   quarantined, so one bad fix never blocks the rest. 413: the batch is halved.
 * - 429/503 with `Retry-After`: that wait; otherwise (network, 5xx, 408, 429) exponential backoff with
 *   equal jitter, reset after a success.
 * - 401/403 (device token revoked or vehicle disabled): draining stops; nothing is deleted.
 */
export class Uploader {
  private readonly batchSize: number;
  private readonly backoff: BackoffOptions;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private stopped = false;
  private draining?: Promise<DrainResult>;
  readonly status: UploaderStatus = {};

  constructor(private readonly options: UploaderOptions) {
    this.batchSize = Math.max(1, Math.min(options.batchSize ?? MAX_BATCH, MAX_BATCH));
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
  }

  /** Sends until the queue is empty (or the deadline, stop(), a 401/403). Concurrent calls share one drain. */
  drain(options: DrainOptions = {}): Promise<DrainResult> {
    this.stopped = false;
    return (this.draining ??= this.run(options).finally(() => (this.draining = undefined)));
  }

  /** Ends the drain after the request in flight (which still deletes its fixes if answered 2xx). */
  stop(): void {
    this.stopped = true;
  }

  private async run({ until }: DrainOptions): Promise<DrainResult> {
    const result: DrainResult = { end: 'empty', sent: 0, quarantined: 0, requests: 0, retries: 0 };
    const { queue } = this.options;
    let attempt = 0;
    let size = this.batchSize;
    // Set while halving towards a fix a 400 did not name: successes keep the small size until it is found.
    let bisecting = false;
    for (;;) {
      if (this.stopped) return { ...result, end: 'stopped' };
      const batch = await queue.peek(size);
      if (batch.length === 0) return result;
      result.requests++;
      const outcome = await this.send(batch.map((q) => q.fix));
      if (outcome.ok) {
        await queue.remove(batch.map((q) => q.id));
        result.sent += batch.length;
        this.status.lastUploadAt = this.now();
        attempt = 0;
        if (!bisecting) size = this.batchSize;
        continue;
      }
      const err = outcome.error;
      this.status.lastError = { at: this.now(), status: err.status, message: err.message };
      if (err.status === 401 || err.status === 403) return { ...result, end: 'unauthorized' };
      if (err.status === 400 && err.code !== 'bad_response') {
        const refused = refusedFixes(batch, err);
        if (refused.length > 0 || batch.length === 1) {
          await queue.quarantine(refused.length > 0 ? refused : [{ id: batch[0].id, reason: err.message }]);
          result.quarantined += Math.max(1, refused.length);
          bisecting = false;
          size = this.batchSize;
        } else {
          bisecting = true;
          size = Math.ceil(batch.length / 2);
        }
        continue;
      }
      if (err.status === 413 && batch.length > 1) {
        size = Math.ceil(batch.length / 2);
        continue;
      }
      const retryAfter =
        err.status === 429 || err.status === 503
          ? parseRetryAfter(this.options.hints?.takeRetryAfter(), this.now())
          : undefined;
      const wait = retryAfter ?? backoffDelay(attempt, this.backoff, this.random);
      attempt++;
      if (until !== undefined && this.now() + wait > until) return { ...result, end: 'deadline' };
      result.retries++;
      this.status.retryAt = this.now() + wait;
      await this.sleep(wait);
      this.status.retryAt = undefined;
    }
  }

  private async send(positions: PositionInput[]): Promise<{ ok: true } | { ok: false; error: ApiError }> {
    try {
      await this.options.api.ingestPositions({ body: { positions } });
      return { ok: true };
    } catch (err) {
      const error =
        err instanceof ApiError ? err : new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
      // A 2xx whose body did not parse was still accepted: the fixes are stored, do not resend them.
      if (error.status >= 200 && error.status < 300) return { ok: true };
      return { ok: false, error };
    }
  }
}

/** The fixes a validation error names, each with the messages about it. */
function refusedFixes(batch: QueuedFix[], err: ApiError): Array<{ id: number; reason: string }> {
  const reasons = new Map<number, string[]>();
  for (const detail of err.details) {
    const match = ITEM_PATH.exec(detail.path);
    if (!match) continue;
    const index = Number(match[1]);
    if (index >= batch.length) continue;
    const list = reasons.get(index) ?? [];
    list.push(`${detail.path}: ${detail.message}`);
    reasons.set(index, list);
  }
  return [...reasons].map(([index, list]) => ({ id: batch[index].id, reason: list.join('; ') }));
}
