import {
  ENDPOINTS,
  type Endpoint,
  type EndpointInput,
  type EndpointResult,
  type Endpoints,
  type User,
  type Vehicle,
} from '@fleet/contracts';
import { ApiClient, type ApiClientOptions } from './client';

/** One method per declared endpoint: `api.getVehicle({ params: { id } })`. */
export type EndpointCall<E extends Endpoint> =
  Record<string, never> extends EndpointInput<E>
    ? (input?: EndpointInput<E>) => Promise<EndpointResult<E>>
    : (input: EndpointInput<E>) => Promise<EndpointResult<E>>;
export type EndpointCalls<M extends Record<string, Endpoint>> = { [K in keyof M]: EndpointCall<M[K]> };

/** The most a list endpoint serves per page. */
const PAGE = 500;

// The class gets one method per entry of ENDPOINTS (assigned in the constructor, typed by this interface).
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface FleetApi extends EndpointCalls<Endpoints> {}

/**
 * The client of every declared endpoint, for the web and mobile apps: each answer checked against
 * the schema the server declares, each error an ApiError. Nothing here is written per endpoint
 * except conveniences that combine several calls.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class FleetApi extends ApiClient {
  /** The declarations, for `download` and `urlOf`. */
  readonly endpoints = ENDPOINTS;

  constructor(options: ApiClientOptions) {
    super(options);
    for (const [name, endpoint] of Object.entries(ENDPOINTS) as Array<[string, Endpoint]>)
      (this as unknown as Record<string, unknown>)[name] = (input?: EndpointInput<Endpoint>) =>
        this.call(endpoint, input);
  }

  /** Every vehicle of the organization, page by page. */
  allVehicles(): Promise<Vehicle[]> {
    return allPages((offset) => this.listVehicles({ query: { limit: PAGE, offset } }));
  }

  /** Every user of the organization, page by page. */
  allUsers(): Promise<User[]> {
    return allPages((offset) => this.listUsers({ query: { limit: PAGE, offset } }));
  }
}

async function allPages<T>(page: (offset: number) => Promise<{ items: T[]; total: number }>): Promise<T[]> {
  const items: T[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const answer = await page(offset);
    items.push(...answer.items);
    if (items.length >= answer.total || answer.items.length === 0) return items;
  }
}
