import { createHash, randomBytes } from 'node:crypto';
import { hashPassword } from '@fleet/auth';
import type {
  AcceptInvitationRequest,
  Invitation,
  InvitationRequest,
  User,
  UserList,
  UserListQuery,
  UserUpdate,
} from '@fleet/contracts';
import { createDb, schema, withTransaction, type Database, type Pool } from '@fleet/db';
import { and, asc, eq, gt, ilike, inArray, isNull, or, sql } from 'drizzle-orm';
import type { SessionVersions } from '../auth/revocation';
import { GONE } from '../auth/revocation';
import { conflict, invalid, notFound } from '../errors';
import { containsPattern, isUuid } from '../sql';

const { invitations, refreshTokens, users, userGroupScopes, vehicleGroups } = schema;

const COLUMNS = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  disabledAt: users.disabledAt,
  createdAt: users.createdAt,
};
type Row = Pick<typeof users.$inferSelect, keyof typeof COLUMNS>;
const toUser = (r: Row, groupIds: readonly string[] = []): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role,
  disabled: r.disabledAt !== null,
  groupIds: r.role === 'admin' ? [] : [...groupIds],
  createdAt: r.createdAt.toISOString(),
});
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const sameEmail = (email: string) => sql`lower(${users.email}) = lower(${email})`;
const INVITATION_DAYS = 7;

/** The people of one organization, managed by its admins. */
export class Users {
  private readonly db: Database;

  constructor(
    private readonly pool: Pool,
    private readonly versions: SessionVersions,
  ) {
    this.db = createDb(pool);
  }

  async list(org: string, q: UserListQuery): Promise<UserList> {
    const pattern = q.q ? containsPattern(q.q) : undefined;
    const filter = and(
      eq(users.organizationId, org),
      pattern ? or(ilike(users.email, pattern), ilike(users.name, pattern)) : undefined,
      q.role ? eq(users.role, q.role) : undefined,
    );
    const [rows, total] = await Promise.all([
      this.db
        .select(COLUMNS)
        .from(users)
        .where(filter)
        .orderBy(asc(sql`lower(${users.email})`))
        .limit(q.limit)
        .offset(q.offset),
      this.db.$count(users, filter),
    ]);
    const scopes = await this.groupsOf(rows.map((r) => r.id));
    return { items: rows.map((r) => toUser(r, scopes.get(r.id))), total, limit: q.limit, offset: q.offset };
  }

  /** The vehicle groups each user is limited to (none: the whole organization). */
  private async groupsOf(ids: string[], db: Database = this.db): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (!ids.length) return out;
    const rows = await db
      .select({ userId: userGroupScopes.userId, groupId: userGroupScopes.groupId })
      .from(userGroupScopes)
      .where(inArray(userGroupScopes.userId, ids))
      .orderBy(asc(userGroupScopes.groupId));
    for (const r of rows) out.set(r.userId, [...(out.get(r.userId) ?? []), r.groupId]);
    return out;
  }

  /**
   * Only a member of the admin's own organization is refused here: an email used in another
   * organization gets the very answer a fresh one gets, so an admin cannot learn which addresses
   * have accounts elsewhere. Accepting such an invitation then tells the invitee (409) instead.
   */
  async invite(org: string, invitedBy: string, input: InvitationRequest): Promise<Invitation> {
    if (await this.db.$count(users, and(sameEmail(input.email), eq(users.organizationId, org))))
      throw conflict('this email is already a member of your organization', [
        { path: 'email', message: 'already a member' },
      ]);
    const token = randomBytes(32).toString('base64url');
    const [created] = await this.db
      .insert(invitations)
      .values({
        organizationId: org,
        email: input.email,
        name: input.name,
        role: input.role,
        tokenHash: hashToken(token),
        invitedBy,
        expiresAt: sql`now() + make_interval(days => ${INVITATION_DAYS})`,
      })
      .returning({ id: invitations.id, expiresAt: invitations.expiresAt });
    return { id: created.id, email: input.email, role: input.role, expiresAt: created.expiresAt.toISOString(), token };
  }

  /** The invitee sets a password: the user is created and the invitation used up. */
  async accept(input: AcceptInvitationRequest): Promise<User> {
    return withTransaction(this.pool, async (conn) => {
      const tx = createDb(conn);
      const [invitation] = await tx
        .select({
          id: invitations.id,
          organizationId: invitations.organizationId,
          email: invitations.email,
          name: invitations.name,
          role: invitations.role,
        })
        .from(invitations)
        .where(
          and(
            eq(invitations.tokenHash, hashToken(input.token)),
            isNull(invitations.acceptedAt),
            gt(invitations.expiresAt, sql`now()`),
          ),
        )
        .for('update');
      if (!invitation) throw notFound('unused, unexpired invitation');
      const [created] = await tx
        .insert(users)
        .values({
          organizationId: invitation.organizationId,
          email: invitation.email,
          name: input.name ?? invitation.name,
          role: invitation.role,
          passwordHash: await hashPassword(input.password),
        })
        // The email's unique index (any organization): no account is taken over.
        .onConflictDoNothing()
        .returning(COLUMNS);
      if (!created)
        throw conflict('this email already has an account: sign in with it instead', [
          { path: 'token', message: 'the invited email already has an account' },
        ]);
      await tx
        .update(invitations)
        .set({ acceptedAt: sql`now()` })
        .where(eq(invitations.id, invitation.id));
      return toUser(created);
    });
  }

  /**
   * Disabling a user or changing their role ends their sessions on their next request: the session
   * version rises (every access token refused, live streams closed) and refresh tokens are revoked.
   * `groupIds` limits an operator or viewer to vehicle groups (`[]`: the whole organization again);
   * it applies to their next request (the scope is read per request), and their open live streams
   * are told at once (reopened under the new scope). Becoming an admin clears it: admins see all.
   */
  async update(org: string, actor: string, id: string, patch: UserUpdate): Promise<User> {
    if (!isUuid(id)) throw notFound('user');
    // An admin cannot lock themselves out (the last admin would leave the organization unmanaged).
    if (id === actor && ((patch.role && patch.role !== 'admin') || patch.disabled))
      throw conflict('you cannot demote or disable yourself; ask another admin');
    // SET expressions see the row as it was: the version rises only when access actually shrinks.
    const shrinks = [
      patch.role ? sql`${users.role} IS DISTINCT FROM ${patch.role}` : undefined,
      patch.disabled ? sql`${users.disabledAt} IS NULL` : undefined,
    ].filter((condition) => condition !== undefined);
    const { row, revoked, groupsChanged } = await withTransaction(this.pool, async (conn) => {
      const tx = createDb(conn);
      const scope = and(eq(users.id, id), eq(users.organizationId, org));
      const [before] = await tx.select({ sessionVersion: users.sessionVersion }).from(users).where(scope).for('update');
      const [row] = await tx
        .update(users)
        .set({
          role: patch.role,
          name: patch.name,
          disabledAt:
            patch.disabled === undefined
              ? undefined
              : patch.disabled
                ? sql`COALESCE(${users.disabledAt}, now())`
                : null,
          sessionVersion: shrinks.length
            ? sql`${users.sessionVersion} + CASE WHEN ${or(...shrinks)} THEN 1 ELSE 0 END`
            : undefined,
          updatedAt: sql`now()`,
        })
        .where(scope)
        .returning({ ...COLUMNS, sessionVersion: users.sessionVersion });
      if (!row) throw notFound('user');
      const groupsChanged = await this.setGroups(tx, org, row.id, row.role, patch.groupIds);
      const revoked = row.sessionVersion !== before?.sessionVersion;
      if (revoked) {
        await tx
          .update(refreshTokens)
          .set({ revokedAt: sql`now()` })
          .where(and(eq(refreshTokens.userId, id), isNull(refreshTokens.revokedAt)));
        await this.versions.forgetDevices(tx, id);
      }
      return { row, revoked, groupsChanged };
    });
    // Announced either way: a revocation ends their streams, a change of groups makes them re-read it.
    if (revoked || groupsChanged) await this.versions.announce(id, row.sessionVersion);
    return toUser(row, (await this.groupsOf([row.id])).get(row.id));
  }

  /** Replaces the user's groups (inside the update's transaction); whether they changed. */
  private async setGroups(
    tx: Database,
    org: string,
    userId: string,
    role: User['role'],
    groupIds: readonly string[] | undefined,
  ): Promise<boolean> {
    if (groupIds === undefined && role !== 'admin') return false;
    const wanted = role === 'admin' ? [] : [...(groupIds ?? [])].sort();
    if (role === 'admin' && groupIds?.length)
      throw invalid('request is not valid', [
        { path: 'groupIds', message: 'admins see the whole organization: limit operators and viewers only' },
      ]);
    if (wanted.length) {
      const known = await tx
        .select({ id: vehicleGroups.id })
        .from(vehicleGroups)
        .where(and(eq(vehicleGroups.organizationId, org), inArray(vehicleGroups.id, wanted)));
      const ids = new Set(known.map((g) => g.id));
      const unknown = (groupIds ?? []).findIndex((g) => !ids.has(g));
      if (unknown >= 0)
        throw invalid('request is not valid', [
          { path: `groupIds.${unknown}`, message: 'no such group in this organization' },
        ]);
    }
    const before = (await this.groupsOf([userId], tx)).get(userId) ?? [];
    if (before.length === wanted.length && before.every((g, i) => g === wanted[i])) return false;
    await tx.delete(userGroupScopes).where(eq(userGroupScopes.userId, userId));
    if (wanted.length) await tx.insert(userGroupScopes).values(wanted.map((groupId) => ({ userId, groupId })));
    return true;
  }

  /**
   * Deletes a user of the organization (`actor`: the admin asking, who cannot delete themselves;
   * undefined for the operator's CLI). The last enabled admin stays. Their sessions and live streams
   * end at once; what they created stays, without its author.
   */
  async remove(org: string, actor: string | undefined, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('user');
    if (id === actor) throw conflict('you cannot delete yourself; ask another admin');
    await withTransaction(this.pool, async (conn) => {
      const tx = createDb(conn);
      // Locks the organization's admins, so two deletions cannot each leave the other one last.
      const admins = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.organizationId, org), eq(users.role, 'admin'), isNull(users.disabledAt)))
        .orderBy(users.id)
        .for('update');
      const [user] = await tx
        .select({ role: users.role, disabled: sql<boolean>`${users.disabledAt} IS NOT NULL` })
        .from(users)
        .where(and(eq(users.id, id), eq(users.organizationId, org)))
        .for('update');
      if (!user) throw notFound('user');
      if (user.role === 'admin' && !user.disabled && admins.every((a) => a.id === id))
        throw conflict('this is the last admin of the organization; make another admin first');
      await tx.delete(users).where(eq(users.id, id));
    });
    await this.versions.announce(id, GONE);
  }
}
