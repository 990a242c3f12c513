import { ORGANIZATION_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { Organizations } from '../organization/organization';

export function organizationRoutes(deps: { organizations: Organizations; auth: Authenticators }) {
  const { organizations } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.getOrganization, async (_input, { caller }) => organizations.get(caller.org))
    .serve(E.updateOrganization, async ({ body }, { caller }) => organizations.update(caller.org, body)).router;
}
