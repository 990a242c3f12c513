import { AUTH_ENDPOINTS, USERS_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { Users } from '../users/users';

export function userRoutes(deps: { users: Users; auth: Authenticators }) {
  const { users } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listUsers, async ({ query }, { caller }) => users.list(caller.org, query))
    .serve(E.inviteUser, async ({ body }, { caller }) => users.invite(caller.org, caller.sub, body))
    .serve(E.updateUser, async ({ params, body }, { caller }) => users.update(caller.org, caller.sub, params.id, body))
    .serve(E.deleteUser, async ({ params }, { caller }) => users.remove(caller.org, caller.sub, params.id))
    .serve(AUTH_ENDPOINTS.acceptInvitation, async ({ body }) => users.accept(body)).router;
}
