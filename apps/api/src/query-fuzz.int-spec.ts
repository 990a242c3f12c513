import { Geofence, ShareLinkCreated, VehicleWithToken, WebhookWithSecret } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import fc from 'fast-check';
import pg from 'pg';
import { ENDPOINTS, type Endpoint as RouteDoc } from '@fleet/contracts';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

// Every documented route driven with malformed and hostile input in its query string, its path ids and
// its JSON body: whatever comes in, the answer is a 2xx or a 4xx — never a 5xx, never a crash.
// Two parts: a deterministic matrix of the edge classes that used to reach PostgreSQL or JSON.stringify
// (NUL, lone surrogates, deep nesting, huge and tiny numbers, empty and very long strings) on every field
// of a valid request, and a random (fast-check) walk. Streams are opened and closed at their headers.
jest.setTimeout(120_000);

const PLATFORM_TOKEN = 'fuzz-platform-admin-token-6c0f2b9e8d7a4135b2e9';
let testDb: TestDatabase;
let t: StartedApi;
let admin: string;
/** Ids of real fixtures, by the collection their path starts with. */
const real: Record<string, string> = {};
let deviceToken: string;
let deviceIdentifier: string;

beforeAll(async () => {
  testDb = await createTestDatabase('api-query-fuzz');
  const orgs = await seedOrganizations(testDb.url, ['fz']);
  const pool = new pg.Pool({ connectionString: testDb.url, max: 1 });
  real['vehicles'] = (
    await pool.query(
      "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Fuzzed', 'fuzz-1') RETURNING id",
      [orgs['fz']],
    )
  ).rows[0].id;
  await pool.query(
    `INSERT INTO positions (vehicle_id, ts, point, speed_kmh)
     SELECT $1, now() - g * interval '10 seconds', ST_SetSRID(ST_MakePoint(-3.7 + g / 10000.0, 40.4), 4326), 30
       FROM generate_series(1, 200) g`,
    [real['vehicles']],
  );
  real['users'] = (await pool.query("SELECT id FROM users WHERE email = 'viewer@fz.example'")).rows[0].id;
  await pool.end();
  t = await startTestApi(
    { DATABASE_URL: testDb.url, PLATFORM_ADMIN_TOKEN: PLATFORM_TOKEN },
    { keyPrefix: `test:query-fuzz:${process.pid}:` },
  );
  admin = (await loginAll(t.base, ['fz']))['admin@fz'];

  // A second vehicle whose device token the ingestion routes use (the first one's token is rotated by
  // POST /vehicles/:id/device-token during the run).
  const device = VehicleWithToken.parse(
    await (await apiCall(t.base, admin, 'POST', '/vehicles', { name: 'Fuzz device' })).json(),
  );
  deviceToken = device.deviceToken;
  deviceIdentifier = device.vehicle.deviceIdentifier;
  const created = async (path: string, body: unknown) => {
    const res = await apiCall(t.base, admin, 'POST', path, body);
    if (res.status !== 201) throw new Error(`fixture ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  real['geofences'] = Geofence.parse(await created('/geofences', GEOFENCE)).id;
  real['webhooks'] = WebhookWithSecret.parse(
    await created('/webhooks', { url: 'https://hooks.example.com/fuzz' }),
  ).webhook.id;
  const link = ShareLinkCreated.parse(await created(`/vehicles/${real['vehicles']}/share-links`, { name: 'fuzz' }));
  real['share-links'] = link.shareLink.id;
  real['shared'] = link.token;
});

afterAll(async () => {
  await t?.api.stop();
  await testDb?.drop();
});

const GEOFENCE = { name: 'Depot', kind: 'circle', center: { lat: 40.4, lon: -3.7 }, radiusM: 200 };

/**
 * A valid body for each documented route that takes one; each field is then replaced by each hostile
 * value. Passwords are wrong on purpose: a hostile value must not sign anyone in or change a password.
 */
const BASE_BODIES: Record<string, Record<string, unknown>> = {
  'post /api/v1/positions': { ts: '2026-01-01T00:00:00Z', lat: 40.4, lon: -3.7, speed: 10 },
  'post /api/v1/osmand': { id: 'IDENT', lat: '40.4', lon: '-3.7', timestamp: '1767225600' },
  'post /api/v1/owntracks': { _type: 'location', lat: 40.4, lon: -3.7, tst: 1767225600 },
  'post /api/v1/overland': {
    locations: [
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [-3.7, 40.4] },
        properties: { timestamp: '2026-01-01T00:00:00Z', speed: 3 },
      },
    ],
  },
  'post /api/v1/auth/login': { email: 'viewer@fz.example', password: 'not-the-password', client: 'mobile' },
  'post /api/v1/auth/refresh': { refreshToken: 'not-a-refresh-token', client: 'mobile' },
  'post /api/v1/auth/logout': { refreshToken: 'not-a-refresh-token', client: 'mobile' },
  'post /api/v1/auth/password': { currentPassword: 'not-the-password', newPassword: 'another-password-1' },
  'post /api/v1/auth/accept-invitation': { token: 'not-an-invitation-token', password: 'a-long-password-1' },
  'post /api/v1/users/invitations': { email: 'invitee@fz.example', name: 'Invitee', role: 'viewer' },
  'patch /api/v1/users/:id': { name: 'Viewer', role: 'viewer', disabled: false, groupIds: [] },
  'post /api/v1/vehicles': {
    name: 'Van',
    plate: 'AB-12',
    type: 'van',
    speedLimitKmh: 90,
    color: '#336699',
    icon: 'van',
    attributes: { fleet: 'north', seats: 3 },
    groupId: null,
  },
  'patch /api/v1/vehicles/:id': { name: 'Van', plate: 'AB-12', speedLimitKmh: 90, attributes: { fleet: 'north' } },
  'post /api/v1/groups': { name: 'Norte', parentId: null },
  'patch /api/v1/groups/:id': { name: 'Depot Norte', parentId: null },
  'post /api/v1/drivers': {
    name: 'Ana Pérez',
    licenceNumber: 'B-123',
    licenceExpiresOn: '2030-05-31',
    uniqueId: '01000000ABCDEF2D',
    phone: '+34 600 000 000',
    notes: 'night shifts',
  },
  'patch /api/v1/drivers/:id': { name: 'Ana', uniqueId: 'CARD-2', licenceExpiresOn: null, notes: 'days' },
  'put /api/v1/vehicles/:id/driver': { driverId: '00000000-0000-4000-8000-000000000001' },
  'post /api/v1/geofences': { ...GEOFENCE, attributes: { zone: 'a' } },
  'patch /api/v1/geofences/:id': { name: 'Depot', radiusM: 300, attributes: { zone: 'b' } },
  'post /api/v1/webhooks': { url: 'https://hooks.example.com/x', eventTypes: ['overspeed'], enabled: true },
  'patch /api/v1/webhooks/:id': { url: 'https://hooks.example.com/y', eventTypes: ['overspeed'], enabled: true },
  'patch /api/v1/organization': { name: 'Fuzz org', positionRetentionDays: 30, eventRetentionDays: 30 },
  'put /api/v1/organization/tracker-settings': { distanceFilterMeters: 50, heartbeatSeconds: 300 },
  'put /api/v1/vehicles/:id/tracker-settings': { timeIntervalSeconds: 10, uploadBatchSize: 1000 },
  'post /api/v1/push-tokens': { token: 'ExponentPushToken[fuzz-1]', eventTypes: ['overspeed'], language: 'es' },
  'post /api/v1/vehicles/:id/share-links': { name: 'Link', expiresInMinutes: 60 },
  'post /api/v1/vehicles/:id/commands': { text: 'getinfo' },
  'post /api/v1/notification-rules': {
    name: 'Overspeed',
    eventTypes: ['overspeed'],
    targets: { email: 'ops@fz.example', telegramChatId: '-1001234567' },
    language: 'es',
    timeZone: 'Europe/Madrid',
    quietHours: { start: '22:00', end: '07:00', mode: 'defer' },
    enabled: true,
  },
  'patch /api/v1/notification-rules/:id': {
    name: 'Overspeed',
    eventTypes: ['overspeed'],
    targets: { email: 'ops@fz.example' },
    quietHours: { start: '22:00', end: '07:00', mode: 'skip' },
    enabled: false,
  },
  'post /api/v1/report-schedules': {
    name: 'Daily events',
    kind: 'events',
    recipients: ['ops@fz.example'],
    timing: { frequency: 'weekly', weekday: 1, hour: 7 },
    timeZone: 'Europe/Madrid',
    language: 'es',
    enabled: true,
  },
  'patch /api/v1/report-schedules/:id': {
    name: 'Monthly events',
    timing: { frequency: 'monthly', dayOfMonth: 31, hour: 6 },
    enabled: false,
  },
  'post /api/v1/maintenance/rules': {
    name: 'Oil',
    vehicleId: null,
    groupId: null,
    everyKm: 15000,
    everyEngineHours: 250,
    everyMonths: 12,
    notifyBeforeKm: 500,
    notifyBeforeEngineHours: 10,
    notifyBeforeDays: 14,
    enabled: true,
  },
  'patch /api/v1/maintenance/rules/:id': {
    name: 'Oil and filters',
    everyKm: 20000,
    notifyBeforeDays: 7,
    enabled: false,
  },
  'post /api/v1/vehicles/:id/maintenance/records': {
    ruleId: '00000000-0000-4000-8000-000000000001',
    note: 'oil changed',
    doneAt: '2026-01-01T00:00:00Z',
  },
  'post /api/v1/platform/organizations': {
    name: 'Fuzzed organization',
    slug: 'fuzzed-org',
    adminEmail: 'first@fuzzed.example',
    adminName: 'First',
    adminPassword: 'a-long-password-1',
  },
};

const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
// Raw JSON that JSON.stringify cannot produce: placeholders replaced in the serialised text.
const RAW: Record<string, string> = {
  '\u0001BIG': '9999999999999999999',
  '\u0001DEEP': deep(10_000),
  '\u0001DEEP_OBJECT': '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000),
};
const toJson = (value: unknown) =>
  JSON.stringify(value).replace(/"\\u0001([A-Z_]+)"/g, (_m, name: string) => RAW[`\u0001${name}`]);

/** The edge classes as JSON values. */
const BODY_VALUES: unknown[] = [
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '',
  'x'.repeat(20_000),
  1e308,
  -1e308,
  1e-50,
  2 ** 63,
  '\u0001BIG',
  '\u0001DEEP',
  '\u0001DEEP_OBJECT',
  null,
];

/** The edge classes in a query string, already percent-encoded (or deliberately not). */
const QUERY_VALUES: string[] = [
  'a%00b',
  '%ED%A0%80',
  '%E0%A4%A',
  '',
  'x'.repeat(8_000),
  '1e308',
  '-1e308',
  '1e-50',
  '9223372036854775808',
  '9999999999999999999',
];

/** The edge classes as a path segment. */
const PATH_VALUES: string[] = [
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%E0%A4%A',
  '%2e%2e',
  'x'.repeat(4_000),
  '1e308',
  '9999999999999999999',
  '-1',
  '00000000-0000-0000-0000-000000000000%00',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

const key = (r: RouteDoc) => `${r.method} ${r.path}`;
const withBody = (r: RouteDoc) => r.method === 'post' || r.method === 'patch' || r.method === 'put';

interface Attempt {
  route: RouteDoc;
  /** Raw path segment replacing `:id` / `:token`; undefined uses the real fixture (never on DELETE). */
  id?: string;
  query?: string;
  body?: string;
  contentType?: string;
  /** A Content-Encoding the body does not have. */
  encoding?: string;
}

function pathOf(route: RouteDoc, id: string | undefined) {
  return route.path.replace(/:(id|token)\b/, () => {
    if (id !== undefined) return id;
    const collection = route.path.split('/')[3] ?? '';
    return real[collection] ?? real['vehicles'];
  });
}

function headersOf(route: RouteDoc, contentType: string | undefined): Record<string, string> {
  const type: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  switch (route.security) {
    case 'user':
      return { authorization: `Bearer ${admin}`, ...type };
    case 'device':
    case 'device-or-user':
      return { authorization: `Bearer ${deviceToken}`, ...type };
    case 'basic-device':
      return { authorization: `Basic ${Buffer.from(`fuzz:${deviceToken}`).toString('base64')}`, ...type };
    case 'none':
    case 'device-identifier':
      return type;
    default:
      // Platform administration, and any future scheme.
      return { authorization: `Bearer ${PLATFORM_TOKEN}`, ...type };
  }
}

/** Sends one attempt; resolves with a description of a 5xx (or of a crash), undefined otherwise. */
async function attempt(a: Attempt): Promise<string | undefined> {
  const path = pathOf(a.route, a.route.method === 'delete' ? (a.id ?? PATH_VALUES[0]) : a.id);
  const query = a.route.security === 'device-identifier' ? `id=${deviceIdentifier}&${a.query ?? ''}` : a.query;
  const url = `${t.base}${path}${query ? `?${query}` : ''}`;
  const controller = new AbortController();
  const what = `${a.route.method.toUpperCase()} ${url.slice(t.base.length, t.base.length + 160)} body ${(a.body ?? '').slice(0, 120)}`;
  try {
    const res = await fetch(url, {
      method: a.route.method.toUpperCase(),
      headers: {
        ...headersOf(a.route, a.body === undefined ? undefined : (a.contentType ?? 'application/json')),
        ...(a.encoding ? { 'content-encoding': a.encoding } : {}),
      },
      body: a.body,
      signal: controller.signal,
    });
    // A stream that opened is a success: close it rather than wait for it to end.
    const text = res.headers.get('content-type')?.startsWith('text/event-stream') ? '' : await res.text();
    controller.abort();
    return res.status >= 500 ? `${what} → ${res.status}: ${text.slice(0, 200)}` : undefined;
  } catch (err) {
    return `${what} → ${String(err)}`;
  }
}

/** Every attempt of the edge-class matrix for one route. */
function matrix(route: RouteDoc): Attempt[] {
  const attempts: Attempt[] = [];
  const queryKeys = [...Object.keys(route.query?.shape ?? {}), 'unknown'];
  for (const name of queryKeys) for (const value of QUERY_VALUES) attempts.push({ route, query: `${name}=${value}` });
  attempts.push({ route, query: QUERY_VALUES.map((v, i) => `${queryKeys[i % queryKeys.length]}=${v}`).join('&') });
  if (/:(id|token)\b/.test(route.path)) for (const id of PATH_VALUES) attempts.push({ route, id });
  if (withBody(route)) {
    const base = JSON.parse(
      JSON.stringify(BASE_BODIES[key(route)] ?? {}).replace('"IDENT"', JSON.stringify(deviceIdentifier)),
    );
    const fields = Object.keys(base);
    for (const value of BODY_VALUES) {
      attempts.push({ route, body: toJson(value) });
      attempts.push({ route, body: toJson({ ...base, ['k\u0000' + String(fields.length)]: value }) });
      for (const field of fields) {
        attempts.push({ route, body: toJson({ ...base, [field]: value }) });
        const inner = base[field];
        if (inner !== null && typeof inner === 'object' && !Array.isArray(inner))
          attempts.push({ route, body: toJson({ ...base, [field]: { ...inner, note: value, ['\ud800']: 1 } }) });
      }
    }
  }
  if (withBody(route))
    for (const encoding of ['gzip', 'deflate', 'br'])
      attempts.push({ route, encoding, contentType: route.bodyContentType, body: 'not compressed' });
  if (route.bodyContentType === 'application/gpx+xml') {
    const gpx = (inner: string) => `<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>${inner}</trkseg></trk></gpx>`;
    for (const value of ['1e308', '-1e308', '1e-50', '9999999999999999999', '', 'x'.repeat(10_000)])
      attempts.push({
        route,
        contentType: route.bodyContentType,
        body: gpx(`<trkpt lat="40.4" lon="-3.7"><ele>${value}</ele><time>2026-01-01T00:00:00Z</time></trkpt>`),
      });
    attempts.push({ route, contentType: route.bodyContentType, body: gpx('<name>a\u0000b</name>') });
    attempts.push({ route, contentType: route.bodyContentType, body: gpx('<x>'.repeat(20_000)) });
  }
  return attempts;
}

/** Runs attempts a few at a time; returns every failure. */
async function run(attempts: Attempt[], concurrency = 6): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < attempts.length) {
        const failure = await attempt(attempts[next++]);
        if (failure) failures.push(failure);
      }
    }),
  );
  return failures;
}

const documented: RouteDoc[] = Object.values(ENDPOINTS);

describe('edge classes on every documented route', () => {
  it('covers the whole route table, with a valid base body for every JSON body', () => {
    expect(documented.length).toBeGreaterThan(40);
    const missing = documented.filter((r) => r.body && !BASE_BODIES[key(r)] && withBody(r)).map(key);
    expect(missing).toEqual([]);
  });

  it.each(documented.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))(
    '%s never answers 5xx',
    async (_name, route) => {
      const failures = await run(matrix(route));
      expect(failures).toEqual([]);
    },
  );
});

const hostile = fc.oneof(
  fc.string(),
  fc.constantFrom('', ' ', 'NaN', 'Infinity', '-1', '0', '1e309', '99999999999999999999', '2026-13-45', ',,,'),
  fc.constantFrom("' OR 1=1 --", '%00', '../../etc/passwd', '{"a":1}', '[]', 'null', 'true', '\u0000', '😀'),
  fc.integer().map(String),
  fc.double().map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

function queryOf(route: RouteDoc) {
  const known = Object.keys(route.query?.shape ?? {});
  const name = known.length
    ? fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 8 }))
    : fc.string({ maxLength: 8 });
  return fc.array(fc.tuple(name, hostile), { maxLength: 5 });
}

const idOf = fc.oneof(
  fc.constant(undefined),
  fc.uuid(),
  fc.constantFrom('not-a-uuid', '0', '%2e%2e', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
);

describe('random query strings, ids and bodies on every documented route', () => {
  it.each(documented.filter((r) => r.path.startsWith('/api/v1/')).map((r) => [key(r), r] as const))(
    '%s never answers 5xx',
    async (_name, route) => {
      await fc.assert(
        fc.asyncProperty(
          queryOf(route),
          idOf,
          fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.string({ maxLength: 10 }), hostile)),
          async (query, id, body) => {
            const failure = await attempt({
              route,
              id: id === undefined ? undefined : encodeURIComponent(id),
              query: new URLSearchParams(query).toString(),
              body: withBody(route) ? JSON.stringify(body) : undefined,
            });
            if (failure) throw new Error(failure);
          },
        ),
        { numRuns: 5 },
      );
    },
  );
});
