import { PLATFORM_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, Reply, type Authenticators } from '../http/serve';
import type { Platform } from '../organization/organization';

/**
 * Platform administration: the installation's organizations, and new ones with their first admin.
 * The `platform` authenticator (auth/middleware.ts `platformAdmin`) checks PLATFORM_ADMIN_TOKEN.
 */
export function platformRoutes(deps: { platform: Platform; auth: Authenticators }) {
  const { platform } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listOrganizations, async () => ({ items: await platform.listOrganizations() }))
    .serve(
      E.createOrganization,
      async ({ body }) =>
        // A generated password is in the answer: no cache may keep it.
        new Reply(201, await platform.createOrganization(body), { 'Cache-Control': 'no-store' }),
    ).router;
}
