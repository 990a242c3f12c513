import { endpoint, commonErrors as common, idParams, notHere } from '../endpoint';
import { EventDetail, EventList, EventListQuery } from '../events';

export const EVENTS_ENDPOINTS = {
  listEvents: endpoint({
    method: 'get',
    path: '/api/v1/events',
    summary: 'Events, newest first, filtered; pass nextCursor as cursor for the next page',
    tag: 'events',
    security: 'user',
    query: EventListQuery,
    responses: { 200: { description: 'a page of events', schema: EventList }, ...common },
  }),
  getEvent: endpoint({
    method: 'get',
    path: '/api/v1/events/:id',
    summary: 'One event',
    tag: 'events',
    security: 'user',
    params: idParams,
    responses: { 200: { description: 'the event', schema: EventDetail }, ...common, ...notHere('event') },
  }),
};
