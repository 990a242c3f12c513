import { FleetApi } from '@fleet/api-client';
import type { Me } from '@fleet/contracts';
import type { Preferences } from '../storage/preferences';
import type { Session } from './sign-in';

export interface DispatcherSessionOptions {
  session: Session;
  preferences: Preferences;
  /** The network; tests pass a fake. */
  fetch?: typeof fetch;
  /** The refresh token was refused (expired, revoked): the user must sign in again. */
  onEnded?: () => void;
}

/**
 * A signed-in dispatcher: the API client with the access token, renewed once on a 401 with the refresh
 * token kept in the secure store. Concurrent 401s share one renewal (the server rotates the refresh
 * token: two renewals with the same one would end the session).
 */
export class DispatcherSession {
  readonly api: FleetApi;
  readonly serverUrl: string;
  readonly fetch: typeof fetch | undefined;
  user: Me;
  private accessToken: string | undefined;
  private renewing: Promise<boolean> | undefined;

  constructor(private readonly options: DispatcherSessionOptions) {
    this.serverUrl = options.session.serverUrl;
    this.user = options.session.user;
    this.accessToken = options.session.accessToken;
    this.fetch = options.fetch;
    this.api = new FleetApi({
      baseUrl: this.serverUrl,
      fetch: options.fetch,
      getToken: () => this.accessToken,
      onUnauthorized: () => this.renew(),
    });
  }

  /** The current access token (undefined once signed out). */
  token(): string | undefined {
    return this.accessToken;
  }

  /** Gets a fresh access token with the stored refresh token; false when the session is over. */
  renew(): Promise<boolean> {
    this.renewing ??= this.renewOnce().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async renewOnce(): Promise<boolean> {
    const refreshToken = await this.options.preferences.get('refreshToken');
    if (!refreshToken || !this.accessToken) return this.end();
    try {
      const tokens = await this.api.refreshSession({ body: { refreshToken, client: 'mobile' } });
      this.accessToken = tokens.accessToken;
      this.user = tokens.user;
      if (tokens.refreshToken) await this.options.preferences.set('refreshToken', tokens.refreshToken);
      return true;
    } catch (err) {
      // Offline is not signed out: the next call tries again. A refused refresh token is.
      if (err instanceof Error && 'status' in err && (err as { status: number }).status === 0) return false;
      return this.end();
    }
  }

  private async end(): Promise<boolean> {
    this.accessToken = undefined;
    await this.options.preferences.remove('refreshToken');
    this.options.onEnded?.();
    return false;
  }

  /**
   * Signs out: the phone's push token is unregistered first (that needs the session), then the
   * refresh token is revoked on the server and forgotten here. Works offline: the server's copies expire.
   */
  async signOut(options: { pushToken?: string | null } = {}): Promise<void> {
    if (options.pushToken)
      await this.api.unregisterPushToken({ body: { token: options.pushToken } }).catch(() => undefined);
    const refreshToken = await this.options.preferences.get('refreshToken');
    await this.options.preferences.remove('refreshToken');
    if (refreshToken) await this.api.logout({ body: { refreshToken, client: 'mobile' } }).catch(() => undefined);
    this.accessToken = undefined;
  }
}

/**
 * The session of the last launch, if its refresh token is still good: the user is not asked to sign
 * in again every time the app starts. Null when there is none or the server refused it.
 */
export async function restoreSession(input: {
  serverUrl: string;
  preferences: Preferences;
  fetch?: typeof fetch;
}): Promise<Session | null> {
  const refreshToken = await input.preferences.get('refreshToken');
  if (!refreshToken || !input.serverUrl) return null;
  const api = new FleetApi({ baseUrl: input.serverUrl, fetch: input.fetch });
  try {
    const tokens = await api.refreshSession({ body: { refreshToken, client: 'mobile' } });
    if (tokens.refreshToken) await input.preferences.set('refreshToken', tokens.refreshToken);
    return { serverUrl: input.serverUrl, accessToken: tokens.accessToken, user: tokens.user };
  } catch (err) {
    // Refused: forget it. Unreachable: keep it for the next launch, and sign in by hand now.
    if (!(err instanceof Error && 'status' in err && (err as { status: number }).status === 0))
      await input.preferences.remove('refreshToken');
    return null;
  }
}
