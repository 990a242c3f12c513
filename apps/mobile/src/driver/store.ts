import { resolveTrackerSettings, TrackerProvisioning, type TrackerSettings } from '@fleet/contracts';
import * as SecureStore from 'expo-secure-store';
import { memoryKeyValue, type KeyValue } from '../storage/preferences';

// The driver state's store: SecureStore on the phone (`secureKeyValue`), memory in tests.
export { memoryKeyValue, type KeyValue };

export const secureKeyValue: KeyValue = {
  get: (key) => SecureStore.getItemAsync(key),
  // AFTER_FIRST_UNLOCK: the background task must read the token while the phone is locked.
  set: (key, value) => SecureStore.setItemAsync(key, value, { keychainAccessible: SecureStore.AFTER_FIRST_UNLOCK }),
  remove: (key) => SecureStore.deleteItemAsync(key),
};

const KEY = { provisioning: 'driver.provisioning', shift: 'driver.shift', settings: 'driver.settings' } as const;

export interface DriverState {
  provisioning: TrackerProvisioning | null;
  shiftOn: boolean;
  /** The last settings the server gave (defaults until then): the task applies them offline too. */
  settings: TrackerSettings;
}

/**
 * What the driver mode keeps between launches, all in SecureStore (the device token must be; the rest
 * is small and read by the background task with it).
 */
export class DriverStore {
  constructor(private readonly kv: KeyValue = secureKeyValue) {}

  async load(): Promise<DriverState> {
    const [provisioning, shift, settings] = await Promise.all([
      this.kv.get(KEY.provisioning),
      this.kv.get(KEY.shift),
      this.kv.get(KEY.settings),
    ]);
    return {
      provisioning: parseJson(provisioning, (v) => TrackerProvisioning.safeParse(v).data ?? null),
      shiftOn: shift === 'on',
      settings: resolveTrackerSettings(parseJson(settings, (v) => v)),
    };
  }

  async saveProvisioning(value: TrackerProvisioning): Promise<void> {
    await this.kv.set(KEY.provisioning, JSON.stringify(TrackerProvisioning.parse(value)));
  }

  async setShift(on: boolean): Promise<void> {
    await this.kv.set(KEY.shift, on ? 'on' : 'off');
  }

  async saveSettings(settings: TrackerSettings): Promise<void> {
    await this.kv.set(KEY.settings, JSON.stringify(settings));
  }

  /** Forgets the phone's setup (the queue is kept: what was recorded still belongs to the vehicle). */
  async clear(): Promise<void> {
    await Promise.all(Object.values(KEY).map((key) => this.kv.remove(key)));
  }
}

function parseJson<T>(text: string | null, read: (value: unknown) => T): T | null {
  if (!text) return null;
  try {
    return read(JSON.parse(text));
  } catch {
    return null;
  }
}
