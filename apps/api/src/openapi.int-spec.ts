import { readFileSync } from 'node:fs';
import { hashPassword } from '@fleet/auth';
import { FleetApi } from '@fleet/api-client';
import {
  ENDPOINTS,
  Geofence,
  NotificationRule,
  ReportSchedule,
  ShareLinkCreated,
  TokenResponse,
  VehicleGroup,
  VehicleWithToken,
  WebhookWithSecret,
  type Endpoint,
} from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import type { Express } from 'express';
import pg from 'pg';
import { createApp } from './app';
import { OPENAPI_FILE, renderOpenApi } from './openapi/cli';
import { startTestApi, type StartedApi } from './testing/harness';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string;
}

/** Every (method, path) Express serves, read from its router stacks. */
function servedRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          const methods = method === '_all' ? ['get', 'post'] : [method];
          for (const m of methods) out.push(`${m} ${prefix}${layer.route.path}`);
        }
      } else if (layer.handle?.stack) {
        const mount = layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out.filter((r) => !r.includes('/_debug')).sort();
}

const ROUTES: Endpoint[] = Object.values(ENDPOINTS);

let testDb: TestDatabase;
let t: StartedApi;

beforeAll(async () => {
  testDb = await createTestDatabase('api-openapi');
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:openapi:${process.pid}:` });
});
afterAll(async () => {
  await t?.api.stop();
  await testDb?.drop();
});

describe('API documentation', () => {
  jest.setTimeout(30_000);

  it('serves, documents and gives the client every declared endpoint, and nothing else', async () => {
    const declared = ROUTES.map((r) => `${r.method} ${r.path}`).sort();
    expect(new Set(declared).size).toBe(declared.length);
    // Served: Express has exactly the declared (method, path) pairs.
    expect(servedRoutes(createApp(t.api.deps))).toEqual(declared);
    // Documented: one operation per declaration, named by its key.
    const doc = (await (await fetch(`${t.base}/api/docs/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    expect(documented).toEqual(declared);
    const operationIds = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(operationIds.sort()).toEqual(Object.keys(ENDPOINTS).sort());
    // In the client: one method per declaration, and it reaches the served route.
    const client = new FleetApi({ baseUrl: t.base }) as unknown as Record<string, unknown>;
    for (const name of Object.keys(ENDPOINTS)) expect(typeof client[name]).toBe('function');
    const health = await (client['health'] as () => Promise<{ service: string }>)();
    expect(health.service).toBe('api');
  });

  it('serves the document and a readable page listing every route', async () => {
    const doc = (await (await fetch(`${t.base}/api/docs/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(operations).toBe(ROUTES.length);
    const vehicle = doc.paths['/api/v1/vehicles']?.['post'] as {
      requestBody?: unknown;
      responses: Record<string, unknown>;
    };
    expect(vehicle.requestBody).toBeDefined();
    expect(vehicle.responses['201']).toBeDefined();
    const page = await (await fetch(`${t.base}/api/docs`)).text();
    for (const route of ROUTES) expect(page).toContain(route.path);
  });

  it('is committed as generated: docs/openapi.json matches the code (run `nx run api:openapi` after changing a route)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
  });
});

describe('organization isolation over the whole route table', () => {
  jest.setTimeout(60_000);

  it('answers 404 to organization A for every :id route of organization B, whatever the method', async () => {
    const client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    const hash = await hashPassword('isolation-test-pass');
    const userOf: Record<string, string> = {};
    for (const slug of ['iso-a', 'iso-b']) {
      const org = await client.query('INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id', [slug]);
      const user = await client.query(
        "INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, 'admin', $3) RETURNING id",
        [org.rows[0].id, `admin@${slug}.example`, hash],
      );
      userOf[slug] = user.rows[0].id;
    }
    await client.end();
    const token = async (slug: string) =>
      TokenResponse.parse(
        await (
          await fetch(`${t.base}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: `admin@${slug}.example`, password: 'isolation-test-pass' }),
          })
        ).json(),
      ).accessToken;
    const [a, b] = [await token('iso-a'), await token('iso-b')];
    const created = VehicleWithToken.parse(
      await (
        await fetch(`${t.base}/api/v1/vehicles`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${b}` },
          body: JSON.stringify({ name: 'B only' }),
        })
      ).json(),
    );
    // B's resource for each kind of :id route; a route of a new kind fails here until it is added.
    const shareLink = ShareLinkCreated.parse(
      await (
        await fetch(`${t.base}/api/v1/vehicles/${created.vehicle.id}/share-links`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${b}` },
          body: JSON.stringify({ name: 'B only' }),
        })
      ).json(),
    ).shareLink;
    const asB = async (path: string, body: unknown) =>
      (await (
        await fetch(`${t.base}/api/v1${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${b}` },
          body: JSON.stringify(body),
        })
      ).json()) as Record<string, unknown>;
    const geofence = Geofence.parse(
      await asB('/geofences', { name: 'B only', kind: 'circle', center: { lat: 1, lon: 1 }, radiusM: 100 }),
    );
    const webhook = WebhookWithSecret.parse(await asB('/webhooks', { url: 'https://b.example/hook' })).webhook;
    const group = VehicleGroup.parse(await asB('/groups', { name: 'B only' }));
    const driver = (await asB('/drivers', { name: 'B only' })) as { id: string };
    const maintenanceRule = (await asB('/maintenance/rules', { name: 'B only', everyKm: 1000 })) as { id: string };
    const notificationRule = NotificationRule.parse(
      await asB('/notification-rules', {
        name: 'B only',
        eventTypes: ['overspeed'],
        targets: { email: 'b@b.example' },
      }),
    );
    const reportSchedule = ReportSchedule.parse(
      await asB('/report-schedules', {
        name: 'B only',
        kind: 'events',
        recipients: ['b@b.example'],
        timing: { frequency: 'daily', hour: 7 },
      }),
    );
    const eventClient = new pg.Client({ connectionString: testDb.url });
    await eventClient.connect();
    const event = await eventClient.query<{ id: string }>(
      "INSERT INTO events (organization_id, vehicle_id, type, ts) SELECT organization_id, id, 'overspeed', now() FROM vehicles WHERE id = $1 RETURNING id",
      [created.vehicle.id],
    );
    await eventClient.end();
    const resourceOf = (path: string) => {
      if (path.startsWith('/api/v1/geofences/')) return geofence.id;
      if (path.startsWith('/api/v1/webhooks/')) return webhook.id;
      if (path.startsWith('/api/v1/notification-rules/')) return notificationRule.id;
      if (path.startsWith('/api/v1/report-schedules/')) return reportSchedule.id;
      if (path.startsWith('/api/v1/events/')) return event.rows[0].id;
      if (path.startsWith('/api/v1/vehicles/')) return created.vehicle.id;
      if (path.startsWith('/api/v1/share-links/')) return shareLink.id;
      if (path.startsWith('/api/v1/users/')) return userOf['iso-b'];
      if (path.startsWith('/api/v1/groups/')) return group.id;
      if (path.startsWith('/api/v1/drivers/')) return driver.id;
      if (path.startsWith('/api/v1/maintenance/rules/')) return maintenanceRule.id;
      throw new Error(`no organization-B resource known for ${path}: extend this test`);
    };
    // A valid body for each kind, so a 404 cannot hide behind a 400.
    const bodyOf = (path: string) => {
      if (path.startsWith('/api/v1/users/')) return { role: 'admin' };
      if (path.startsWith('/api/v1/webhooks/')) return { enabled: false };
      if (path.endsWith('/tracker-settings')) return { uploadBatchSize: 100 };
      if (path.endsWith('/commands')) return { text: 'getinfo' };
      if (path.endsWith('/driver')) return { driverId: driver.id };
      if (path.endsWith('/maintenance/records')) return { ruleId: maintenanceRule.id };
      return { name: 'x' };
    };
    const idRoutes = ROUTES.filter((r) => r.security === 'user' && r.path.includes(':id'));
    expect(idRoutes.length).toBeGreaterThan(0);
    for (const route of idRoutes) {
      const res = await fetch(`${t.base}${route.path.replace(':id', resourceOf(route.path))}`, {
        method: route.method.toUpperCase(),
        headers: { authorization: `Bearer ${a}`, 'content-type': 'application/json' },
        body: route.method === 'get' || route.method === 'delete' ? undefined : JSON.stringify(bodyOf(route.path)),
      });
      expect(`${route.method} ${route.path} → ${res.status}`).toBe(`${route.method} ${route.path} → 404`);
    }
  });
});
