export { ApiClient, ApiError, withQuery, type ApiClientOptions, type Query, type RequestOptions } from './client';
export { FleetApi, type EndpointCall, type EndpointCalls } from './fleet';
export {
  connectEventStream,
  EventStreamParser,
  readEventStream,
  type EventStreamOptions,
  type StreamEvent,
  type StreamState,
} from './event-stream';
export {
  loadClientConfig,
  type ClientConfigStatus,
  type LoadClientConfigOptions,
  type LoadedClientConfig,
} from './client-config';
