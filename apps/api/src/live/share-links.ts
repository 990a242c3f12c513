import { generateDeviceToken, hashDeviceToken } from '@fleet/auth';
import {
  SHARE_LINK_DEFAULT_MINUTES,
  SHARE_LINK_MAX_MINUTES,
  type ShareLink,
  type ShareLinkCreated,
  type ShareLinkInput,
  type SharedPosition,
} from '@fleet/contracts';
import { schema, type Database, type Pool } from '@fleet/db';
import { VehicleStates } from '@fleet/live';
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { invalid, notFound } from '../errors';
import { isUuid } from '../sql';
import { findVehicle, vehicleIdInScope, type VehicleScope } from '../groups/scope';

const { shareLinks, vehicles } = schema;

const COLUMNS = {
  id: shareLinks.id,
  vehicleId: shareLinks.vehicleId,
  name: shareLinks.name,
  expiresAt: shareLinks.expiresAt,
  revokedAt: shareLinks.revokedAt,
  createdAt: shareLinks.createdAt,
  createdBy: shareLinks.createdBy,
};
interface Row {
  id: string;
  vehicleId: string;
  name: string;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
  createdBy: string | null;
}

const toShareLink = (r: Row, now = Date.now()): ShareLink => ({
  id: r.id,
  vehicleId: r.vehicleId,
  name: r.name,
  expiresAt: r.expiresAt.toISOString(),
  revokedAt: r.revokedAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
  createdBy: r.createdBy,
  status: r.revokedAt ? 'revoked' : r.expiresAt.getTime() <= now ? 'expired' : 'active',
});

/** What a valid public token opens: one vehicle of one organization, until `expiresAt`. */
export interface ResolvedShareLink {
  id: string;
  organizationId: string;
  vehicleId: string;
  vehicleName: string;
  expiresAt: Date;
}

/** A share-link token as issued: 32 random bytes, base64url. Anything else is not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Links listed per vehicle, newest first (revoked and expired ones included, for the record). */
const LIST_LIMIT = 100;

/**
 * Share links: an expiring, revocable, read-only public link to one vehicle's live position. The
 * token is shown once at creation; only its SHA-256 is stored (32 random bytes need no slow hash),
 * so a database leak reveals no working link.
 */
export class ShareLinks {
  private readonly db: Database;
  private readonly states: VehicleStates;

  constructor(pool: Pool) {
    this.states = new VehicleStates(pool);
    this.db = this.states.db;
  }

  async create(
    scope: VehicleScope,
    createdBy: string,
    vehicleId: string,
    input: ShareLinkInput,
    now = Date.now(),
  ): Promise<ShareLinkCreated> {
    const org = scope.org;
    await findVehicle(this.db, scope, vehicleId);
    const expiresAt = expiryOf(input, now);
    const token = generateDeviceToken();
    const [row] = await this.db
      .insert(shareLinks)
      .values({
        organizationId: org,
        vehicleId,
        tokenHash: hashDeviceToken(token),
        name: input.name,
        expiresAt,
        createdBy,
      })
      .returning(COLUMNS);
    if (!row) throw new Error('share link insert returned no row');
    return { shareLink: toShareLink(row, now), token, path: `/api/v1/shared/${token}` };
  }

  async list(scope: VehicleScope, vehicleId: string): Promise<ShareLink[]> {
    const org = scope.org;
    await findVehicle(this.db, scope, vehicleId);
    const rows = await this.db
      .select(COLUMNS)
      .from(shareLinks)
      .where(and(eq(shareLinks.organizationId, org), eq(shareLinks.vehicleId, vehicleId)))
      .orderBy(desc(shareLinks.createdAt), shareLinks.id)
      .limit(LIST_LIMIT);
    const now = Date.now();
    return rows.map((r) => toShareLink(r, now));
  }

  /**
   * Revokes at once (open streams close at their next check); revoking twice is harmless. A link of a
   * vehicle outside the caller's groups is "not found".
   */
  async revoke(scope: VehicleScope, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('share link');
    const { rowCount } = await this.db
      .update(shareLinks)
      .set({ revokedAt: sql`coalesce(${shareLinks.revokedAt}, now())` })
      .where(
        and(
          eq(shareLinks.id, id),
          eq(shareLinks.organizationId, scope.org),
          vehicleIdInScope(scope, shareLinks.vehicleId),
        ),
      );
    if (!rowCount) throw notFound('share link');
  }

  /** The link a public token opens; unknown, revoked and expired tokens are all just "not found". */
  async resolve(token: string): Promise<ResolvedShareLink> {
    if (!TOKEN_SHAPE.test(token)) throw notFound('share link');
    const [link] = await this.db
      .select({
        id: shareLinks.id,
        organizationId: shareLinks.organizationId,
        vehicleId: shareLinks.vehicleId,
        vehicleName: vehicles.name,
        expiresAt: shareLinks.expiresAt,
      })
      .from(shareLinks)
      .innerJoin(
        vehicles,
        and(eq(vehicles.id, shareLinks.vehicleId), eq(vehicles.organizationId, shareLinks.organizationId)),
      )
      .where(and(eq(shareLinks.tokenHash, hashDeviceToken(token)), stillOpen));
    if (!link) throw notFound('share link');
    return link;
  }

  /** Still neither revoked, expired nor deleted (with its vehicle)? Asked periodically by open streams. */
  async isValid(id: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: shareLinks.id })
      .from(shareLinks)
      .where(and(eq(shareLinks.id, id), stillOpen));
    return rows.length === 1;
  }

  /** The vehicle's latest fix, from vehicle_state (one primary-key read), as a link shows it. */
  async latest(vehicleId: string): Promise<SharedPosition | null> {
    const p = await this.states.ofVehicle(vehicleId);
    return p && sharedPosition(p);
  }
}

/** What a share link shows of a fix: where and how fast, nothing else (no battery, no attributes). */
export const sharedPosition = (p: SharedPosition): SharedPosition => ({
  ts: p.ts,
  lat: p.lat,
  lon: p.lon,
  speedKmh: p.speedKmh,
  heading: p.heading,
});

/** Neither revoked nor expired (`now()` of the database, like every expiry check). */
const stillOpen = and(isNull(shareLinks.revokedAt), gt(shareLinks.expiresAt, sql`now()`));

function expiryOf(input: ShareLinkInput, now: number): Date {
  if (input.expiresAt === undefined) {
    return new Date(now + (input.expiresInMinutes ?? SHARE_LINK_DEFAULT_MINUTES) * 60_000);
  }
  const at = Date.parse(input.expiresAt);
  const detail = (message: string) => invalid('request is not valid', [{ path: 'expiresAt', message }]);
  if (at <= now) throw detail('must be in the future');
  if (at > now + SHARE_LINK_MAX_MINUTES * 60_000) throw detail('must be within 30 days');
  return new Date(at);
}
