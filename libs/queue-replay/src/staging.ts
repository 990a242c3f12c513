// Step (1): accepted batches committed to the table ingest_staging (made by migration `ingest_outbox`;
// applied migrations keep their names) before anything else happens to them.
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import { encodeBatch } from './codec';
import type { StagedBatch } from './types';

/** A committed staging row, as the stream announces it. */
export interface Staged {
  id: string;
  payload: string;
  /** Positions in the batch. */
  count: number;
}

/** What staging one request gave: the row it went into, and whether this request announces that row. */
export interface StageResult {
  staged: Staged;
  /**
   * True for exactly one of the requests that share a row: that one publishes it on the stream, so
   * each row is announced once however many requests it holds.
   */
  lead: boolean;
}

interface Pending {
  batch: StagedBatch;
  /** performance.now() when it was staged. */
  at: number;
  resolve: (result: StageResult) => void;
  reject: (err: unknown) => void;
}

export interface StagingWriterOptions {
  /** Commits in flight at once; requests arriving meanwhile wait for the next one. */
  maxConcurrentCommits: number;
  /**
   * While commits are in flight (fewer than maxConcurrentCommits), another one starts once the oldest
   * waiting request has waited this fraction of the recent commit duration (an exponential average),
   * or at once for a full row or a full commit. Its WAL flush then overlaps the one in flight, and a
   * request arriving just after a commit began waits part of a commit for its own, not all of it.
   * `Infinity` (the default): only for a full row or commit. 0.5 helped the writer alone
   * (bench-staging-commit: 64 callers, +33 % positions/s, p99 −34 %) but not bench-osmand at 64
   * connections on the shared 2-core machine (9 interleaved pairs: median 7,774 vs 8,302 positions/s,
   * p99 41 vs 33 ms; better at 128–256 connections in 3 of 4 pairs): off until measured quietly.
   */
  overlapAfter: number;
  /** Requests taken into one commit at most. */
  maxRequestsPerCommit: number;
  /**
   * Positions per staging row at most: small requests of one protocol that share a commit are merged
   * into rows of up to this many positions; a request this large or larger keeps a row of its own.
   */
  maxPositionsPerRow: number;
}

const DEFAULTS: StagingWriterOptions = {
  maxConcurrentCommits: 4,
  overlapAfter: Infinity,
  maxRequestsPerCommit: 2000,
  maxPositionsPerRow: 1000,
};

/** Weight of the latest commit in the average commit duration. */
const EWMA_WEIGHT = 0.2;

// A VALUES list rather than unnest arrays: each payload travels as its own parameter, so the driver
// does not have to escape every quote of every JSON payload into an array literal.
function insertMany(n: number): string {
  const rows: string[] = [];
  for (let i = 0; i < n; i++) rows.push(`($${i * 3 + 1}, $${i * 3 + 2}::int, $${i * 3 + 3}::json)`);
  return `INSERT INTO ingest_staging (protocol, position_count, payload) VALUES ${rows.join(', ')} RETURNING id::text AS id`;
}

/**
 * Commits of up to this many rows (one per protocol in the commit: nearly always 1) use a named
 * statement, prepared once per connection: PostgreSQL then skips parsing and planning the insert
 * (a fifth to a third of its CPU for a one-row commit, measured). Larger ones stay unnamed. A pooler
 * in transaction mode in front of PostgreSQL must then support prepared statements (PgBouncer ≥ 1.21
 * with max_prepared_statements).
 */
const NAMED_UP_TO = 4;
const NAMED = Array.from({ length: NAMED_UP_TO + 1 }, (_, n) => ({ name: `ingest-staging-${n}`, text: insertMany(n) }));
const statement = (n: number) => (n <= NAMED_UP_TO ? NAMED[n] : { text: insertMany(n) });

interface Row {
  protocol: string;
  members: Pending[];
  count: number;
}

/** Packs the requests of one commit into rows: same protocol, in arrival order, up to `max` positions each. */
function pack(group: Pending[], max: number): Row[] {
  const rows: Row[] = [];
  const open = new Map<string, Row>();
  for (const p of group) {
    const n = p.batch.positions.length;
    const current = open.get(p.batch.protocol);
    if (current && current.count + n <= max) {
      current.members.push(p);
      current.count += n;
      continue;
    }
    const row = { protocol: p.batch.protocol, members: [p], count: n };
    rows.push(row);
    open.set(p.batch.protocol, row);
  }
  return rows;
}

/**
 * Step (1) of the ingestion contract, with group commit: requests that arrive while a commit is in
 * flight wait for the next one and share it (one multi-row INSERT, one WAL flush). Small requests of
 * one protocol in the same commit share a staging row too (up to maxPositionsPerRow positions): at
 * thousands of single-fix requests a second, the cost of a row (its insert, its stream entry, its
 * processed mark and purge) and not of a position is what PostgreSQL and the writers spend their time
 * on. With overlapAfter set, requests that have waited part of a commit while one is in flight start
 * another, so that a request arriving just after a commit began does not wait for all of it first.
 * Every request's promise resolves only after the commit holding its positions.
 */
export class StagingWriter {
  private queue: Pending[] = [];
  private queuedPositions = 0;
  private inFlight = 0;
  /** Exponential average of commit durations (ms); undefined before the first commit ends. */
  private commitMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly options: StagingWriterOptions;

  constructor(
    private readonly pool: Pool,
    options: Partial<StagingWriterOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  stage(batch: StagedBatch): Promise<StageResult> {
    return new Promise<StageResult>((resolve, reject) => {
      this.queue.push({ batch, at: performance.now(), resolve, reject });
      this.queuedPositions += batch.positions.length;
      this.pump();
    });
  }

  /**
   * Starts a commit when none is in flight; while some are, when a full row (or a full commit) is
   * waiting, or when the oldest waiting request has waited overlapAfter of a commit. A second commit
   * started for the one request that arrived just after the first would take it alone, and the
   * requests behind it would again wait for a slot: waiting part of a commit lets them gather.
   */
  private pump(slackMs = 0): void {
    while (this.inFlight < this.options.maxConcurrentCommits && this.queue.length) {
      if (this.inFlight > 0 && !this.fullGroupWaiting()) {
        const wait = this.overlapWait();
        if (wait > slackMs) {
          this.wakeIn(wait);
          return;
        }
      }
      const group = this.queue.splice(0, this.options.maxRequestsPerCommit);
      this.queuedPositions -= group.reduce((sum, p) => sum + p.batch.positions.length, 0);
      this.inFlight += 1;
      void this.commit(group, performance.now());
    }
  }

  private fullGroupWaiting(): boolean {
    return (
      this.queuedPositions >= this.options.maxPositionsPerRow || this.queue.length >= this.options.maxRequestsPerCommit
    );
  }

  /** Milliseconds until the oldest waiting request has waited long enough for a commit of its own (≤ 0: now). */
  private overlapWait(): number {
    if (this.commitMs === undefined || !Number.isFinite(this.options.overlapAfter)) return Infinity;
    return this.queue[0].at + this.options.overlapAfter * this.commitMs - performance.now();
  }

  private wakeIn(ms: number): void {
    if (this.timer || !Number.isFinite(ms)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Timers keep whole milliseconds, and may fire a fraction of one early.
      this.pump(1);
    }, ms);
    this.timer.unref();
  }

  private async commit(group: Pending[], started: number): Promise<void> {
    let settle: () => void;
    try {
      const rows = pack(group, this.options.maxPositionsPerRow).map((row) => ({
        ...row,
        payload: encodeBatch({
          protocol: row.protocol,
          positions:
            row.members.length === 1 ? row.members[0].batch.positions : row.members.flatMap((m) => m.batch.positions),
        }),
      }));
      const res = await this.pool.query<{ id: string }>({
        ...statement(rows.length),
        values: rows.flatMap((r) => [r.protocol, r.count, r.payload]),
      });
      // Ids come from one sequence in VALUES order, so ascending ids follow the input order.
      const ids = res.rows.map((r) => BigInt(r.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (ids.length !== rows.length)
        throw new Error(`staging insert returned ${ids.length} ids for ${rows.length} rows`);
      settle = () =>
        rows.forEach((row, i) => {
          const staged = { id: ids[i].toString(), payload: row.payload, count: row.count };
          row.members.forEach((m, j) => m.resolve({ staged, lead: j === 0 }));
        });
    } catch (err) {
      settle = () => group.forEach((g) => g.reject(err));
    }
    // The slot is free before anyone hears back, so whoever stages again on the answer finds it free.
    const ms = performance.now() - started;
    this.commitMs = this.commitMs === undefined ? ms : this.commitMs + (ms - this.commitMs) * EWMA_WEIGHT;
    this.inFlight -= 1;
    settle();
    this.pump();
  }
}

/** One batch, one commit (tools and tests; the API uses StagingWriter). */
export async function stageBatch(pool: Pool, batch: StagedBatch): Promise<Staged> {
  const payload = encodeBatch(batch);
  const res = await pool.query<{ id: string }>(
    'INSERT INTO ingest_staging (protocol, position_count, payload) VALUES ($1, $2, $3::json) RETURNING id::text AS id',
    [batch.protocol, batch.positions.length, payload],
  );
  return { id: res.rows[0].id, payload, count: batch.positions.length };
}
