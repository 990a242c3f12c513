import Constants from 'expo-constants';

/** What app.config.ts put into the build (`extra`), read once. */
export interface MobileConfig {
  /** The server the sign-in screen proposes until the user has signed in somewhere. */
  defaultServerUrl: string;
}

export function readConfig(extra: Record<string, unknown> | undefined = Constants.expoConfig?.extra): MobileConfig {
  const url = extra?.['defaultServerUrl'];
  return { defaultServerUrl: typeof url === 'string' ? url : '' };
}
