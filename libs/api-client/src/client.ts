import {
  ErrorBody,
  fillPath,
  type Endpoint,
  type EndpointInput,
  type EndpointResult,
  type ErrorCode,
  type ErrorDetail,
} from '@fleet/contracts';

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
  /**
   * Called when a request that carried a token is answered 401 (the access token expired): renew the
   * session and resolve true to have the request sent once more with the new token.
   */
  onUnauthorized?: () => Promise<boolean>;
  fetch?: typeof fetch;
}

/** Query parameters; undefined and null values are left out. */
export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Query;
  allowStatus?: number[];
  /** Session requests themselves (login, refresh, logout): a 401 is their answer, not a cue to renew. */
  noRenew?: boolean;
  /** The body is text of this type (GPX), sent as is. */
  rawContentType?: string;
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== null) params.set(key, String(value));
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
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

  /**
   * Calls a declared endpoint: its path filled with `params`, `query` and a JSON (or, for endpoints
   * that take text, raw) body; the answer parsed with the schema declared for its status. A declared
   * non-error answer to a non-2xx status (`/ready`'s 503) is returned like a success.
   */
  async call<E extends Endpoint>(
    endpoint: E,
    input: EndpointInput<E> = {} as EndpointInput<E>,
  ): Promise<EndpointResult<E>> {
    const { path, init } = this.requestOf(endpoint, input);
    const res = await this.send(path, init);
    const text = await res.text();
    const declared = endpoint.responses[res.status];
    const answers = res.ok || (declared?.schema !== undefined && declared.schema !== ErrorBody);
    if (!answers) throw errorOf(res.status, safeJson(text));
    if (res.status === 204 || !declared?.schema) return undefined as EndpointResult<E>;
    const contentType = declared.contentType ?? 'application/json';
    if (!/json/.test(contentType)) return text as EndpointResult<E>;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError(res.status, 'bad_response', `the server answered ${res.status} with a body that is not JSON`);
    }
    const parsed = declared.schema.safeParse(json);
    if (!parsed.success) throw new ApiError(res.status, 'bad_response', `unexpected answer from ${endpoint.path}`);
    return parsed.data as EndpointResult<E>;
  }

  /** A declared endpoint's answer as a Blob (exports: GPX, CSV), with the same authentication and errors. */
  async download<E extends Endpoint>(endpoint: E, input: EndpointInput<E>): Promise<Blob> {
    const { path, init } = this.requestOf(endpoint, input);
    const res = await this.send(path, init);
    if (!res.ok) throw errorOf(res.status, safeJson(await res.text()));
    return res.blob();
  }

  /** The absolute URL of a declared endpoint (for an `<a href>` or a stream opened elsewhere). */
  urlOf<E extends Endpoint>(endpoint: E, input: Pick<EndpointInput<E>, 'params' | 'query'>): string {
    const { path } = this.requestOf(endpoint, input as EndpointInput<E>);
    return `${this.options.baseUrl.replace(/\/$/, '')}${path}`;
  }

  private requestOf(endpoint: Endpoint, input: { params?: unknown; query?: unknown; body?: unknown }) {
    const path = withQuery(
      fillPath(endpoint.path, (input.params ?? {}) as Record<string, unknown>),
      input.query as Query,
    );
    const init: RequestOptions = {
      method: endpoint.method.toUpperCase(),
      body: input.body,
      rawContentType: endpoint.bodyContentType,
      // Session requests themselves (login, refresh, logout, public links): a 401 is their answer.
      noRenew: endpoint.security !== 'user' && endpoint.security !== 'device-or-user',
    };
    return { path, init };
  }

  /** Sends with the bearer token; on a 401 lets the session renew once and sends again. */
  private async send(path: string, init: RequestOptions): Promise<Response> {
    const res = await this.sendOnce(path, init);
    if (res.status === 401 && !init.noRenew && this.options.getToken?.() && this.options.onUnauthorized) {
      if (await this.options.onUnauthorized()) {
        await res.body?.cancel().catch(() => undefined);
        return this.sendOnce(path, init);
      }
    }
    return res;
  }

  private async sendOnce(path: string, init: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.options.getToken?.();
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = init.rawContentType ?? 'application/json';
    try {
      return await this.fetchImpl(`${this.options.baseUrl.replace(/\/$/, '')}${withQuery(path, init.query)}`, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : init.rawContentType ? String(init.body) : JSON.stringify(init.body),
        credentials: 'include',
      });
    } catch (err) {
      throw new ApiError(0, 'network', `cannot reach the server: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function errorOf(status: number, json: unknown): ApiError {
  const parsed = ErrorBody.safeParse(json);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new ApiError(status, code, message, details, parsed.data.requestId);
  }
  return new ApiError(status, 'bad_response', `the server answered ${status}`);
}
