import * as SecureStore from 'expo-secure-store';

/** The little the app keeps between launches; tests pass an in-memory one. */
export interface Preferences {
  get(key: PreferenceKey): Promise<string | null>;
  set(key: PreferenceKey, value: string): Promise<void>;
  remove(key: PreferenceKey): Promise<void>;
}

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

export function memoryPreferences(initial: Partial<Record<PreferenceKey, string>> = {}): Preferences & {
  values: Partial<Record<PreferenceKey, string>>;
} {
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
