import type { PositionInput } from '@fleet/contracts';
import type { SqlDatabase } from './sql';

/**
 * The most fixes the queue holds: at one fix every 5 s that is about six days offline, ~20 MB of
 * SQLite. Past it, room is made as `makeRoom` says.
 */
export const DEFAULT_QUEUE_CAP = 100_000;
/** Fixes older than this (by their own time) are thinned first when the queue is full. */
export const THIN_AFTER_MS = 24 * 3600_000;
/** Quarantined fixes kept for diagnostics; the oldest go first. */
export const QUARANTINE_CAP = 1_000;

export interface QueuedFix {
  id: number;
  fix: PositionInput;
}

export interface QuarantinedFix extends QueuedFix {
  reason: string;
  quarantinedAt: number;
}

export interface FixQueueOptions {
  cap?: number;
  /** Epoch milliseconds (injected for tests). */
  now?: () => number;
}

export interface QueueStats {
  queued: number;
  quarantined: number;
  /** Fixes dropped to respect the cap since the queue was created (kept across restarts). */
  dropped: number;
}

// One table of fixes in arrival order (id), their own time beside the JSON for thinning; one table of
// refused fixes with the server's reason; one counter row. `IF NOT EXISTS`: every start runs this.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS tracker_fixes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts_ms INTEGER NOT NULL,
  fix TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tracker_fixes_ts ON tracker_fixes (ts_ms, id);
CREATE TABLE IF NOT EXISTS tracker_quarantine (
  id INTEGER PRIMARY KEY,
  fix TEXT NOT NULL,
  reason TEXT NOT NULL,
  quarantined_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tracker_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO tracker_meta (key, value) VALUES ('dropped', 0);
`;

function tsMs(fix: PositionInput): number {
  const ms =
    typeof fix.ts === 'number'
      ? fix.ts < 1e11
        ? fix.ts * 1000
        : fix.ts
      : /^\d+$/.test(fix.ts)
        ? Number(fix.ts)
        : Date.parse(fix.ts);
  return Number.isFinite(ms) ? Math.round(ms) : 0;
}

/**
 * The durable on-device queue: every fix is written here first and leaves only once the server
 * answered 2xx for it (or refused it: then it moves to the quarantine with the reason).
 *
 * Cap: at most `cap` fixes. When an insert would pass it, room is made for the new fixes plus 1% of
 * the cap (so this does not run on every insert), in this order:
 *   1. thin the backlog older than a day: every second fix of it goes, oldest first — a long
 *      offline stretch keeps its whole path at half the density instead of losing its start;
 *   2. if that is not enough, the oldest fixes go.
 * Recent fixes are never thinned: they are the ones a dispatcher is waiting for.
 *
 * Calls are serialized (one at a time), so a transaction never interleaves with another call.
 */
export class FixQueue {
  private chain: Promise<unknown> = Promise.resolve();
  readonly cap: number;
  private readonly now: () => number;

  private constructor(
    private readonly db: SqlDatabase,
    options: FixQueueOptions,
  ) {
    this.cap = options.cap ?? DEFAULT_QUEUE_CAP;
    this.now = options.now ?? Date.now;
  }

  static async open(db: SqlDatabase, options: FixQueueOptions = {}): Promise<FixQueue> {
    await db.execAsync(SCHEMA);
    return new FixQueue(db, options);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  enqueue(fix: PositionInput): Promise<void> {
    return this.enqueueMany([fix]);
  }

  /** Adds fixes in one transaction (all or none), making room first if the cap requires it. */
  enqueueMany(fixes: PositionInput[]): Promise<void> {
    if (fixes.length === 0) return Promise.resolve();
    // More than the cap at once: the newest `cap` are what the cap would keep anyway.
    const kept = fixes.length > this.cap ? fixes.slice(fixes.length - this.cap) : fixes;
    return this.serial(() =>
      this.db.withTransactionAsync(async () => {
        await this.makeRoom(kept.length);
        if (kept.length < fixes.length) await this.addDropped(fixes.length - kept.length);
        // Chunks of 100 rows: 300 parameters per statement, under SQLite's 999 of older builds.
        for (let i = 0; i < kept.length; i += 100) {
          const chunk = kept.slice(i, i + 100);
          await this.db.runAsync(
            `INSERT INTO tracker_fixes (ts_ms, fix) VALUES ${chunk.map(() => '(?, ?)').join(', ')}`,
            chunk.flatMap((fix) => [tsMs(fix), JSON.stringify(fix)]),
          );
        }
      }),
    );
  }

  private async makeRoom(incoming: number): Promise<void> {
    const queued = await this.countNow();
    if (queued + incoming <= this.cap) return;
    let needed = Math.min(queued, queued + incoming - this.cap + Math.ceil(this.cap / 100));
    const before = this.now() - THIN_AFTER_MS;
    const thinned = await this.db.runAsync(
      `DELETE FROM tracker_fixes WHERE id IN (
         SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY ts_ms, id) AS n FROM tracker_fixes WHERE ts_ms < ?)
         WHERE n % 2 = 0 ORDER BY n LIMIT ?)`,
      [before, needed],
    );
    needed -= thinned.changes;
    let oldest = 0;
    if (needed > 0) {
      oldest = (
        await this.db.runAsync(
          'DELETE FROM tracker_fixes WHERE id IN (SELECT id FROM tracker_fixes ORDER BY ts_ms, id LIMIT ?)',
          [needed],
        )
      ).changes;
    }
    await this.addDropped(thinned.changes + oldest);
  }

  private async addDropped(n: number): Promise<void> {
    await this.db.runAsync("UPDATE tracker_meta SET value = value + ? WHERE key = 'dropped'", [n]);
  }

  /** The oldest `limit` fixes in arrival order, left in the queue. */
  peek(limit: number): Promise<QueuedFix[]> {
    return this.serial(async () => {
      const rows = await this.db.getAllAsync<{ id: number; fix: string }>(
        'SELECT id, fix FROM tracker_fixes ORDER BY id LIMIT ?',
        [limit],
      );
      return rows.map((row) => ({ id: Number(row.id), fix: JSON.parse(row.fix) as PositionInput }));
    });
  }

  /** Deletes fixes the server accepted. Ids already gone (thinned meanwhile) are ignored. */
  remove(ids: number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.serial(() =>
      this.db.withTransactionAsync(async () => {
        for (let i = 0; i < ids.length; i += 500) {
          const chunk = ids.slice(i, i + 500);
          await this.db.runAsync(`DELETE FROM tracker_fixes WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk);
        }
      }),
    );
  }

  /** Moves fixes the server refused as invalid to the quarantine, with its reason. */
  quarantine(entries: Array<{ id: number; reason: string }>): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return this.serial(() =>
      this.db.withTransactionAsync(async () => {
        const at = this.now();
        for (const { id, reason } of entries) {
          await this.db.runAsync(
            'INSERT OR REPLACE INTO tracker_quarantine (id, fix, reason, quarantined_at) SELECT id, fix, ?, ? FROM tracker_fixes WHERE id = ?',
            [reason, at, id],
          );
          await this.db.runAsync('DELETE FROM tracker_fixes WHERE id = ?', [id]);
        }
        await this.db.runAsync(
          'DELETE FROM tracker_quarantine WHERE id NOT IN (SELECT id FROM tracker_quarantine ORDER BY quarantined_at DESC, id DESC LIMIT ?)',
          [QUARANTINE_CAP],
        );
      }),
    );
  }

  /** The quarantined fixes, newest first. */
  quarantined(limit = 100): Promise<QuarantinedFix[]> {
    return this.serial(async () => {
      const rows = await this.db.getAllAsync<{ id: number; fix: string; reason: string; quarantined_at: number }>(
        'SELECT id, fix, reason, quarantined_at FROM tracker_quarantine ORDER BY quarantined_at DESC, id DESC LIMIT ?',
        [limit],
      );
      return rows.map((r) => ({
        id: Number(r.id),
        fix: JSON.parse(r.fix) as PositionInput,
        reason: r.reason,
        quarantinedAt: Number(r.quarantined_at),
      }));
    });
  }

  count(): Promise<number> {
    return this.serial(() => this.countNow());
  }

  private async countNow(): Promise<number> {
    const row = await this.db.getFirstAsync<{ n: number }>('SELECT count(*) AS n FROM tracker_fixes');
    return Number(row?.n ?? 0);
  }

  stats(): Promise<QueueStats> {
    return this.serial(async () => {
      const row = await this.db.getFirstAsync<{ queued: number; quarantined: number; dropped: number }>(
        `SELECT (SELECT count(*) FROM tracker_fixes) AS queued, (SELECT count(*) FROM tracker_quarantine) AS quarantined,
                (SELECT value FROM tracker_meta WHERE key = 'dropped') AS dropped`,
      );
      return {
        queued: Number(row?.queued ?? 0),
        quarantined: Number(row?.quarantined ?? 0),
        dropped: Number(row?.dropped ?? 0),
      };
    });
  }
}
