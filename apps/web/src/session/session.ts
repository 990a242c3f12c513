import { ApiError, FleetApi } from '@fleet/api-client';
import type { Me, TokenResponse } from '@fleet/contracts';

export type SessionState =
  { status: 'loading' } | { status: 'signedOut'; reason?: 'expired' | 'loggedOut' } | { status: 'signedIn'; user: Me };

type Schedule = (fn: () => void, ms: number) => ReturnType<typeof setTimeout>;

/**
 * The signed-in session of the web app. The access token lives in memory only; the refresh token is
 * an httpOnly cookie the page cannot read, so a reload or a new tab signs in again through
 * `/auth/refresh` without a password, and the token is renewed a minute before it expires, so a page
 * left open keeps working (and requests that meet an expired token renew it and are sent again).
 */
export class Session {
  readonly api: FleetApi;
  private token: string | undefined;
  private state: SessionState = { status: 'loading' };
  private readonly listeners = new Set<() => void>();
  private renewal: Promise<boolean> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly schedule: Schedule;

  constructor(options: { baseUrl?: string; fetch?: typeof fetch; schedule?: Schedule } = {}) {
    this.schedule = options.schedule ?? ((fn, ms) => setTimeout(fn, ms));
    this.api = new FleetApi({
      baseUrl: options.baseUrl ?? '',
      getToken: () => this.token,
      onUnauthorized: () => this.renew(),
      fetch: options.fetch,
    });
  }

  getState = () => this.state;
  getToken = () => this.token;

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  private set(state: SessionState) {
    this.state = state;
    for (const l of this.listeners) l();
  }

  private accept(answer: TokenResponse) {
    this.token = answer.accessToken;
    clearTimeout(this.timer);
    const renewInMs = Math.max(10, answer.expiresIn - 60) * 1000;
    this.timer = this.schedule(() => void this.renew(), renewInMs);
    this.set({ status: 'signedIn', user: answer.user });
  }

  /** On page load: an existing session (refresh cookie) signs in silently. */
  async restore(): Promise<void> {
    if (!(await this.renew())) this.set({ status: 'signedOut' });
  }

  async login(email: string, password: string): Promise<void> {
    this.accept(await this.api.login({ body: { email, password, client: 'web' } }));
  }

  /** One renewal at a time, however many requests met the expired token together. */
  renew = (): Promise<boolean> => {
    this.renewal ??= this.api
      .refreshSession({ body: {} })
      .then((answer) => {
        this.accept(answer);
        return true;
      })
      .catch((err: unknown) => {
        // A network failure keeps the session (it may come back); a refused refresh ends it.
        if (err instanceof ApiError && err.status === 0) return false;
        this.token = undefined;
        clearTimeout(this.timer);
        this.set({ status: 'signedOut', reason: this.state.status === 'signedIn' ? 'expired' : undefined });
        return false;
      })
      .finally(() => {
        this.renewal = undefined;
      });
    return this.renewal;
  };

  async logout(): Promise<void> {
    try {
      await this.api.logout({ body: {} });
    } finally {
      this.token = undefined;
      clearTimeout(this.timer);
      this.set({ status: 'signedOut', reason: 'loggedOut' });
    }
  }
}
