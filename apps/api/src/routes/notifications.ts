import { NOTIFICATIONS_ENDPOINTS as E } from '@fleet/contracts';
import type { VehicleScope } from '../groups/scope';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { NotificationRules } from '../notifications/notification-rules';

/** Every role: each user manages their own rules (scoped by user and organization). */
export function notificationRoutes(deps: { rules: NotificationRules; auth: Authenticators }) {
  const { rules } = deps;
  // The caller's own rows; the vehicles and groups they name are checked against the caller's scope.
  const owner = ({ caller, scope }: { caller: { org: string; sub: string }; scope: VehicleScope }) => ({
    org: caller.org,
    user: caller.sub,
    scope,
  });
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listNotificationRules, async (_req, ctx) => rules.list(owner(ctx)))
    .serve(E.createNotificationRule, async ({ body }, ctx) => rules.create(owner(ctx), body))
    .serve(E.getNotificationRule, async ({ params }, ctx) => rules.get(owner(ctx), params.id))
    .serve(E.updateNotificationRule, async ({ params, body }, ctx) => rules.update(owner(ctx), params.id, body))
    .serve(E.deleteNotificationRule, async ({ params }, ctx) => rules.remove(owner(ctx), params.id))
    .serve(E.testNotificationRule, async ({ params }, ctx) => rules.queueTest(owner(ctx), params.id))
    .serve(E.listNotificationDeliveries, async ({ query }, ctx) => rules.deliveries(owner(ctx), query)).router;
}
