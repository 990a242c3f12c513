import { generateDeviceToken, hashDeviceToken } from '@fleet/auth';
import {
  SHARE_LINK_DEFAULT_MINUTES,
  SHARE_LINK_MAX_MINUTES,
  type ShareLink,
  type ShareLinkCreated,
  type ShareLinkInput,
  type SharedPosition,
} from '@fleet/contracts';
import type { Pool } from 'pg';
import { AppError, notFound } from '../errors';
import { isUuid } from '../sql';

interface Row {
  id: string;
  vehicle_id: string;
  name: string;
  expires_at: Date;
  revoked_at: Date | null;
  created_at: Date;
  created_by: string | null;
}

const COLUMNS = 'id, vehicle_id, name, expires_at, revoked_at, created_at, created_by';

const toShareLink = (r: Row, now = Date.now()): ShareLink => ({
  id: r.id,
  vehicleId: r.vehicle_id,
  name: r.name,
  expiresAt: r.expires_at.toISOString(),
  revokedAt: r.revoked_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  status: r.revoked_at ? 'revoked' : r.expires_at.getTime() <= now ? 'expired' : 'active',
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
  constructor(private readonly pool: Pool) {}

  async create(
    org: string,
    createdBy: string,
    vehicleId: string,
    input: ShareLinkInput,
    now = Date.now(),
  ): Promise<ShareLinkCreated> {
    await this.vehicleOf(org, vehicleId);
    const expiresAt = expiryOf(input, now);
    const token = generateDeviceToken();
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO share_links (organization_id, vehicle_id, token_hash, name, expires_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [org, vehicleId, hashDeviceToken(token), input.name, expiresAt, createdBy],
    );
    return { shareLink: toShareLink(rows[0], now), token, path: `/api/v1/shared/${token}` };
  }

  async list(org: string, vehicleId: string): Promise<ShareLink[]> {
    await this.vehicleOf(org, vehicleId);
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM share_links WHERE organization_id = $1 AND vehicle_id = $2
        ORDER BY created_at DESC, id LIMIT ${LIST_LIMIT}`,
      [org, vehicleId],
    );
    const now = Date.now();
    return rows.map((r) => toShareLink(r, now));
  }

  /** Revokes at once (open streams close at their next check); revoking twice is harmless. */
  async revoke(org: string, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('share link');
    const { rowCount } = await this.pool.query(
      'UPDATE share_links SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND organization_id = $2',
      [id, org],
    );
    if (!rowCount) throw notFound('share link');
  }

  /** The link a public token opens; unknown, revoked and expired tokens are all just "not found". */
  async resolve(token: string): Promise<ResolvedShareLink> {
    if (!TOKEN_SHAPE.test(token)) throw notFound('share link');
    const { rows } = await this.pool.query<{
      id: string;
      organization_id: string;
      vehicle_id: string;
      name: string;
      expires_at: Date;
    }>(
      `SELECT s.id, s.organization_id, s.vehicle_id, v.name, s.expires_at
         FROM share_links s JOIN vehicles v ON v.id = s.vehicle_id AND v.organization_id = s.organization_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`,
      [hashDeviceToken(token)],
    );
    const r = rows[0];
    if (!r) throw notFound('share link');
    return {
      id: r.id,
      organizationId: r.organization_id,
      vehicleId: r.vehicle_id,
      vehicleName: r.name,
      expiresAt: r.expires_at,
    };
  }

  /** Still neither revoked, expired nor deleted (with its vehicle)? Asked periodically by open streams. */
  async isValid(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'SELECT 1 FROM share_links WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()',
      [id],
    );
    return rowCount === 1;
  }

  /** The vehicle's latest fix, from vehicle_state (one primary-key read), as a link shows it. */
  async latest(vehicleId: string): Promise<SharedPosition | null> {
    const { rows } = await this.pool.query<{
      ts: Date;
      lat: number;
      lon: number;
      speed_kmh: number | null;
      heading: number | null;
    }>(
      'SELECT ts, ST_Y(point) AS lat, ST_X(point) AS lon, speed_kmh, heading FROM vehicle_state WHERE vehicle_id = $1',
      [vehicleId],
    );
    const r = rows[0];
    return r ? { ts: r.ts.toISOString(), lat: r.lat, lon: r.lon, speedKmh: r.speed_kmh, heading: r.heading } : null;
  }

  private async vehicleOf(org: string, vehicleId: string): Promise<void> {
    if (!isUuid(vehicleId)) throw notFound('vehicle');
    const { rowCount } = await this.pool.query('SELECT 1 FROM vehicles WHERE id = $1 AND organization_id = $2', [
      vehicleId,
      org,
    ]);
    if (!rowCount) throw notFound('vehicle');
  }
}

function expiryOf(input: ShareLinkInput, now: number): Date {
  if (input.expiresAt === undefined) {
    return new Date(now + (input.expiresInMinutes ?? SHARE_LINK_DEFAULT_MINUTES) * 60_000);
  }
  const at = Date.parse(input.expiresAt);
  const detail = (message: string) =>
    new AppError(400, 'validation_failed', 'request is not valid', [{ path: 'expiresAt', message }]);
  if (at <= now) throw detail('must be in the future');
  if (at > now + SHARE_LINK_MAX_MINUTES * 60_000) throw detail('must be within 30 days');
  return new Date(at);
}
