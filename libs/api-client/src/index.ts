export { ApiClient, ApiError, withQuery, type ApiClientOptions, type Query, type RequestOptions } from './client';
export { FleetApi, type EndpointCall, type EndpointCalls } from './fleet';
