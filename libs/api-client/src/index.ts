export { ApiClient, ApiError, type ApiClientOptions } from './client';
