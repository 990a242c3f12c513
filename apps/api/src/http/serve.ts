import type { VerifiedClaims } from '@fleet/auth';
import { successStatus, type Endpoint, type EndpointReply, type HandlerInput, type Security } from '@fleet/contracts';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { forbidden, notFound, unauthorized } from '../errors';
import type { VehicleScope } from '../groups/scope';

const CHECKED_HERE: ReadonlySet<Security> = new Set(['user', 'platform']);

/** A success answer other than the declared default (another 2xx, or extra headers). */
export class Reply<T = unknown> {
  constructor(
    readonly status: number,
    readonly body?: T,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** Returned by a handler that has written the answer itself (a stream, a file, an SSE stream). */
export const STREAMED: unique symbol = Symbol('streamed');

export interface HandlerContext {
  req: Request;
  res: Response;
  /** The signed-in user, with the access token's `exp` (endpoints whose security is `user`); throws 401 on any other. */
  readonly caller: VerifiedClaims;
  /**
   * What of the organization's fleet the caller may see (their vehicle groups; admins: all), read per
   * request by the `user` authenticator; throws 401 on any other endpoint.
   */
  readonly scope: VehicleScope;
}

export type Handler<E extends Endpoint> = (
  input: HandlerInput<E>,
  context: HandlerContext,
) => Promise<EndpointReply<E> | Reply<EndpointReply<E>> | typeof STREAMED>;

/**
 * The middleware that establishes each kind of credential for an endpoint (the user's claims go to
 * `res.locals['auth']`); given the declaration, so it can read e.g. `accessTokenIn`.
 */
export type Authenticator = (endpoint: Endpoint) => RequestHandler[];
export type Authenticators = Partial<Record<Security, Authenticator>>;

/**
 * Registers declared endpoints on a router: the credential check the declaration names, its roles,
 * the validation of path parameters, query and body, then the handler; the handler's value becomes
 * the answer with the declared success status. Every endpoint is served through here.
 */
export class EndpointRouter {
  readonly router = Router();

  /**
   * @param mount where `router` will be mounted (`/api/v1`); declarations carry the full path.
   * @param authenticators the middleware for each security kind these endpoints use; kinds the
   *   handler checks itself (the ingestion protocols' device credentials) map to nothing.
   */
  constructor(
    private readonly mount: string,
    private readonly authenticators: Authenticators = {},
  ) {}

  serve<E extends Endpoint>(endpoint: E, handler: Handler<E>): this {
    if (!endpoint.path.startsWith(this.mount))
      throw new Error(`${endpoint.path} is not under ${this.mount || '/'}: mount it elsewhere`);
    const path = endpoint.path.slice(this.mount.length) || '/';
    const guard = this.authenticators[endpoint.security]?.(endpoint) ?? [];
    // Only the device credentials of the ingestion protocols are checked by their handlers.
    if (CHECKED_HERE.has(endpoint.security) && guard.length === 0)
      throw new Error(`${endpoint.method} ${endpoint.path} needs a ${endpoint.security} authenticator`);
    const roles = endpoint.roles;
    const status = successStatus(endpoint);

    const run: RequestHandler = async (req, res) => {
      if (roles && !roles.includes(callerOf(res).role)) throw forbidden(`needs the role ${roles.join(' or ')}`);
      const input = (
        endpoint.parsedBy === 'handler'
          ? { params: req.params, query: req.query, body: req.body }
          : {
              params: parseParams(endpoint, req.params as Record<string, string>),
              query: endpoint.query ? endpoint.query.parse(req.query) : {},
              body: endpoint.bodyContentType ? req.body : endpoint.body ? endpoint.body.parse(req.body) : undefined,
            }
      ) as HandlerInput<E>;
      const context: HandlerContext = {
        req,
        res,
        get caller() {
          return callerOf(res);
        },
        get scope() {
          return scopeOf(res);
        },
      };
      const answer = await handler(input, context);
      if (answer === STREAMED || res.headersSent) return;
      if (answer instanceof Reply) {
        for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
        return send(res, answer.status, answer.body);
      }
      send(res, status, answer);
    };
    this.router[endpoint.method](path, ...guard, run);
    return this;
  }
}

function send(res: Response, status: number, body: unknown) {
  if (status === 204 || body === undefined) res.status(status).end();
  else res.status(status).json(body);
}

/** The caller, as the access token says (set by the `user` authenticator). */
export function callerOf(res: Response): VerifiedClaims {
  const auth = res.locals['auth'] as VerifiedClaims | undefined;
  if (!auth) throw unauthorized('sign in first');
  return auth;
}

/** The caller's vehicle scope (set with the caller by the `user` authenticator). */
export function scopeOf(res: Response): VehicleScope {
  const scope = res.locals['scope'] as VehicleScope | undefined;
  if (!scope) throw unauthorized('sign in first');
  return scope;
}

/**
 * Path parameters name a resource: one that cannot be an id (`/vehicles/not-a-uuid`) does not exist,
 * so it is a 404 like any other unknown id, never a 400 or a database error.
 */
/** What a path parameter names: the segment before it, singular (`/vehicles/:id/history` → vehicle). */
function resourceOf(path: string, param: PropertyKey | undefined): string {
  const segments = path.split('/');
  const at = segments.indexOf(`:${String(param)}`);
  const collection = (at > 0 && segments[at - 1]) || 'resource';
  return collection.replace(/-/g, ' ').replace(/s$/, '');
}

function parseParams(endpoint: Endpoint, raw: Record<string, string>) {
  if (!endpoint.params) return {};
  const parsed = endpoint.params.safeParse(raw);
  if (!parsed.success) throw notFound(resourceOf(endpoint.path, parsed.error.issues[0]?.path[0]));
  return parsed.data;
}
