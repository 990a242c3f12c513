import * as SecureStore from 'expo-secure-store';

/** A string key–value store: SecureStore on the phone, memory in tests (`memoryKeyValue`). */
export interface KeyValue<K extends string = string> {
  get(key: K): Promise<string | null>;
  set(key: K, value: string): Promise<void>;
  remove(key: K): Promise<void>;
}

/** The little the app keeps between launches; tests pass an in-memory one. */
export type Preferences = KeyValue<PreferenceKey>;

export type PreferenceKey = 'serverUrl' | 'refreshToken';

/**
 * Kept in the Keychain / Keystore: the refresh token must be, and the server address costs nothing
 * to keep beside it.
 */
export const secureStorePreferences: Preferences = {
  get: (key) => SecureStore.getItemAsync(key),
  set: (key, value) => SecureStore.setItemAsync(key, value),
  remove: (key) => SecureStore.deleteItemAsync(key),
};

/** An in-memory store whose `values` a test can read and seed. */
export function memoryKeyValue<K extends string = string>(
  initial: Partial<Record<NoInfer<K>, string>> = {},
): KeyValue<K> & { values: Record<K, string> } {
  // What a key was never given reads back as undefined, as from any record.
  const values = { ...initial } as Record<K, string>;
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

export const memoryPreferences = (initial: Partial<Record<PreferenceKey, string>> = {}) =>
  memoryKeyValue<PreferenceKey>(initial);
