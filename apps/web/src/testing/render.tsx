import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { ToastProvider } from '../components/toasts';
import { SessionProvider } from '../session/context';
import { Session } from '../session/session';
import { fakeApi, tokenAnswer, type Handler } from './fake-api';

/**
 * Renders a page as the signed-in demo admin against a scripted API, with a fresh query cache (no
 * retries: a scripted failure shows at once). Returns the recorded requests.
 */
export async function renderSignedIn(ui: ReactNode, routes: Record<string, Handler>) {
  const api = fakeApi({ 'POST /api/v1/auth/login': () => tokenAnswer('t'), ...routes });
  const session = new Session({ fetch: api.fetch, schedule: () => 0 as unknown as ReturnType<typeof setTimeout> });
  await session.login('demo@example.com', 'pw');
  api.requests.length = 0;
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <SessionProvider session={session}>
        <ToastProvider>{ui}</ToastProvider>
      </SessionProvider>
    </QueryClientProvider>,
  );
  return { api, session, queryClient };
}

/** What a list endpoint answers for `limit` and `offset` out of `all`. */
export function pageOf<T>(all: T[], url: string) {
  const query = new URL(url, 'http://web.test').searchParams;
  const limit = Number(query.get('limit') ?? 50);
  const offset = Number(query.get('offset') ?? 0);
  return { status: 200, body: { items: all.slice(offset, offset + limit), total: all.length, limit, offset } };
}
