import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { dummyPasswordHash, hashPassword, verifyPassword, type Role, type TokenService } from '@fleet/auth';
import type { Me } from '@fleet/contracts';
import type { Pool, PoolClient } from 'pg';
import client from 'prom-client';
import { AppError } from '../errors';
import type { SessionVersions } from './revocation';

export interface IssuedSession {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  user: Me;
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  disabled: boolean;
  session_version: number;
  organization_id: string;
  organization_name: string;
}

const USER_SELECT = `SELECT u.id, u.email, u.name, u.role, u.password_hash, u.disabled_at IS NOT NULL AS disabled,
       u.session_version,
       o.id AS organization_id, o.name AS organization_name
  FROM users u JOIN organizations o ON o.id = u.organization_id`;

const hashRefresh = (token: string) => createHash('sha256').update(token).digest('hex');
const invalidLogin = () => new AppError(401, 'unauthorized', 'invalid email or password');
const toMe = (u: UserRow): Me => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  organization: { id: u.organization_id, name: u.organization_name },
});

/**
 * Sign-in, refresh, sign-out and password change. Refresh tokens rotate on every use; a token used
 * twice means it leaked, and its whole family (every token descended from that sign-in) is revoked.
 */
export class Sessions {
  private readonly passwordChecks?: client.Counter;

  constructor(
    private readonly pool: Pool,
    private readonly tokens: TokenService,
    private readonly options: { refreshTtlDays: number; versions: SessionVersions; registry?: client.Registry },
  ) {
    if (options.registry)
      this.passwordChecks = new client.Counter({
        name: 'auth_password_checks_total',
        help: 'Passwords checked at sign-in (each one a guess an attacker got to try); the login limit bounds it per account',
        registers: [options.registry],
      });
  }

  async login(email: string, password: string): Promise<IssuedSession> {
    const res = await this.pool.query<UserRow>(`${USER_SELECT} WHERE lower(u.email) = lower($1)`, [email]);
    const user = res.rows[0];
    // Verify against something even for an unknown account: equal timing, no user enumeration.
    this.passwordChecks?.inc();
    const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), password);
    if (!user || !ok || user.disabled) throw invalidLogin();
    return this.issue(user, randomUUID());
  }

  async refresh(refreshToken: string): Promise<IssuedSession> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const found = await client.query<{
        id: string;
        user_id: string;
        family_id: string;
        expired: boolean;
        used: boolean;
      }>(
        `SELECT id, user_id, family_id, expires_at < now() AS expired, (replaced_at IS NOT NULL OR revoked_at IS NOT NULL) AS used
           FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
        [hashRefresh(refreshToken)],
      );
      const row = found.rows[0];
      if (!row) throw new AppError(401, 'unauthorized', 'refresh token not recognised; sign in again');
      if (row.used) {
        await client.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [
          row.family_id,
        ]);
        await client.query('COMMIT');
        throw new AppError(
          401,
          'unauthorized',
          'refresh token already used: every session of this sign-in is revoked, sign in again',
        );
      }
      if (row.expired) throw new AppError(401, 'unauthorized', 'refresh token expired; sign in again');
      const userRes = await client.query<UserRow>(`${USER_SELECT} WHERE u.id = $1`, [row.user_id]);
      const user = userRes.rows[0];
      if (!user || user.disabled) throw new AppError(401, 'unauthorized', 'account disabled');
      await client.query('UPDATE refresh_tokens SET replaced_at = now() WHERE id = $1', [row.id]);
      const session = await this.issue(user, row.family_id, client);
      await client.query('COMMIT');
      return session;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Revokes the sign-in this refresh token belongs to. Unknown tokens are ignored. */
  async logout(refreshToken: string): Promise<void> {
    await this.pool.query(
      `UPDATE refresh_tokens SET revoked_at = now()
        WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)`,
      [hashRefresh(refreshToken)],
    );
  }

  async me(userId: string): Promise<Me> {
    const res = await this.pool.query<UserRow>(`${USER_SELECT} WHERE u.id = $1 AND u.disabled_at IS NULL`, [userId]);
    if (!res.rows[0]) throw new AppError(401, 'unauthorized', 'account not found or disabled');
    return toMe(res.rows[0]);
  }

  /**
   * Changes the password and signs the user out everywhere (every refresh token revoked, every
   * access token refused from the next request); the caller gets a fresh session in exchange.
   */
  async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<IssuedSession> {
    const res = await this.pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [
      userId,
    ]);
    if (!res.rows[0] || !(await verifyPassword(res.rows[0].password_hash, currentPassword))) {
      throw new AppError(403, 'forbidden', 'current password is wrong');
    }
    const newHash = await hashPassword(newPassword);
    const db = await this.pool.connect();
    let session: IssuedSession;
    let version: number | undefined;
    try {
      await db.query('BEGIN');
      await db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [userId, newHash]);
      await db.query('UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [
        userId,
      ]);
      version = await this.options.versions.raise(db, userId);
      const user = (await db.query<UserRow>(`${USER_SELECT} WHERE u.id = $1`, [userId])).rows[0];
      if (!user || user.disabled) throw new AppError(401, 'unauthorized', 'account not found or disabled');
      session = await this.issue(user, randomUUID(), db);
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
    if (version !== undefined) await this.options.versions.announce(userId, version);
    return session;
  }

  private async issue(user: UserRow, familyId: string, client: Pool | PoolClient = this.pool): Promise<IssuedSession> {
    const refreshToken = randomBytes(32).toString('base64url');
    await client.query(
      `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(days => $4))`,
      [user.id, familyId, hashRefresh(refreshToken), this.options.refreshTtlDays],
    );
    const accessToken = await this.tokens.sign({
      sub: user.id,
      org: user.organization_id,
      role: user.role,
      sv: user.session_version,
    });
    return { accessToken, expiresIn: this.tokens.accessTtlSeconds, refreshToken, user: toMe(user) };
  }
}
