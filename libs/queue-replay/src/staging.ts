// Step (1): accepted batches committed to the table ingest_staging (made by migration `ingest_outbox`;
// applied migrations keep their names) before anything else happens to them.
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

interface Pending {
  protocol: string;
  count: number;
  payload: string;
  resolve: (staged: Staged) => void;
  reject: (err: unknown) => void;
}

// A VALUES list rather than unnest arrays: each payload travels as its own parameter, so the driver
// does not have to escape every quote of every JSON payload into an array literal.
function insertMany(n: number): string {
  const rows: string[] = [];
  for (let i = 0; i < n; i++) rows.push(`($${i * 3 + 1}, $${i * 3 + 2}::int, $${i * 3 + 3}::json)`);
  return `INSERT INTO ingest_staging (protocol, position_count, payload) VALUES ${rows.join(', ')} RETURNING id::text AS id`;
}

/**
 * Step (1) of the ingestion contract, with group commit: requests that arrive while a commit is in
 * flight wait for the next one and share it (one multi-row INSERT, one WAL flush). Each request still
 * gets its own staging row, and its promise resolves only after that row is committed.
 * One commit per request would cap ingestion at the disk's flush rate (a few thousand a second).
 */
export class StagingWriter {
  private queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly pool: Pool,
    private readonly options: { maxConcurrentCommits: number; maxRowsPerCommit: number } = {
      maxConcurrentCommits: 4,
      maxRowsPerCommit: 500,
    },
  ) {}

  stage(batch: StagedBatch): Promise<Staged> {
    const payload = encodeBatch(batch);
    return new Promise<Staged>((resolve, reject) => {
      this.queue.push({ protocol: batch.protocol, count: batch.positions.length, payload, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxConcurrentCommits && this.queue.length) {
      const group = this.queue.splice(0, this.options.maxRowsPerCommit);
      this.inFlight += 1;
      void this.commit(group).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async commit(group: Pending[]): Promise<void> {
    try {
      const res = await this.pool.query<{ id: string }>(
        insertMany(group.length),
        group.flatMap((g) => [g.protocol, g.count, g.payload]),
      );
      // Ids come from one sequence in VALUES order, so ascending ids follow the input order.
      const ids = res.rows.map((r) => BigInt(r.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (ids.length !== group.length)
        throw new Error(`staging insert returned ${ids.length} ids for ${group.length} rows`);
      group.forEach((g, i) => g.resolve({ id: ids[i].toString(), payload: g.payload, count: g.count }));
    } catch (err) {
      for (const g of group) g.reject(err);
    }
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
