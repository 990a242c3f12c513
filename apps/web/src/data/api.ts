import type { FleetApi } from '@fleet/api-client';
import type { EndpointInput, EndpointName, EndpointResult, Endpoints } from '@fleet/contracts';
import {
  useMutation,
  useQuery,
  useQueryClient,
  type QueryKey,
  type UseMutationOptions,
  type UseQueryOptions,
} from '@tanstack/react-query';
import { useApi } from '../session/context';

/**
 * Query keys start with the endpoint's operation name (`['listUsers', input]`), so a write
 * invalidates every cached read of the endpoints it changes by name, whatever their input.
 */
export const keyOf = <K extends EndpointName>(name: K, input?: EndpointInput<Endpoints[K]>): QueryKey =>
  input === undefined ? [name] : [name, input];

type Input<K extends EndpointName> = EndpointInput<Endpoints[K]>;
type Result<K extends EndpointName> = EndpointResult<Endpoints[K]>;

/** Calls one declared endpoint by name (the client's methods, typed by the declaration). */
export function callEndpoint<K extends EndpointName>(api: FleetApi, name: K, input?: Input<K>): Promise<Result<K>> {
  return (api[name] as (input?: Input<K>) => Promise<Result<K>>)(input);
}

/** A cached read of one declared endpoint: `useApiQuery('listUsers', { query: { limit, offset } })`. */
export function useApiQuery<K extends EndpointName, T = Result<K>>(
  name: K,
  input?: Input<K>,
  options: Omit<UseQueryOptions<Result<K>, Error, T>, 'queryKey' | 'queryFn'> = {},
) {
  const api = useApi();
  return useQuery({ queryKey: keyOf(name, input), queryFn: () => callEndpoint(api, name, input), ...options });
}

/**
 * A write to one declared endpoint that refreshes the reads it changes:
 * `useApiMutation('updateUser', { invalidates: ['listUsers'] }).mutate({ params: { id }, body })`.
 */
export function useApiMutation<K extends EndpointName>(
  name: K,
  {
    invalidates = [],
    ...options
  }: { invalidates?: readonly EndpointName[] } & Omit<
    UseMutationOptions<Result<K>, Error, Input<K>>,
    'mutationFn'
  > = {},
) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation<Result<K>, Error, Input<K>>({
    ...options,
    mutationFn: (input) => callEndpoint(api, name, input),
    onSettled: async (...args) => {
      await Promise.all(invalidates.map((n) => queryClient.invalidateQueries({ queryKey: [n] })));
      await options.onSettled?.(...args);
    },
  });
}
