import { NOTIFICATIONS_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { NotificationRules } from '../notifications/notification-rules';

/** Every role: each user manages their own rules (scoped by user and organization). */
export function notificationRoutes(deps: { rules: NotificationRules; auth: Authenticators }) {
  const { rules } = deps;
  const owner = (caller: { org: string; sub: string }) => ({ org: caller.org, user: caller.sub });
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listNotificationRules, async (_req, { caller }) => rules.list(owner(caller)))
    .serve(E.createNotificationRule, async ({ body }, { caller }) => rules.create(owner(caller), body))
    .serve(E.getNotificationRule, async ({ params }, { caller }) => rules.get(owner(caller), params.id))
    .serve(E.updateNotificationRule, async ({ params, body }, { caller }) =>
      rules.update(owner(caller), params.id, body),
    )
    .serve(E.deleteNotificationRule, async ({ params }, { caller }) => rules.remove(owner(caller), params.id))
    .serve(E.testNotificationRule, async ({ params }, { caller }) => rules.queueTest(owner(caller), params.id))
    .serve(E.listNotificationDeliveries, async ({ query }, { caller }) => rules.deliveries(owner(caller), query))
    .router;
}
