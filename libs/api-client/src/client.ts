import { ErrorBody, HealthResponse, ReadyResponse, type ErrorCode, type ErrorDetail } from '@fleet/contracts';
import type { z } from 'zod';

/** An error answer of the API, with its machine-readable code and the request id to quote. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'network' | 'bad_response',
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClientOptions {
  /** Where the API lives, e.g. `https://fleet.example.com` (no trailing `/api/v1`). */
  baseUrl: string;
  /** Supplies the current access token, if any. */
  getToken?: () => string | undefined;
  fetch?: typeof fetch;
}

/**
 * The typed HTTP client the web and mobile apps share: every answer is checked against the same zod
 * schema the server validates with, and every error body becomes an ApiError.
 */
export class ApiClient {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ApiClientOptions) {
    this.fetchImpl = options.fetch ?? ((...args) => fetch(...args));
  }

  async request<S extends z.ZodType>(
    schema: S,
    path: string,
    init: { method?: string; body?: unknown; allowStatus?: number[] } = {},
  ): Promise<z.infer<S>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.options.getToken?.();
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.options.baseUrl.replace(/\/$/, '')}${path}`, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        credentials: 'include',
      });
    } catch (err) {
      throw new ApiError(0, 'network', `cannot reach the server: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError(res.status, 'bad_response', `the server answered ${res.status} with a body that is not JSON`);
    }
    if (!res.ok && !init.allowStatus?.includes(res.status)) {
      const parsed = ErrorBody.safeParse(json);
      if (parsed.success) {
        const { code, message, details } = parsed.data.error;
        throw new ApiError(res.status, code, message, details, parsed.data.requestId);
      }
      throw new ApiError(res.status, 'bad_response', `the server answered ${res.status}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ApiError(res.status, 'bad_response', `unexpected answer from ${path}`);
    return parsed.data;
  }

  health() {
    return this.request(HealthResponse, '/health');
  }

  /** Readiness, including the 503 answer that says which dependency is down. */
  ready() {
    return this.request(ReadyResponse, '/ready', { allowStatus: [503] });
  }
}
