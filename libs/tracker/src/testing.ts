/**
 * Node-only helpers for tests and benchmarks: a SqlDatabase on sql.js (SQLite compiled to
 * WebAssembly), so the queue runs the same SQL in Node as on the phone. Not part of the app bundle.
 */
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import type { RunResult, SqlDatabase, SqlValue } from './sql';

/** Where the database file lives between "processes": the test injects file or memory storage. */
export interface SqlJsPersistence {
  load(): Uint8Array | undefined;
  save(bytes: Uint8Array): void;
}

let sqlJs: Promise<SqlJsStatic> | undefined;

/** A persistence kept in memory: reopening with it sees what the last commit saved. */
export function memoryPersistence(): SqlJsPersistence & { bytes?: Uint8Array; saves: number } {
  const store: SqlJsPersistence & { bytes?: Uint8Array; saves: number } = {
    saves: 0,
    load: () => store.bytes,
    save: (bytes) => {
      store.bytes = bytes;
      store.saves++;
    },
  };
  return store;
}

/**
 * The sql.js adapter. Each statement outside a transaction, and each committed transaction, is
 * written through `persistence.save` (like SQLite's own durability on the phone), so a test can drop
 * the adapter without closing it, as a killed process would, and reopen the saved bytes.
 */
export class SqlJsDatabase implements SqlDatabase {
  private depth = 0;
  private closed = false;

  private constructor(
    private readonly db: Database,
    private readonly persistence?: SqlJsPersistence,
  ) {}

  static async open(persistence?: SqlJsPersistence): Promise<SqlJsDatabase> {
    const SQL = await (sqlJs ??= initSqlJs());
    const bytes = persistence?.load();
    return new SqlJsDatabase(bytes ? new SQL.Database(bytes) : new SQL.Database(), persistence);
  }

  /** Closes the connection, as a background task does under the app (expo #50432). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private check(): void {
    if (this.closed) throw new Error('Database closed: access to closed resource');
  }

  private persist(): void {
    if (this.depth === 0 && this.persistence) this.persistence.save(this.db.export());
  }

  async execAsync(sql: string): Promise<void> {
    this.check();
    this.db.exec(sql);
    this.persist();
  }

  async runAsync(sql: string, params: SqlValue[] = []): Promise<RunResult> {
    this.check();
    this.db.run(sql, params);
    const changes = this.db.getRowsModified();
    const row = this.db.exec('SELECT last_insert_rowid()')[0]?.values[0]?.[0];
    this.persist();
    return { changes, lastInsertRowId: Number(row ?? 0) };
  }

  async getAllAsync<T>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    this.check();
    const stmt = this.db.prepare(sql);
    try {
      stmt.bind(params);
      const rows: T[] = [];
      while (stmt.step()) rows.push(stmt.getAsObject() as T);
      return rows;
    } finally {
      stmt.free();
    }
  }

  async getFirstAsync<T>(sql: string, params: SqlValue[] = []): Promise<T | null> {
    return (await this.getAllAsync<T>(sql, params))[0] ?? null;
  }

  async withTransactionAsync(task: () => Promise<void>): Promise<void> {
    this.check();
    this.db.exec('BEGIN');
    this.depth++;
    try {
      await task();
      this.check();
      this.db.exec('COMMIT');
    } catch (err) {
      if (!this.closed) this.db.exec('ROLLBACK');
      throw err;
    } finally {
      this.depth--;
    }
    this.persist();
  }
}
