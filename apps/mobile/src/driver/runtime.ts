import { ReopeningDatabase, type SqlDatabase } from '@fleet/tracker';
import * as SQLite from 'expo-sqlite';
import { DriverStore } from './store';
import { DriverTracker } from './tracker';

export const TRACKER_DB = 'tracker.db';

export interface RuntimeDeps {
  store: DriverStore;
  openDatabase: () => Promise<SqlDatabase>;
  fetch?: typeof fetch;
  /** How long the app must stay in the foreground before the location updates start (tests: 0). */
  foregroundSettleMs?: number;
}

/**
 * The queue's connection: its own native connection (`useNewConnection`), reopened when a call finds
 * it closed under the app (expo #50432: Android destroying the React host a headless task ran in, with
 * its SQLite handles, while the UI runs on). Without `useNewConnection` expo-sqlite hands back its
 * cached connection for the same file, which is the closed one (expo #48999), and any other opener of
 * the file could close or release it.
 */
export function openTrackerDatabase(): Promise<SqlDatabase> {
  return Promise.resolve(
    new ReopeningDatabase({
      open: async () => adapt(await SQLite.openDatabaseAsync(TRACKER_DB, { useNewConnection: true })),
    }),
  );
}

const defaultDeps = (): RuntimeDeps => ({ store: new DriverStore(), openDatabase: openTrackerDatabase });

/** expo-sqlite's overloads take `params` as required; the queue passes none for plain statements. */
function adapt(db: SQLite.SQLiteDatabase): SqlDatabase {
  return {
    execAsync: (sql) => db.execAsync(sql),
    runAsync: (sql, params = []) => db.runAsync(sql, params),
    getAllAsync: (sql, params = []) => db.getAllAsync(sql, params),
    getFirstAsync: (sql, params = []) => db.getFirstAsync(sql, params),
    withTransactionAsync: (task) => db.withTransactionAsync(task),
  };
}

let deps: RuntimeDeps | undefined;
let current: { token: string; tracker: Promise<DriverTracker> } | undefined;

/** Replaces what the runtime is built from (tests; the app keeps the defaults). */
export function configureRuntime(next: RuntimeDeps): void {
  current?.tracker.then((t) => t.stop()).catch(() => undefined);
  current = undefined;
  deps = next;
}

export function runtimeDeps(): RuntimeDeps {
  return (deps ??= defaultDeps());
}

/**
 * The tracker of this JavaScript context, built on first use from the stored provisioning: the
 * background task may run in a context where the UI never started (a relaunch by the OS), so it
 * builds the tracker itself. null while the phone is not provisioned.
 */
export async function getTracker(): Promise<DriverTracker | null> {
  const { store, openDatabase, fetch } = runtimeDeps();
  const state = await store.load();
  const provisioning = state.provisioning;
  if (!provisioning) return null;
  if (current?.token !== provisioning.deviceToken) {
    current?.tracker.then((t) => t.stop()).catch(() => undefined);
    const tracker = openDatabase().then((db) =>
      DriverTracker.open({
        provisioning,
        settings: state.settings,
        db,
        fetch,
        onSettings: (settings) => void store.saveSettings(settings).catch(() => undefined),
      }),
    );
    current = { token: provisioning.deviceToken, tracker };
    tracker.catch(() => {
      if (current?.tracker === tracker) current = undefined;
    });
  }
  return current.tracker;
}
