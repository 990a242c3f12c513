import { z } from 'zod';
import { endpoint, errorResponse as error, commonErrors as common, type ResponseDoc } from '../endpoint';
import { LiveStreamQuery } from '../share-links';

const eventStream = (description: string): ResponseDoc => ({
  description,
  contentType: 'text/event-stream',
  schema: z.string().describe('Server-Sent Events'),
});

export const LIVE_ENDPOINTS = {
  liveStream: endpoint({
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
    accessTokenIn: ['cookie', 'query'],
    query: LiveStreamQuery,
    responses: {
      200: eventStream('the stream, until the client leaves, the token expires or the server drains'),
      ...common,
      429: error('too many open streams for this user or organization (LIVE_MAX_STREAMS_PER_USER/ORG); Retry-After'),
      503: error('this server is full or shutting down; retry (another replica)'),
    },
  }),
};
