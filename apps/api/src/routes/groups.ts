import { GROUPS_ENDPOINTS as E } from '@fleet/contracts';
import type { Groups } from '../groups/groups';
import { EndpointRouter, type Authenticators } from '../http/serve';

/** Vehicle groups: read within the caller's scope; written by admins (organization-wide). */
export function groupRoutes(deps: { groups: Groups; auth: Authenticators }) {
  const { groups } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listGroups, async (_input, { scope }) => groups.list(scope))
    .serve(E.createGroup, async ({ body }, { caller }) => groups.create(caller.org, body))
    .serve(E.getGroup, async ({ params }, { scope }) => groups.get(scope, params.id))
    .serve(E.updateGroup, async ({ params, body }, { caller }) => groups.update(caller.org, params.id, body))
    .serve(E.deleteGroup, async ({ params }, { caller }) => groups.remove(caller.org, params.id)).router;
}
