import { Router } from 'express';
import { z } from 'zod';

const SleepParams = z.object({ ms: z.coerce.number().int().min(0).max(60_000) });
const EchoBody = z.object({}).passthrough();

/**
 * Development and test only (never mounted in staging or production): a slow request to exercise
 * graceful shutdown, and an echo to exercise body limits and log redaction.
 */
export function debugRoutes(): Router {
  const router = Router();
  router.get('/sleep/:ms', async (req, res) => {
    const { ms } = SleepParams.parse(req.params);
    await new Promise((resolve) => setTimeout(resolve, ms));
    res.json({ sleptMs: ms });
  });
  router.post('/echo', (req, res) => {
    res.json({ keys: Object.keys(EchoBody.parse(req.body)) });
  });
  return router;
}
