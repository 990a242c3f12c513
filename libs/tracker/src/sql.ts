/** A value bound to a `?` placeholder (the subset both expo-sqlite and sql.js accept). */
export type SqlValue = string | number | null;

export interface RunResult {
  changes: number;
  lastInsertRowId: number;
}

/**
 * The subset of expo-sqlite's `SQLiteDatabase` (async API) the queue uses, so the app passes its
 * `openDatabaseAsync(...)` result as is and Node tests pass the sql.js adapter (`@fleet/tracker/testing`).
 */
export interface SqlDatabase {
  execAsync(sql: string): Promise<void>;
  runAsync(sql: string, params?: SqlValue[]): Promise<RunResult>;
  getAllAsync<T>(sql: string, params?: SqlValue[]): Promise<T[]>;
  getFirstAsync<T>(sql: string, params?: SqlValue[]): Promise<T | null>;
  withTransactionAsync(task: () => Promise<void>): Promise<void>;
}

/**
 * What a connection closed under the app looks like (expo #50432: a background task closes the
 * native handle; the next call fails with "Access to closed resource", a NullPointerException, or
 * a rejected `NativeDatabase.*` call). sql.js says "Database closed".
 */
export const CLOSED_CONNECTION = /closed|NullPointerException|has been rejected|not open|released/i;

export interface ReopeningOptions {
  /** Opens (or reopens) the connection; called lazily on first use and after a closed-connection error. */
  open: () => Promise<SqlDatabase>;
  /** Which errors mean "the connection is gone" (default CLOSED_CONNECTION on the message). */
  isClosed?: (err: unknown) => boolean;
  /** Told each time the connection is reopened (diagnostics). */
  onReopen?: (err: unknown) => void;
}

/**
 * A SqlDatabase that reopens its connection when a call fails because the connection was closed,
 * and retries that call once. A transaction is retried as a whole: its task runs again on the new
 * connection (the failed attempt was never committed). A second failure is thrown.
 */
export class ReopeningDatabase implements SqlDatabase {
  private current?: Promise<SqlDatabase>;
  private readonly isClosed: (err: unknown) => boolean;
  /** Inside withTransactionAsync the task's calls go to the transaction's connection, never reopened. */
  private inTransaction?: SqlDatabase;
  reopened = 0;

  constructor(private readonly options: ReopeningOptions) {
    this.isClosed =
      options.isClosed ?? ((err) => CLOSED_CONNECTION.test(err instanceof Error ? err.message : String(err)));
  }

  private connection(): Promise<SqlDatabase> {
    return (this.current ??= this.options.open());
  }

  private async withRetry<T>(call: (db: SqlDatabase) => Promise<T>): Promise<T> {
    if (this.inTransaction) return call(this.inTransaction);
    const db = await this.connection();
    try {
      return await call(db);
    } catch (err) {
      if (!this.isClosed(err)) throw err;
      this.reopened++;
      this.options.onReopen?.(err);
      // Only the first caller to notice replaces the connection; the others reuse the new one.
      const fresh = this.current && (await this.current) !== db ? this.current : (this.current = this.options.open());
      return call(await fresh);
    }
  }

  execAsync(sql: string) {
    return this.withRetry((db) => db.execAsync(sql));
  }
  runAsync(sql: string, params: SqlValue[] = []) {
    return this.withRetry((db) => db.runAsync(sql, params));
  }
  getAllAsync<T>(sql: string, params: SqlValue[] = []) {
    return this.withRetry((db) => db.getAllAsync<T>(sql, params));
  }
  getFirstAsync<T>(sql: string, params: SqlValue[] = []) {
    return this.withRetry((db) => db.getFirstAsync<T>(sql, params));
  }
  withTransactionAsync(task: () => Promise<void>) {
    return this.withRetry((db) =>
      db.withTransactionAsync(async () => {
        this.inTransaction = db;
        try {
          await task();
        } finally {
          this.inTransaction = undefined;
        }
      }),
    );
  }
}
