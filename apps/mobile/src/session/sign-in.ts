import { FleetApi } from '@fleet/api-client';
import type { Me } from '@fleet/contracts';
import type { Preferences } from '../storage/preferences';

export interface Session {
  serverUrl: string;
  accessToken: string;
  user: Me;
}

export interface SignInInput {
  serverUrl: string;
  email: string;
  password: string;
}

export interface SignInDeps {
  preferences: Preferences;
  /** The network; tests pass a fake. */
  fetch?: typeof fetch;
}

/** `https://fleet.example.com/` → `https://fleet.example.com`; anything but http(s) is refused. */
export function normaliseServerUrl(raw: string): string | null {
  const trimmed = raw.trim().replace(/\/+$/, '');
  try {
    const url = new URL(trimmed);
    return url.protocol === 'http:' || url.protocol === 'https:' ? trimmed : null;
  } catch {
    return null;
  }
}

/**
 * Signs in as a mobile client (the refresh token comes back in the body and goes to the secure
 * store) and remembers the server address for the next launch.
 */
export async function signIn(input: SignInInput, deps: SignInDeps): Promise<Session> {
  const serverUrl = normaliseServerUrl(input.serverUrl);
  if (!serverUrl) throw new Error(`not an http(s) server address: ${input.serverUrl}`);
  const api = new FleetApi({ baseUrl: serverUrl, fetch: deps.fetch });
  const tokens = await api.login({ body: { email: input.email.trim(), password: input.password, client: 'mobile' } });
  await deps.preferences.set('serverUrl', serverUrl);
  if (tokens.refreshToken) await deps.preferences.set('refreshToken', tokens.refreshToken);
  return { serverUrl, accessToken: tokens.accessToken, user: tokens.user };
}
