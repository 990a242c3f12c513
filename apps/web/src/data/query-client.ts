import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '@fleet/api-client';

/**
 * The web's server-state cache (TanStack Query): one per page load. A 4xx is an answer, not a hiccup,
 * so it is not retried; network and 5xx failures are retried twice.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: false,
        retry: (failures, error) =>
          failures < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      },
      mutations: { retry: false },
    },
  });
}
