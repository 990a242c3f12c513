import { WEBHOOKS_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { Webhooks } from '../webhooks/webhooks';

/** Admins only, reading included (declared on each endpoint): a webhook's URL may carry a token of the receiver. */
export function webhookRoutes(deps: { webhooks: Webhooks; auth: Authenticators }) {
  const { webhooks } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listWebhooks, async ({ query }, { caller }) => webhooks.list(caller.org, query))
    .serve(E.createWebhook, async ({ body }, { caller }) => webhooks.create(caller.org, body))
    .serve(E.getWebhook, async ({ params }, { caller }) => webhooks.get(caller.org, params.id))
    .serve(E.updateWebhook, async ({ params, body }, { caller }) => webhooks.update(caller.org, params.id, body))
    .serve(E.deleteWebhook, async ({ params }, { caller }) => webhooks.remove(caller.org, params.id))
    .serve(E.rotateWebhookSecret, async ({ params }, { caller }) => webhooks.rotateSecret(caller.org, params.id))
    .serve(E.testWebhook, async ({ params }, { caller }) => webhooks.queueTest(caller.org, params.id))
    .serve(E.listWebhookDeliveries, async ({ params, query }, { caller }) =>
      webhooks.deliveries(caller.org, params.id, query),
    ).router;
}
