import { PushEventType, PushLanguage, type PushEventType as EventType } from '@fleet/contracts';
import type { FleetApi } from '@fleet/api-client';
import Constants from 'expo-constants';
import * as Notifications from 'expo-notifications';
import * as SecureStore from 'expo-secure-store';

/** The phone's side of push notifications; tests pass a fake. */
export interface PushService {
  /** Asks for the permission if needed; the Expo push token, or null when the user refused. */
  obtainToken(): Promise<string | null>;
}

export const expoPushService: PushService = {
  async obtainToken() {
    let { status } = await Notifications.getPermissionsAsync();
    if (status !== 'granted') ({ status } = await Notifications.requestPermissionsAsync());
    if (status !== 'granted') return null;
    // A store build needs the EAS project id (app.config.ts puts EAS_PROJECT_ID into `extra.eas`).
    const eas = (Constants.expoConfig?.extra?.['eas'] ?? {}) as { projectId?: string };
    const { data } = await Notifications.getExpoPushTokenAsync(eas.projectId ? { projectId: eas.projectId } : {});
    return data;
  },
};

/** Which event types the user wants on this phone; kept between launches. */
export interface PushChoiceStore {
  get(): Promise<EventType[]>;
  set(types: EventType[]): Promise<void>;
}

/** By default every type the server can push. */
export const ALL_PUSH_TYPES: EventType[] = [...PushEventType.options];

const KEY = 'pushEventTypes';

export function parseChoice(raw: string | null): EventType[] {
  if (raw === null) return ALL_PUSH_TYPES;
  try {
    const parsed = PushEventType.array().safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : ALL_PUSH_TYPES;
  } catch {
    return ALL_PUSH_TYPES;
  }
}

export const secureStorePushChoice: PushChoiceStore = {
  get: async () => parseChoice(await SecureStore.getItemAsync(KEY)),
  set: (types) => SecureStore.setItemAsync(KEY, JSON.stringify(types)),
};

export function memoryPushChoice(initial: EventType[] = ALL_PUSH_TYPES): PushChoiceStore & { types: EventType[] } {
  const store = {
    types: initial,
    get: async () => store.types,
    set: async (types: EventType[]) => {
      store.types = types;
    },
  };
  return store;
}

/** Registers (or updates) the phone's token with the chosen types and the app's language. */
export async function registerPush(
  api: FleetApi,
  input: { token: string; eventTypes: EventType[]; language: string },
): Promise<void> {
  const language = PushLanguage.safeParse(input.language);
  await api.registerPushToken({
    body: { token: input.token, eventTypes: input.eventTypes, language: language.success ? language.data : 'en' },
  });
}
