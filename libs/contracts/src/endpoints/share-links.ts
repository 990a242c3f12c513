import { z } from 'zod';
import { endpoint, errorResponse as error, commonErrors as common, idParams, type ResponseDoc } from '../endpoint';
import { ShareLinkCreated, ShareLinkInput, ShareLinkList, SharedStreamQuery, SharedVehicle } from '../share-links';

const tokenParams = z.object({ token: z.string().describe('the share link’s token, as returned at creation') });
const eventStream = (description: string): ResponseDoc => ({
  description,
  contentType: 'text/event-stream',
  schema: z.string().describe('Server-Sent Events'),
});

export const SHARE_LINKS_ENDPOINTS = {
  createShareLink: endpoint({
    method: 'post',
    path: '/api/v1/vehicles/:id/share-links',
    summary:
      'Create a read-only public link to the vehicle’s live position, expiring within 30 days (default 24 h); ' +
      'the token is shown once (admin, operator)',
    tag: 'share links',
    security: 'user',
    roles: ['admin', 'operator'],
    params: idParams,
    // No body at all is `{}`: a link with the default name and lifetime.
    body: ShareLinkInput.prefault({}),
    responses: {
      201: { description: 'the link and its token, shown once', schema: ShareLinkCreated },
      ...common,
      404: error('no such vehicle in this organization'),
    },
  }),
  listShareLinks: endpoint({
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
  }),
  deleteShareLink: endpoint({
    method: 'delete',
    path: '/api/v1/share-links/:id',
    summary: 'Revoke a share link: it answers 404 at once, its open streams end (admin, operator)',
    tag: 'share links',
    security: 'user',
    roles: ['admin', 'operator'],
    params: idParams,
    responses: {
      204: { description: 'revoked' },
      ...common,
      404: error('no such share link in this organization'),
    },
  }),
  getSharedVehicle: endpoint({
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
  }),
  sharedLiveStream: endpoint({
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
  }),
};
