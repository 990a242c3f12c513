import type { IngestAccepted, ErrorDetail } from '@fleet/contracts';
import type { Logger } from '@fleet/logging-json';
import {
  publishStaged,
  StagingWriter,
  type NormalizedPosition,
  type Staged,
  type StageResult,
  type StreamNames,
} from '@fleet/queue-replay';
import type { Redis } from '@fleet/runtime';
import type { Pool } from 'pg';
import client from 'prom-client';
import type { Device } from './devices';
import { validateFix, type RawFix } from './fix';

/**
 * Positions refused as a whole (a 400 `validation_failed` on HTTP; on TCP, no acknowledgement):
 * `details` names each problem.
 */
export class InvalidPositionsError extends Error {
  constructor(
    message: string,
    readonly details: ErrorDetail[],
  ) {
    super(message);
    this.name = 'InvalidPositionsError';
  }
}

export interface IngestItem {
  device: Device;
  fix: RawFix;
  /** Where the item sits in the request, for error details (`positions.3`). */
  path: string;
}

export interface IngestPipelineOptions {
  pool: Pool;
  redis: Redis;
  logger: Logger;
  registry: client.Registry;
  names: StreamNames;
  streamMaxLen: number;
  maxFutureMs: number;
  /** Staging commits in flight at once; requests arriving meanwhile share the next commit. */
  maxConcurrentCommits: number;
}

export type RejectReason =
  'invalid' | 'unknown_device' | 'disabled_device' | 'unauthorized' | 'too_large' | 'unavailable';

/**
 * The story of accepting positions, whatever the protocol: validate every fix, stage the request
 * (committed before we answer; small requests committed together share a row), announce each row on
 * the stream once, count everything.
 */
export class IngestPipeline {
  private readonly received: client.Counter<'protocol'>;
  private readonly accepted: client.Counter<'protocol'>;
  private readonly rejected: client.Counter<'protocol' | 'reason'>;
  private readonly publishFailures: client.Counter;
  private readonly staging: StagingWriter;
  private readonly publishing = new Set<Promise<void>>();

  constructor(private readonly o: IngestPipelineOptions) {
    const registers = [o.registry];
    this.staging = new StagingWriter(o.pool, { maxConcurrentCommits: o.maxConcurrentCommits });
    this.received = new client.Counter({
      name: 'positions_received_total',
      help: 'Positions received, by protocol',
      labelNames: ['protocol'],
      registers,
    });
    this.accepted = new client.Counter({
      name: 'positions_accepted_total',
      help: 'Positions accepted (staged), by protocol',
      labelNames: ['protocol'],
      registers,
    });
    this.rejected = new client.Counter({
      name: 'positions_rejected_total',
      help: 'Positions refused, by protocol and reason',
      labelNames: ['protocol', 'reason'],
      registers,
    });
    this.publishFailures = new client.Counter({
      name: 'ingest_publish_failures_total',
      help: 'Staged batches not announced on the stream at once (the replayer publishes them later)',
      registers,
    });
  }

  /** Counts positions refused before they could be decoded into fixes (bad credentials, bad body…). */
  reject(protocol: string, reason: RejectReason, count = 1): void {
    this.received.inc({ protocol }, count);
    this.rejected.inc({ protocol, reason }, count);
  }

  /**
   * Validates and stages `items`. By default one invalid fix refuses the whole request (400 naming
   * each problem). With `partial`, invalid fixes are skipped and reported, the rest accepted: for
   * protocols whose clients would otherwise resend the same bad point forever (Overland, GPX files).
   */
  async ingest(
    protocol: string,
    items: IngestItem[],
    options: { partial?: boolean } = {},
  ): Promise<IngestAccepted & { rejected: ErrorDetail[] }> {
    this.received.inc({ protocol }, items.length);
    const now = Date.now();
    const errors: ErrorDetail[] = [];
    const valid: IngestItem[] = [];
    for (const item of items) {
      const problems = validateFix(item.fix, item.path, { now, maxFutureMs: this.o.maxFutureMs });
      if (problems.length) errors.push(...problems);
      else valid.push(item);
    }
    const invalidCount = items.length - valid.length;
    if (invalidCount) this.rejected.inc({ protocol, reason: 'invalid' }, options.partial ? invalidCount : items.length);
    if (invalidCount && (!options.partial || valid.length === 0)) {
      throw new InvalidPositionsError(
        `${invalidCount} of ${items.length} position(s) are not valid; nothing was stored`,
        errors,
      );
    }
    if (valid.length === 0) return { accepted: 0, batchId: '', rejected: errors };
    items = valid;
    const positions: NormalizedPosition[] = items.map(({ device, fix }) => ({
      vehicleId: device.vehicleId,
      organizationId: device.organizationId,
      ts: fix.ts!.getTime(),
      lat: fix.lat,
      lon: fix.lon,
      ...(fix.speedKmh !== undefined && { speedKmh: fix.speedKmh }),
      ...(fix.heading !== undefined && { heading: fix.heading }),
      ...(fix.altitude !== undefined && { altitude: fix.altitude }),
      ...(fix.accuracy !== undefined && { accuracy: fix.accuracy }),
      ...(fix.battery !== undefined && { battery: fix.battery }),
      ...(fix.attributes && Object.keys(fix.attributes).length > 0 && { attributes: fix.attributes }),
    }));
    let staged: StageResult;
    try {
      staged = await this.staging.stage({ protocol, positions });
    } catch (err) {
      this.rejected.inc({ protocol, reason: 'unavailable' }, items.length);
      throw err;
    }
    this.accepted.inc({ protocol }, items.length);
    if (staged.lead) this.announce(staged.staged);
    return { accepted: positions.length, batchId: staged.staged.id, rejected: errors };
  }

  /**
   * The batch is safe in PostgreSQL already; the stream only makes it fast. When Redis is away we do
   * not wait for it: the replayer publishes the row after its grace period. Publishes in flight are
   * tracked, so the drain can wait for them before it closes Redis (flush).
   */
  private announce(staged: Staged): void {
    if (this.o.redis.status !== 'ready') {
      this.publishFailures.inc();
      return;
    }
    const publish = publishStaged(this.o.redis, staged, { names: this.o.names, maxLen: this.o.streamMaxLen })
      .catch((err: unknown) => {
        this.publishFailures.inc();
        this.o.logger.warn('could not publish a staged batch; the replayer will', { batchId: staged.id, err });
      })
      .finally(() => this.publishing.delete(publish));
    this.publishing.add(publish);
  }

  /**
   * Waits (up to `timeoutMs`) for every publish in flight: the drain calls it after the last request
   * is answered and before Redis is closed, so a batch answered 2xx reaches the stream at once rather
   * than through the replayer. Returns how many were still in flight when the time ran out (Redis
   * unreachable: the replayer publishes those).
   */
  async flush(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    // Publishes started while we wait (the OsmAnd listener closing) are waited for too.
    while (this.publishing.size) {
      const done = await Promise.race([
        Promise.allSettled([...this.publishing]).then(() => true),
        timeout.then(() => false),
      ]);
      if (!done) break;
    }
    clearTimeout(timer);
    return this.publishing.size;
  }
}
