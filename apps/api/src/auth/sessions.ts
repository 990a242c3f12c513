import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { dummyPasswordHash, hashPassword, verifyPassword, type TokenService } from '@fleet/auth';
import type { Me } from '@fleet/contracts';
import { createDb, schema, withTransaction, type Database, type Pool } from '@fleet/db';
import { and, eq, isNull, sql } from 'drizzle-orm';
import client from 'prom-client';
import { forbidden, unauthorized } from '../errors';
import type { SessionVersions } from './revocation';

const { organizations, refreshTokens, users } = schema;

export interface IssuedSession {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  user: Me;
}

/** A user with their organization: what a session is issued for. */
const selectUser = (db: Database) =>
  db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      passwordHash: users.passwordHash,
      disabled: sql<boolean>`${users.disabledAt} IS NOT NULL`,
      sessionVersion: users.sessionVersion,
      organizationId: organizations.id,
      organizationName: organizations.name,
      groupIds: sql<string[]>`ARRAY(SELECT group_id FROM user_group_scopes WHERE user_id = ${users.id})`,
    })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.organizationId));
type UserRow = Awaited<ReturnType<typeof selectUser>>[number];

const hashRefresh = (token: string) => createHash('sha256').update(token).digest('hex');
const invalidLogin = () => unauthorized('invalid email or password');
const toMe = (u: UserRow): Me => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  organization: { id: u.organizationId, name: u.organizationName },
  // Admins are organization-wide whatever rows they may have.
  groupIds: u.role === 'admin' ? [] : u.groupIds,
});

/**
 * Sign-in, refresh, sign-out and password change. Refresh tokens rotate on every use; a token used
 * twice means it leaked, and its whole family (every token descended from that sign-in) is revoked.
 */
export class Sessions {
  private readonly passwordChecks?: client.Counter;
  private readonly db: Database;

  constructor(
    private readonly pool: Pool,
    private readonly tokens: TokenService,
    private readonly options: { refreshTtlDays: number; versions: SessionVersions; registry?: client.Registry },
  ) {
    this.db = createDb(pool);
    if (options.registry)
      this.passwordChecks = new client.Counter({
        name: 'auth_password_checks_total',
        help: 'Passwords checked at sign-in (each one a guess an attacker got to try); the login limit bounds it per account',
        registers: [options.registry],
      });
  }

  async login(email: string, password: string): Promise<IssuedSession> {
    const [user] = await selectUser(this.db).where(sql`lower(${users.email}) = lower(${email})`);
    // Verify against something even for an unknown account: equal timing, no user enumeration.
    this.passwordChecks?.inc();
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), password);
    if (!user || !ok || user.disabled) throw invalidLogin();
    return this.issue(this.db, user, randomUUID());
  }

  async refresh(refreshToken: string): Promise<IssuedSession> {
    const outcome = await withTransaction(this.pool, async (conn) => {
      const tx = createDb(conn);
      const [row] = await tx
        .select({
          id: refreshTokens.id,
          userId: refreshTokens.userId,
          familyId: refreshTokens.familyId,
          expired: sql<boolean>`${refreshTokens.expiresAt} < now()`,
          used: sql<boolean>`(${refreshTokens.replacedAt} IS NOT NULL OR ${refreshTokens.revokedAt} IS NOT NULL)`,
        })
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, hashRefresh(refreshToken)))
        .for('update');
      if (!row) throw unauthorized('refresh token not recognised; sign in again');
      if (row.used) {
        // Committed before the refusal: the family stays revoked.
        await tx
          .update(refreshTokens)
          .set({ revokedAt: sql`now()` })
          .where(and(eq(refreshTokens.familyId, row.familyId), isNull(refreshTokens.revokedAt)));
        return 'reused' as const;
      }
      if (row.expired) throw unauthorized('refresh token expired; sign in again');
      const [user] = await selectUser(tx).where(eq(users.id, row.userId));
      if (!user || user.disabled) throw unauthorized('account disabled');
      await tx
        .update(refreshTokens)
        .set({ replacedAt: sql`now()` })
        .where(eq(refreshTokens.id, row.id));
      return this.issue(tx, user, row.familyId);
    });
    if (outcome === 'reused')
      throw unauthorized('refresh token already used: every session of this sign-in is revoked, sign in again');
    return outcome;
  }

  /** Revokes the sign-in this refresh token belongs to. Unknown tokens are ignored. */
  async logout(refreshToken: string): Promise<void> {
    const family = this.db
      .select({ familyId: refreshTokens.familyId })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hashRefresh(refreshToken)));
    await this.db
      .update(refreshTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(isNull(refreshTokens.revokedAt), eq(refreshTokens.familyId, family)));
  }

  async me(userId: string): Promise<Me> {
    const [user] = await selectUser(this.db).where(and(eq(users.id, userId), isNull(users.disabledAt)));
    if (!user) throw unauthorized('account not found or disabled');
    return toMe(user);
  }

  /**
   * Changes the password and signs the user out everywhere (every refresh token revoked, every
   * access token refused from the next request); the caller gets a fresh session in exchange.
   */
  async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<IssuedSession> {
    const [current] = await this.db
      .select({ passwordHash: users.passwordHash })
      .from(users)
      .where(eq(users.id, userId));
    if (!current || !(await verifyPassword(current.passwordHash, currentPassword)))
      throw forbidden('current password is wrong');
    const newHash = await hashPassword(newPassword);
    const { session, version } = await withTransaction(this.pool, async (conn) => {
      const tx = createDb(conn);
      await tx
        .update(users)
        .set({ passwordHash: newHash, updatedAt: sql`now()` })
        .where(eq(users.id, userId));
      await tx
        .update(refreshTokens)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
      const version = await this.options.versions.raise(tx, userId);
      const [user] = await selectUser(tx).where(eq(users.id, userId));
      if (!user || user.disabled) throw unauthorized('account not found or disabled');
      return { session: await this.issue(tx, user, randomUUID()), version };
    });
    if (version !== undefined) await this.options.versions.announce(userId, version);
    return session;
  }

  private async issue(db: Database, user: UserRow, familyId: string): Promise<IssuedSession> {
    const refreshToken = randomBytes(32).toString('base64url');
    await db.insert(refreshTokens).values({
      userId: user.id,
      familyId,
      tokenHash: hashRefresh(refreshToken),
      expiresAt: sql`now() + make_interval(days => ${this.options.refreshTtlDays})`,
    });
    const accessToken = await this.tokens.sign({
      sub: user.id,
      org: user.organizationId,
      role: user.role,
      sv: user.sessionVersion,
    });
    return { accessToken, expiresIn: this.tokens.accessTtlSeconds, refreshToken, user: toMe(user) };
  }
}
