import { fakeApi, tokenAnswer } from '../testing/fake-api';
import { Session } from './session';

const unauthorized = { status: 401, body: { error: { code: 'unauthorized', message: 'expired' } } };

describe('Session', () => {
  it('signs in silently on load when the refresh cookie is still good, and stays signed out otherwise', async () => {
    const good = new Session({ fetch: fakeApi({ 'POST /api/v1/auth/refresh': () => tokenAnswer('a1') }).fetch });
    await good.restore();
    expect(good.getState()).toMatchObject({ status: 'signedIn', user: { email: 'demo@example.com' } });
    expect(good.getToken()).toBe('a1');

    const none = new Session({ fetch: fakeApi({ 'POST /api/v1/auth/refresh': () => unauthorized }).fetch });
    await none.restore();
    expect(none.getState()).toEqual({ status: 'signedOut' });
  });

  it('renews an expired access token once and sends the request again, for all requests that met it', async () => {
    let current = 'old';
    let refreshes = 0;
    const api = fakeApi({
      'POST /api/v1/auth/login': () => tokenAnswer('old'),
      'POST /api/v1/auth/refresh': async () => {
        refreshes++;
        await new Promise((r) => setTimeout(r, 10));
        current = 'new';
        return tokenAnswer('new');
      },
      'GET /api/v1/auth/me': (req) =>
        req.headers['authorization'] === `Bearer ${current}` && current === 'new'
          ? { status: 200, body: tokenAnswer('x').body.user }
          : unauthorized,
    });
    const session = new Session({ fetch: api.fetch });
    await session.login('demo@example.com', 'pw');
    const answers = await Promise.all([session.api.me(), session.api.me(), session.api.me()]);
    expect(answers.map((a) => a.email)).toEqual(['demo@example.com', 'demo@example.com', 'demo@example.com']);
    expect(refreshes).toBe(1);
    expect(session.getState().status).toBe('signedIn');
  });

  it('ends the session (expired) when the refresh is refused, and keeps it on a network failure', async () => {
    const refused = new Session({
      fetch: fakeApi({
        'POST /api/v1/auth/login': () => tokenAnswer('t'),
        'POST /api/v1/auth/refresh': () => unauthorized,
        'GET /api/v1/auth/me': () => unauthorized,
      }).fetch,
    });
    await refused.login('demo@example.com', 'pw');
    await expect(refused.api.me()).rejects.toMatchObject({ status: 401 });
    expect(refused.getState()).toEqual({ status: 'signedOut', reason: 'expired' });

    let down = false;
    const { fetch: inner } = fakeApi({ 'POST /api/v1/auth/login': () => tokenAnswer('t') });
    const flaky = new Session({
      fetch: (async (...args: Parameters<typeof fetch>) => {
        if (down) throw new TypeError('Failed to fetch');
        return inner(...args);
      }) as typeof fetch,
    });
    await flaky.login('demo@example.com', 'pw');
    down = true;
    expect(await flaky.renew()).toBe(false);
    expect(flaky.getState().status).toBe('signedIn');
  });

  it('renews a minute before the token expires', async () => {
    const scheduled: number[] = [];
    const session = new Session({
      fetch: fakeApi({ 'POST /api/v1/auth/login': () => tokenAnswer('t', 900) }).fetch,
      schedule: (_fn, ms) => (scheduled.push(ms), 0 as unknown as ReturnType<typeof setTimeout>),
    });
    await session.login('demo@example.com', 'pw');
    expect(scheduled).toEqual([840_000]);
  });

  it('logs out even when the server cannot be reached', async () => {
    const session = new Session({ fetch: fakeApi({ 'POST /api/v1/auth/login': () => tokenAnswer('t') }).fetch });
    await session.login('demo@example.com', 'pw');
    await session.logout().catch(() => undefined);
    expect(session.getState()).toEqual({ status: 'signedOut', reason: 'loggedOut' });
    expect(session.getToken()).toBeUndefined();
  });
});
