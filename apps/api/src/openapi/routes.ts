import {
  ErrorBody,
  GpxImportResult,
  HealthResponse,
  PositionsAccepted,
  IngestRequest,
  LoginRequest,
  Me,
  PasswordChangeRequest,
  ReadyResponse,
  RefreshRequest,
  TokenResponse,
  Vehicle,
  VehicleInput,
  VehicleList,
  VehicleListQuery,
  VehicleUpdate,
  VehicleWithToken,
  AcceptInvitationRequest,
  Invitation,
  InvitationRequest,
  User,
  UserList,
  UserListQuery,
  UserUpdate,
} from '@fleet/contracts';
import { z } from 'zod';
import { LIVE_ROUTES } from './routes-live';
import { GEOFENCE_EVENT_ROUTES } from './routes-geofences';
import { TRACKING_ROUTES } from './routes-tracking';
import { PLATFORM_ROUTES } from './routes-platform';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type Security =
  'none' | 'user' | 'device' | 'device-or-user' | 'basic-device' | 'device-identifier' | 'platform';

export interface Response {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

/** One documented operation. `path` is written the Express way (`/api/v1/vehicles/:id`). */
export interface RouteDoc {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  security: Security;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  bodyContentType?: string;
  responses: Record<number, Response>;
}

const idParams = z.object({ id: z.uuid() });
const error = (description: string): Response => ({ description, schema: ErrorBody });
const common = {
  400: error('invalid request; `details` names each problem'),
  401: error('not signed in, or the token is invalid or expired'),
};
const plain: Response = { description: 'Prometheus text format', contentType: 'text/plain' };

/**
 * Every route the API serves (except the development-only `/api/v1/_debug`). A test compares this
 * table with the routes Express actually has, so a route cannot be added without being documented.
 */
export const ROUTES: RouteDoc[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'The process is alive',
    tag: 'operations',
    security: 'none',
    responses: { 200: { description: 'alive', schema: HealthResponse } },
  },
  {
    method: 'get',
    path: '/ready',
    summary: 'PostgreSQL and Redis answer and the process is not draining',
    tag: 'operations',
    security: 'none',
    responses: {
      200: { description: 'ready', schema: ReadyResponse },
      503: { description: 'not ready, or draining', schema: ReadyResponse },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (not exposed by the gateway)',
    tag: 'operations',
    security: 'none',
    responses: { 200: plain },
  },
  {
    method: 'get',
    path: '/api/docs',
    summary: 'This document, browsable',
    tag: 'operations',
    security: 'none',
    responses: { 200: { description: 'HTML', contentType: 'text/html' } },
  },
  {
    method: 'get',
    path: '/api/docs/openapi.json',
    summary: 'This document',
    tag: 'operations',
    security: 'none',
    responses: { 200: { description: 'OpenAPI 3.1', contentType: 'application/json' } },
  },

  {
    method: 'post',
    path: '/api/v1/positions',
    summary: 'Send one position or a batch (up to 1,000); speed in km/h',
    tag: 'ingestion',
    security: 'device',
    body: IngestRequest,
    responses: {
      202: { description: 'accepted: committed to staging, stored shortly', schema: PositionsAccepted },
      ...common,
      403: error('device disabled, or positions of another vehicle'),
      503: error('database unavailable; nothing accepted, retry later'),
    },
  },
  ...(['get', 'post'] as const).map((method): RouteDoc => ({
    method,
    path: '/api/v1/osmand',
    summary: 'OsmAnd protocol as Traccar Client sends it (also on the OsmAnd port, at any path)',
    tag: 'ingestion',
    security: 'device-identifier',
    query: z
      .object({
        id: z.string(),
        timestamp: z.string().optional(),
        lat: z.string().optional(),
        lon: z.string().optional(),
        location: z.string().optional(),
        speed: z.string().optional().describe('knots'),
        token: z
          .string()
          .optional()
          .describe(
            'the device token: required when the organization sets osmandTokenRequired (or HTTP Basic password)',
          ),
      })
      .loose(),
    responses: {
      200: { description: 'accepted (empty body, as Traccar answers)' },
      400: error('invalid fix, or unknown device (query form)'),
      401: error(
        'the device token is wrong or belongs to another identifier, or is missing while the organization requires it',
      ),
      404: error('unknown device (JSON form)'),
      403: error('device disabled'),
    },
  })),
  {
    method: 'post',
    path: '/api/v1/owntracks',
    summary: 'OwnTracks HTTP mode (Basic auth: any user, device token as password)',
    tag: 'ingestion',
    security: 'basic-device',
    body: z.object({ _type: z.string() }).loose(),
    responses: {
      200: {
        description: 'the organization’s other vehicles, as OwnTracks cards and locations',
        schema: z.array(z.object({ _type: z.string() }).loose()),
      },
      ...common,
    },
  },
  {
    method: 'post',
    path: '/api/v1/overland',
    summary: 'Overland batch of GeoJSON points (bearer device token, or ?token=)',
    tag: 'ingestion',
    security: 'device',
    body: z.object({ locations: z.array(z.unknown()) }),
    responses: { 200: { description: 'accepted', schema: z.object({ result: z.literal('ok') }) }, ...common },
  },
  {
    method: 'post',
    path: '/api/v1/vehicles/:id/import',
    summary:
      'Upload a GPX 1.0/1.1 track (streamed): the vehicle’s device token, or an admin/operator of its organization',
    tag: 'ingestion',
    security: 'device-or-user',
    params: idParams,
    bodyContentType: 'application/gpx+xml',
    responses: {
      202: { description: 'imported', schema: GpxImportResult },
      200: { description: 'nothing to import', schema: GpxImportResult },
      ...common,
      404: error('not this device’s vehicle'),
      413: error('file too large'),
    },
  },

  {
    method: 'post',
    path: '/api/v1/auth/login',
    summary:
      'Sign in; the web gets the refresh token as an httpOnly cookie (and the access token as the `fleet_access` ' +
      'cookie, which only GET /api/v1/live accepts), mobile in the body',
    tag: 'auth',
    security: 'none',
    body: LoginRequest,
    responses: {
      200: { description: 'signed in', schema: TokenResponse },
      ...common,
      429: error('too many attempts; see Retry-After'),
    },
  },
  {
    method: 'post',
    path: '/api/v1/auth/refresh',
    summary: 'New access token; the refresh token rotates (reuse revokes the sign-in)',
    tag: 'auth',
    security: 'none',
    body: RefreshRequest,
    responses: { 200: { description: 'refreshed', schema: TokenResponse }, ...common },
  },
  {
    method: 'post',
    path: '/api/v1/auth/logout',
    summary: 'Sign out (revokes the refresh token’s sign-in)',
    tag: 'auth',
    security: 'none',
    body: RefreshRequest,
    responses: { 204: { description: 'signed out' } },
  },
  {
    method: 'get',
    path: '/api/v1/auth/me',
    summary: 'The signed-in user',
    tag: 'auth',
    security: 'user',
    responses: { 200: { description: 'the user', schema: Me }, 401: common[401] },
  },
  {
    method: 'post',
    path: '/api/v1/auth/password',
    summary: 'Change the password: every session ends (access and refresh tokens); the caller gets a fresh one',
    tag: 'auth',
    security: 'user',
    body: PasswordChangeRequest,
    responses: {
      200: {
        description: 'changed; the new session (web: cookies, mobile: refresh token in the body)',
        schema: TokenResponse,
      },
      ...common,
      403: error('current password is wrong'),
    },
  },

  {
    method: 'post',
    path: '/api/v1/auth/accept-invitation',
    summary: 'Accept an invitation: set a password, the user is created',
    tag: 'auth',
    security: 'none',
    body: AcceptInvitationRequest,
    responses: {
      201: { description: 'the new user', schema: User },
      400: common[400],
      404: error('invitation not found, used or expired'),
      409: error('the invited email already has an account: sign in with it'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/users',
    summary: 'The organization’s users (admin)',
    tag: 'users',
    security: 'user',
    query: UserListQuery,
    responses: { 200: { description: 'users', schema: UserList }, 401: common[401], 403: error('needs admin') },
  },
  {
    method: 'post',
    path: '/api/v1/users/invitations',
    summary: 'Invite someone by email with a role; the token is shown once (admin)',
    tag: 'users',
    security: 'user',
    body: InvitationRequest,
    responses: {
      201: { description: 'the invitation', schema: Invitation },
      ...common,
      403: error('needs admin'),
      409: error('already a member of this organization (an account elsewhere is not revealed)'),
    },
  },
  {
    method: 'patch',
    path: '/api/v1/users/:id',
    summary: 'Change a user’s role or name, or disable them (admin; ends their sessions)',
    tag: 'users',
    security: 'user',
    params: idParams,
    body: UserUpdate,
    responses: {
      200: { description: 'the user', schema: User },
      ...common,
      403: error('needs admin'),
      404: error('no such user in this organization'),
      409: error('cannot demote or disable yourself'),
    },
  },
  {
    method: 'delete',
    path: '/api/v1/users/:id',
    summary: 'Delete a user (admin; not yourself, not the last admin): their sessions and live streams end at once',
    tag: 'users',
    security: 'user',
    params: idParams,
    responses: {
      204: { description: 'deleted' },
      401: common[401],
      403: error('needs admin'),
      404: error('no such user in this organization'),
      409: error('cannot delete yourself or the last admin'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/vehicles',
    summary: 'List the organization’s vehicles',
    tag: 'vehicles',
    security: 'user',
    query: VehicleListQuery,
    responses: { 200: { description: 'a page of vehicles', schema: VehicleList }, ...common },
  },
  {
    method: 'post',
    path: '/api/v1/vehicles',
    summary: 'Create a vehicle; its device token is shown once (admin, operator)',
    tag: 'vehicles',
    security: 'user',
    body: VehicleInput,
    responses: {
      201: { description: 'created', schema: VehicleWithToken },
      ...common,
      403: error('needs admin or operator'),
      409: error('device identifier not available (the same answer whoever holds it)'),
      429: error('too many unavailable identifiers tried this hour: chosen identifiers refused for now'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/vehicles/:id',
    summary: 'One vehicle',
    tag: 'vehicles',
    security: 'user',
    params: idParams,
    responses: {
      200: { description: 'the vehicle', schema: Vehicle },
      ...common,
      404: error('no such vehicle in this organization'),
    },
  },
  {
    method: 'patch',
    path: '/api/v1/vehicles/:id',
    summary: 'Change a vehicle; `deviceDisabled` refuses its positions, history kept (admin, operator)',
    tag: 'vehicles',
    security: 'user',
    params: idParams,
    body: VehicleUpdate,
    responses: {
      200: { description: 'the vehicle', schema: Vehicle },
      ...common,
      403: error('needs admin or operator'),
      404: error('no such vehicle in this organization'),
      409: error('device identifier not available (the same answer whoever holds it)'),
      429: error('too many unavailable identifiers tried this hour: chosen identifiers refused for now'),
    },
  },
  {
    method: 'delete',
    path: '/api/v1/vehicles/:id',
    summary: 'Delete a vehicle and its history (admin)',
    tag: 'vehicles',
    security: 'user',
    params: idParams,
    responses: {
      204: { description: 'deleted' },
      ...common,
      403: error('needs admin'),
      404: error('no such vehicle in this organization'),
    },
  },
  {
    method: 'post',
    path: '/api/v1/vehicles/:id/device-token',
    summary: 'Regenerate the device token; the old one stops working (admin, operator)',
    tag: 'vehicles',
    security: 'user',
    params: idParams,
    responses: {
      200: { description: 'the new token, shown once', schema: VehicleWithToken },
      ...common,
      403: error('needs admin or operator'),
      404: error('no such vehicle in this organization'),
    },
  },
  ...GEOFENCE_EVENT_ROUTES,
  ...TRACKING_ROUTES,
  ...LIVE_ROUTES,
  ...PLATFORM_ROUTES,
];
