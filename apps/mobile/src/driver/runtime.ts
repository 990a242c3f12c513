import { ReopeningDatabase, type SqlDatabase } from '@fleet/tracker';
import * as SQLite from 'expo-sqlite';
import { DriverStore } from './store';
import { DriverTracker } from './tracker';

export const TRACKER_DB = 'tracker.db';

export interface RuntimeDeps {
  store: DriverStore;
  openDatabase: () => Promise<SqlDatabase>;
  fetch?: typeof fetch;
}

const defaultDeps = (): RuntimeDeps => ({
  store: new DriverStore(),
  // Reopened when a background task closed the connection under the app (expo #50432).
  openDatabase: async () =>
    new ReopeningDatabase({ open: async () => adapt(await SQLite.openDatabaseAsync(TRACKER_DB)) }),
});

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
