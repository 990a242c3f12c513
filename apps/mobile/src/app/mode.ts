import * as SecureStore from 'expo-secure-store';

/** What this phone is used for: followed fleet (dispatcher) or the vehicle's tracker (driver). */
export type AppMode = 'dispatcher' | 'driver';

export interface ModeStore {
  get(): Promise<AppMode | null>;
  set(mode: AppMode | null): Promise<void>;
}

const KEY = 'appMode';
const isMode = (v: string | null): v is AppMode => v === 'dispatcher' || v === 'driver';

export const secureStoreMode: ModeStore = {
  get: async () => {
    const value = await SecureStore.getItemAsync(KEY);
    return isMode(value) ? value : null;
  },
  set: (mode) => (mode ? SecureStore.setItemAsync(KEY, mode) : SecureStore.deleteItemAsync(KEY)),
};

export function memoryMode(initial: AppMode | null = null): ModeStore & { mode: AppMode | null } {
  const store = {
    mode: initial,
    get: async () => store.mode,
    set: async (mode: AppMode | null) => {
      store.mode = mode;
    },
  };
  return store;
}
