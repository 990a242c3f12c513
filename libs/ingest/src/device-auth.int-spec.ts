import { createFleet, createTestDatabase, type TestDatabase, type TestVehicle } from '@fleet/db/testing';
import { createLogger } from '@fleet/logging-json';
import IORedis from 'ioredis';
import pg from 'pg';
import client from 'prom-client';
import { BASIC_CHALLENGE, DeviceAuth, type SignedInUser } from './device-auth';
import { DeviceDirectory } from './devices';
import { IngestPipeline } from './pipeline';
import { refuse, Refusal } from './protocols/http';

/** The refusal a call throws (fails the test when it resolves or throws anything else). */
async function refusalOf(work: Promise<unknown>): Promise<Refusal> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Refusal);
  return err as Refusal;
}

describe('DeviceAuth: who may send for which device, every refusal counted', () => {
  jest.setTimeout(30_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  // Never connected: refusals are counted by the pipeline before anything is staged or published.
  const redis = new IORedis('redis://127.0.0.1:6379', { lazyConnect: true });
  const registry = new client.Registry();
  let auth: DeviceAuth;
  let a: TestVehicle[];
  let b: TestVehicle[];

  const rejected = async (protocol: string, reason: string) => {
    const metric = (await registry.getSingleMetric('positions_rejected_total')?.get())?.values ?? [];
    return metric.find((v) => v.labels['protocol'] === protocol && v.labels['reason'] === reason)?.value ?? 0;
  };

  beforeAll(async () => {
    testDb = await createTestDatabase('ingest-device-auth');
    pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
    a = await createFleet(testDb.url, { count: 3, slug: 'auth-a' });
    b = await createFleet(testDb.url, { count: 1, slug: 'auth-b' });
    await pool.query('UPDATE vehicles SET device_disabled_at = now() WHERE id = $1', [a[2].id]);
    await pool.query(`UPDATE organizations SET settings = settings || '{"osmandTokenRequired": true}' WHERE id = $1`, [
      b[0].organizationId,
    ]);
    const pipeline = new IngestPipeline({
      pool,
      redis,
      logger: createLogger({ service: 'test', level: 'error' }),
      registry,
      names: { stream: 's', group: 'g', deadLetter: 'd' },
      streamMaxLen: 1000,
      maxFutureMs: 600_000,
      maxConcurrentCommits: 1,
    });
    auth = new DeviceAuth(new DeviceDirectory(pool), pipeline);
  });
  afterAll(async () => {
    redis.disconnect();
    await pool?.end();
    await testDb?.drop();
  });

  it('by device token: the device, or 401 with the protocol’s challenge, or 403 disabled', async () => {
    expect(await auth.byToken('owntracks', a[0].token, BASIC_CHALLENGE)).toMatchObject({
      vehicleId: a[0].id,
      identifier: a[0].identifier,
    });
    const missing = await refusalOf(auth.byToken('owntracks', undefined, BASIC_CHALLENGE));
    expect(missing).toMatchObject({ kind: 'unauthorized', extra: { challenge: BASIC_CHALLENGE } });
    expect(missing.message).toMatch(/device token is required/);
    const unknown = await refusalOf(auth.byToken('json', 'not-a-token'));
    expect(unknown).toMatchObject({ kind: 'unauthorized', message: 'unknown device token', extra: {} });
    expect(await rejected('owntracks', 'unauthorized')).toBe(1);
    expect(await rejected('json', 'unauthorized')).toBe(1);
    expect(await refusalOf(auth.byToken('json', a[2].token))).toMatchObject({ kind: 'forbidden' });
    expect(await rejected('json', 'disabled_device')).toBe(1);
  });

  it('by OsmAnd identifier: the token decides when sent, the organization when not; each refusal counted per position', async () => {
    const unknown = () => refuse.badRequest('unknown device');
    const lookup = (identifier: string, token?: string) => ({ identifier, token, count: 3, unknown });
    expect((await auth.forOsmAnd('osmand', lookup(a[0].identifier))).vehicleId).toBe(a[0].id);
    expect((await auth.forOsmAnd('osmand', lookup(a[0].identifier, a[0].token))).vehicleId).toBe(a[0].id);
    const another = await refusalOf(auth.forOsmAnd('osmand', lookup(a[0].identifier, a[1].token)));
    expect(another).toMatchObject({ kind: 'unauthorized', extra: { challenge: BASIC_CHALLENGE } });
    expect(another.message).toMatch(/another device identifier/);
    const required = await refusalOf(auth.forOsmAnd('osmand', lookup(b[0].identifier)));
    expect(required.message).toMatch(/requires its device token/);
    expect(await rejected('osmand', 'unauthorized')).toBe(6);
    expect((await auth.forOsmAnd('osmand', lookup(b[0].identifier, b[0].token))).vehicleId).toBe(b[0].id);
    expect(await refusalOf(auth.forOsmAnd('osmand', lookup('nobody')))).toMatchObject({
      kind: 'bad_request',
      message: 'unknown device',
    });
    expect(await rejected('osmand', 'unknown_device')).toBe(3);
    expect(await refusalOf(auth.forOsmAnd('traccar_json', lookup(a[2].identifier)))).toMatchObject({
      kind: 'forbidden',
    });
    expect(await rejected('traccar_json', 'disabled_device')).toBe(3);
  });

  it('for a vehicle: its own device token, or a signed-in admin or operator of its organization', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    const noUser = () => Promise.reject(new Error('the device token path must not ask for a user'));
    const as = (user: SignedInUser) => () => Promise.resolve(user);
    const org = a[0].organizationId;

    expect((await auth.forVehicle('gpx', a[0].id, { token: a[0].token, verifyUser: noUser })).vehicleId).toBe(a[0].id);
    expect(await refusalOf(auth.forVehicle('gpx', a[0].id, { token: a[1].token, verifyUser: noUser }))).toMatchObject({
      kind: 'not_found',
      extra: { subject: 'vehicle' },
    });
    expect(await refusalOf(auth.forVehicle('gpx', a[0].id, { token: undefined, verifyUser: noUser }))).toMatchObject({
      kind: 'unauthorized',
    });
    expect(await rejected('gpx', 'unauthorized')).toBe(1);

    const operator = as({ role: 'operator', org });
    expect((await auth.forVehicle('gpx', a[1].id, { token: jwt, verifyUser: operator })).vehicleId).toBe(a[1].id);
    expect(await refusalOf(auth.forVehicle('gpx', b[0].id, { token: jwt, verifyUser: operator }))).toMatchObject({
      kind: 'not_found',
    });
    expect(await refusalOf(auth.forVehicle('gpx', 'not-a-uuid', { token: jwt, verifyUser: operator }))).toMatchObject({
      kind: 'not_found',
    });
    expect(
      await refusalOf(auth.forVehicle('gpx', a[1].id, { token: jwt, verifyUser: as({ role: 'viewer', org }) })),
    ).toMatchObject({ kind: 'forbidden', message: 'needs the role admin or operator' });
    // The verifier's own refusal (the API's 401 or 503) passes through untouched.
    const expired = new Error('access token expired');
    await expect(
      auth.forVehicle('gpx', a[1].id, { token: jwt, verifyUser: () => Promise.reject(expired) }),
    ).rejects.toBe(expired);
  });
});
