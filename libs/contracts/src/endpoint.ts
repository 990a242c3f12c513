import { z } from 'zod';
import type { Role } from './auth';
import { ErrorBody } from './errors';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call an endpoint. `user`: an access token (header, or the web's cookie / `?access_token=`
 * where the endpoint says so); `device*`: a vehicle's device token in the forms the ingestion
 * protocols use; `platform`: the installation's PLATFORM_ADMIN_TOKEN.
 */
export type Security =
  'none' | 'user' | 'device' | 'device-or-user' | 'basic-device' | 'device-identifier' | 'platform';

export interface ResponseDoc {
  description: string;
  /** The body; JSON unless `contentType` says otherwise. */
  schema?: z.ZodType;
  contentType?: string;
}

/**
 * One HTTP endpoint, declared once: the API registers and validates it, the OpenAPI document
 * describes it and the typed client calls it, all from this object. `path` is written the Express
 * way (`/api/v1/vehicles/:id`).
 */
export interface Endpoint {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  security: Security;
  /** The roles allowed (security `user`); absent: every role of the organization. */
  roles?: readonly Role[];
  /**
   * Where else than `Authorization: Bearer` the access token may come from (security `user`): the web's
   * httpOnly `fleet_access` cookie, `?access_token=` (EventSource cannot set headers).
   */
  accessTokenIn?: readonly ('cookie' | 'query')[];
  /**
   * `handler`: the handler checks the credential first and parses the request itself (the ingestion
   * protocols: a wrong device token is a 401 whatever the body, each protocol counts its own refusals
   * and names fields its own way). The schemas still document the request and type the client.
   */
  parsedBy?: 'handler';
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** A JSON body, validated before the handler runs. */
  body?: z.ZodType;
  /** A body that is not JSON (GPX, the OsmAnd form): passed through unparsed and documented as text. */
  bodyContentType?: string;
  responses: Record<number, ResponseDoc>;
}

/** Declares an endpoint, keeping its literal types (the client and the handlers are typed from it). */
export const endpoint = <const E extends Endpoint>(declaration: E): E => declaration;

/** A documented error answer (`{ error: { code, message, details? }, requestId }`). */
export const errorResponse = (description: string): ResponseDoc => ({ description, schema: ErrorBody });

/** The errors most endpoints can answer. */
export const commonErrors = {
  400: errorResponse('invalid request; `details` names each problem'),
  401: errorResponse('not signed in, or the token is invalid or expired'),
} as const;

type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 206;
type SuccessOf<E extends Endpoint> = E['responses'][Extract<keyof E['responses'], SuccessStatus>];

/** What a successful call answers: the parsed JSON of its 2xx schema (void for 204 or no schema). */
export type EndpointResult<E extends Endpoint> =
  SuccessOf<E> extends { schema: infer S extends z.ZodType }
    ? SuccessOf<E> extends { contentType: string }
      ? SuccessOf<E> extends { contentType: 'application/json' | 'application/geo+json' }
        ? z.output<S>
        : string
      : z.output<S>
    : void;

/** What a handler returns for a successful call (before serialisation). */
export type EndpointReply<E extends Endpoint> =
  SuccessOf<E> extends { schema: infer S extends z.ZodType } ? z.input<S> : void;

type Part<E extends Endpoint, K extends 'params' | 'query' | 'body'> = E[K] extends z.ZodType
  ? { [P in K]: z.input<E[K]> }
  : { [P in K]?: never };

/** What a client passes: path parameters, query and body, each typed from the declaration. */
export type EndpointInput<E extends Endpoint> = Part<E, 'params'> &
  (E['query'] extends z.ZodType ? { query?: z.input<E['query']> } : { query?: never }) &
  (E['bodyContentType'] extends string ? { body: string } : Part<E, 'body'>);

/** The validated input a handler receives. */
export type HandlerInput<E extends Endpoint> = E['parsedBy'] extends 'handler'
  ? { params: Record<string, string>; query: Record<string, unknown>; body: unknown }
  : {
      params: E['params'] extends z.ZodType ? z.output<E['params']> : Record<string, never>;
      query: E['query'] extends z.ZodType ? z.output<E['query']> : Record<string, never>;
      body: E['bodyContentType'] extends string
        ? unknown
        : E['body'] extends z.ZodType
          ? z.output<E['body']>
          : undefined;
    };

/** The success status the server answers by default: the lowest 2xx declared. */
export function successStatus(e: Endpoint): number {
  const statuses = Object.keys(e.responses)
    .map(Number)
    .filter((s) => s >= 200 && s < 300)
    .sort((a, b) => a - b);
  return statuses[0] ?? 200;
}

/** Fills an Express-style path (`/api/v1/vehicles/:id`) with encoded parameters. */
export function fillPath(path: string, params: Record<string, unknown> = {}): string {
  return path.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) throw new Error(`missing path parameter ${name} for ${path}`);
    return encodeURIComponent(String(value));
  });
}

/** `/…/:id` of any resource. */
export const idParams = z.object({ id: z.uuid() });

/** 404 for a resource that is not in the caller's organization (or does not exist: the same answer). */
export const notHere = (what: string) => ({ 404: errorResponse(`no such ${what} in this organization`) });
