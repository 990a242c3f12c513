import { FixQueue, type SqlDatabase } from '@fleet/tracker';
import { memoryPersistence, SqlJsDatabase } from '@fleet/tracker/testing';
import * as SQLite from 'expo-sqlite';
import { openTrackerDatabase, TRACKER_DB } from './runtime';

jest.mock('expo-sqlite', () => ({ openDatabaseAsync: jest.fn() }));

// The first test of a file loads sql.js's WebAssembly: slow on a busy machine.
jest.setTimeout(20_000);

/** What expo-sqlite on Android throws once the React host its handle belonged to was destroyed (expo #50432). */
const CLOSED_UNDER_THE_APP =
  "Call to function 'NativeDatabase.prepareAsync' has been rejected.\n→ Caused by: java.lang.NullPointerException";

describe('the tracker database on the phone', () => {
  it('opens its own connection and, when it is closed under the app, a new one (not the cached, closed one)', async () => {
    const persistence = memoryPersistence();
    const connections: Array<{ poisoned: boolean }> = [];
    jest.mocked(SQLite.openDatabaseAsync).mockImplementation(async () => {
      const db = await SqlJsDatabase.open(persistence);
      const connection = { poisoned: false };
      connections.push(connection);
      const guard =
        <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
        (...args: A) =>
          connection.poisoned ? Promise.reject(new Error(CLOSED_UNDER_THE_APP)) : call(...args);
      const expoLike: SqlDatabase = {
        execAsync: guard((sql: string) => db.execAsync(sql)),
        runAsync: guard((sql: string, params?: never[]) => db.runAsync(sql, params)),
        getAllAsync: guard((sql: string, params?: never[]) => db.getAllAsync(sql, params)),
        getFirstAsync: guard((sql: string, params?: never[]) => db.getFirstAsync(sql, params)),
        withTransactionAsync: guard((task: () => Promise<void>) => db.withTransactionAsync(task)),
      };
      return expoLike as unknown as SQLite.SQLiteDatabase;
    });

    const queue = await FixQueue.open(await openTrackerDatabase());
    await queue.enqueue({ ts: '2026-12-06T10:00:00Z', lat: 40.4, lon: -3.7 });
    connections[0].poisoned = true; // a headless task's host destroyed under the UI

    await queue.enqueue({ ts: '2026-12-06T10:00:05Z', lat: 40.41, lon: -3.7 });
    expect(await queue.count()).toBe(2);
    expect(connections).toHaveLength(2);
    expect(jest.mocked(SQLite.openDatabaseAsync).mock.calls).toEqual([
      [TRACKER_DB, { useNewConnection: true }],
      [TRACKER_DB, { useNewConnection: true }],
    ]);
  });
});
