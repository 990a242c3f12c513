import type { AddressInfo } from 'node:net';
import express from 'express';
import { createMetrics } from './metrics';

async function withServer(app: express.Express, fn: (base: string) => Promise<void>) {
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('createMetrics', () => {
  it('labels request durations with the route template, never the raw path', async () => {
    const metrics = createMetrics({ service: 'api-test' });
    const app = express();
    app.use(metrics.httpMiddleware);
    const router = express.Router();
    router.get('/vehicles/:id', (req, res) => {
      res.json({ id: req.params['id'] });
    });
    app.use('/api/v1', router);
    app.get('/metrics', metrics.handler);
    await withServer(app, async (base) => {
      for (const id of ['a1', 'b2', 'c3']) expect((await fetch(`${base}/api/v1/vehicles/${id}`)).status).toBe(200);
      expect((await fetch(`${base}/no/such/thing/42`)).status).toBe(404);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toMatch(
        /http_request_duration_seconds_bucket\{le="0\.1",service="api-test",method="GET",route="\/api\/v1\/vehicles\/:id",status_code="200"\} 3/,
      );
      expect(text).toContain('route="unmatched",status_code="404"');
      expect(text).not.toContain('a1');
      for (const le of ['0.1', '0.3', '1']) expect(text).toContain(`le="${le}"`);
      expect(text).toMatch(/http_requests_in_flight\{service="api-test"\} 1/); // the /metrics request itself
      expect(text).toContain('process_resident_memory_bytes');
    });
  });

  it('keeps registries of two services apart', () => {
    const a = createMetrics({ service: 'a' });
    const b = createMetrics({ service: 'b' });
    expect(a.registry).not.toBe(b.registry);
  });
});
