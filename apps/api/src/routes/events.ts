import { EVENTS_ENDPOINTS as E } from '@fleet/contracts';
import type { Events } from '../events/events';
import { EndpointRouter, type Authenticators } from '../http/serve';

export function eventRoutes(deps: { events: Events; auth: Authenticators }) {
  const { events } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listEvents, async ({ query }, { scope }) => events.list(scope, query))
    .serve(E.getEvent, async ({ params }, { scope }) => events.get(scope, params.id)).router;
}
