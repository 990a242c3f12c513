import { resolveTrackerSettings, TrackerProvisioning, type TrackerSettings } from '@fleet/contracts';
import * as SecureStore from 'expo-secure-store';

/** The key–value store behind the driver state: SecureStore on the phone, memory in tests. */
export interface KeyValue {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
}

export const secureKeyValue: KeyValue = {
  get: (key) => SecureStore.getItemAsync(key),
  // AFTER_FIRST_UNLOCK: the background task must read the token while the phone is locked.
  set: (key, value) => SecureStore.setItemAsync(key, value, { keychainAccessible: SecureStore.AFTER_FIRST_UNLOCK }),
  remove: (key) => SecureStore.deleteItemAsync(key),
};

export function memoryKeyValue(initial: Record<string, string> = {}): KeyValue & { values: Record<string, string> } {
  const values = { ...initial };
  return {
    values,
    get: async (key) => values[key] ?? null,
    set: async (key, value) => {
      values[key] = value;
    },
    remove: async (key) => {
      delete values[key];
    },
  };
}

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
