import type { TokenService } from '@fleet/auth';
import { WebhookDeliveryListQuery, WebhookInput, WebhookListQuery, WebhookUpdate } from '@fleet/contracts';
import { Router } from 'express';
import { authenticate, caller, requireRole } from '../auth/middleware';
import type { Webhooks } from '../webhooks/webhooks';

/** Admins only, reading included: a webhook's URL may carry a token of the receiver. */
export function webhookRoutes(deps: { webhooks: Webhooks; tokens: TokenService }): Router {
  const router = Router();
  const admin = [authenticate(deps.tokens), requireRole('admin')];
  const id = (req: { params: Record<string, unknown> }) => req.params['id'] as string;

  router.get('/webhooks', ...admin, async (req, res) => {
    res.json(await deps.webhooks.list(caller(res).org, WebhookListQuery.parse(req.query)));
  });
  router.post('/webhooks', ...admin, async (req, res) => {
    res.status(201).json(await deps.webhooks.create(caller(res).org, WebhookInput.parse(req.body)));
  });
  router.get('/webhooks/:id', ...admin, async (req, res) => {
    res.json(await deps.webhooks.get(caller(res).org, id(req)));
  });
  router.patch('/webhooks/:id', ...admin, async (req, res) => {
    res.json(await deps.webhooks.update(caller(res).org, id(req), WebhookUpdate.parse(req.body)));
  });
  router.delete('/webhooks/:id', ...admin, async (req, res) => {
    await deps.webhooks.remove(caller(res).org, id(req));
    res.status(204).end();
  });
  router.post('/webhooks/:id/rotate-secret', ...admin, async (req, res) => {
    res.json(await deps.webhooks.rotateSecret(caller(res).org, id(req)));
  });
  router.post('/webhooks/:id/test', ...admin, async (req, res) => {
    res.status(202).json(await deps.webhooks.queueTest(caller(res).org, id(req)));
  });
  router.get('/webhooks/:id/deliveries', ...admin, async (req, res) => {
    res.json(await deps.webhooks.deliveries(caller(res).org, id(req), WebhookDeliveryListQuery.parse(req.query)));
  });
  return router;
}
