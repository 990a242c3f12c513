import {
  ErrorBody,
  LiveStreamQuery,
  ShareLinkCreated,
  ShareLinkInput,
  ShareLinkList,
  SharedStreamQuery,
  SharedVehicle,
} from '@fleet/contracts';
import { z } from 'zod';
import type { Response, RouteDoc } from './routes';

const idParams = z.object({ id: z.uuid() });
const tokenParams = z.object({ token: z.string().describe('the share link’s token, as returned at creation') });
const error = (description: string): Response => ({ description, schema: ErrorBody });
const common = {
  400: error('invalid request; `details` names each problem'),
  401: error('not signed in, or the token is invalid or expired'),
};
const eventStream = (description: string): Response => ({
  description,
  contentType: 'text/event-stream',
  schema: z.string().describe('Server-Sent Events'),
});

/** The live stream and share links: spread into ROUTES. */
export const LIVE_ROUTES: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/live',
    summary:
      'Live positions and events of the organization (Server-Sent Events). Auth: Bearer header, the ' +
      'httpOnly `fleet_access` cookie set at web sign-in, or `?access_token=` (EventSource). `event: position` ' +
      '(LivePosition), `event: event` (TrackingEvent) and `event: event_retracted` (RetractedEvent: an event a late ' +
      'fix withdrew, docs/events.md), `id:` resumable with `Last-Event-ID` (or `?lastEventId=`); ' +
      '`: heartbeat` comments; `event: resync` when the history to resume from was trimmed (reload the latest ' +
      'positions); `event: expired` then end when the access token expires (reconnect with a fresh one); ' +
      '`event: revoked` then end when the user is disabled, deleted, demoted or changes password (sign in again)',
    tag: 'live',
    security: 'user',
    query: LiveStreamQuery,
    responses: {
      200: eventStream('the stream, until the client leaves, the token expires or the server drains'),
      ...common,
      429: error('too many open streams for this user or organization (LIVE_MAX_STREAMS_PER_USER/ORG); Retry-After'),
      503: error('this server is full or shutting down; retry (another replica)'),
    },
  },
  {
    method: 'post',
    path: '/api/v1/vehicles/:id/share-links',
    summary:
      'Create a read-only public link to the vehicle’s live position, expiring within 30 days (default 24 h); ' +
      'the token is shown once (admin, operator)',
    tag: 'share links',
    security: 'user',
    params: idParams,
    body: ShareLinkInput,
    responses: {
      201: { description: 'the link and its token, shown once', schema: ShareLinkCreated },
      ...common,
      403: error('needs admin or operator'),
      404: error('no such vehicle in this organization'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/vehicles/:id/share-links',
    summary: 'The vehicle’s share links, newest first (at most 100; revoked and expired ones included)',
    tag: 'share links',
    security: 'user',
    params: idParams,
    responses: {
      200: { description: 'the links (never their tokens)', schema: ShareLinkList },
      ...common,
      404: error('no such vehicle in this organization'),
    },
  },
  {
    method: 'delete',
    path: '/api/v1/share-links/:id',
    summary: 'Revoke a share link: it answers 404 at once, its open streams end (admin, operator)',
    tag: 'share links',
    security: 'user',
    params: idParams,
    responses: {
      204: { description: 'revoked' },
      ...common,
      403: error('needs admin or operator'),
      404: error('no such share link in this organization'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/shared/:token',
    summary: 'Public: the shared vehicle’s name and latest position (no account needed)',
    tag: 'share links',
    security: 'none',
    params: tokenParams,
    responses: {
      200: { description: 'the vehicle', schema: SharedVehicle },
      404: error('unknown, revoked or expired link'),
      429: error('too many requests from this address; see Retry-After'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/shared/:token/live',
    summary:
      'Public: the shared vehicle’s positions as Server-Sent Events (`event: position`, SharedPosition; the first ' +
      'one, without `id:`, is the latest known). Ends with `event: end` when the link expires or is revoked',
    tag: 'share links',
    security: 'none',
    params: tokenParams,
    query: SharedStreamQuery,
    responses: {
      200: eventStream('the stream'),
      400: common[400],
      404: error('unknown, revoked or expired link'),
      429: error('too many requests or open streams from this address; see Retry-After'),
    },
  },
];
