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
import type { Pool } from 'pg';
import type { SessionVersions } from '../auth/revocation';
import { GONE } from '../auth/revocation';
import { AppError, notFound } from '../errors';
import { containsPattern, isUuid } from '../sql';

interface Row {
  id: string;
  email: string;
  name: string;
  role: User['role'];
  disabled_at: Date | null;
  created_at: Date;
}
const COLUMNS = 'id, email, name, role, disabled_at, created_at';
const toUser = (r: Row): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role,
  disabled: r.disabled_at !== null,
  createdAt: r.created_at.toISOString(),
});
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const INVITATION_DAYS = 7;

/** The people of one organization, managed by its admins. */
export class Users {
  constructor(
    private readonly pool: Pool,
    private readonly versions: SessionVersions,
  ) {}

  async list(org: string, q: UserListQuery): Promise<UserList> {
    const where = ['organization_id = $1'];
    const params: unknown[] = [org];
    if (q.q) {
      params.push(containsPattern(q.q));
      where.push(`(email ILIKE $${params.length} OR name ILIKE $${params.length})`);
    }
    if (q.role) where.push(`role = $${params.push(q.role)}`);
    const filter = where.join(' AND ');
    const [rows, count] = await Promise.all([
      this.pool.query<Row>(
        `SELECT ${COLUMNS} FROM users WHERE ${filter} ORDER BY lower(email) LIMIT ${q.limit} OFFSET ${q.offset}`,
        params,
      ),
      this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM users WHERE ${filter}`, params),
    ]);
    return { items: rows.rows.map(toUser), total: Number(count.rows[0].n), limit: q.limit, offset: q.offset };
  }

  /**
   * Only a member of the admin's own organization is refused here: an email used in another
   * organization gets the very answer a fresh one gets, so an admin cannot learn which addresses
   * have accounts elsewhere. Accepting such an invitation then tells the invitee (409) instead.
   */
  async invite(org: string, invitedBy: string, input: InvitationRequest): Promise<Invitation> {
    const member = await this.pool.query(
      'SELECT 1 FROM users WHERE lower(email) = lower($1) AND organization_id = $2',
      [input.email, org],
    );
    if (member.rowCount)
      throw new AppError(409, 'conflict', 'this email is already a member of your organization', [
        { path: 'email', message: 'already a member' },
      ]);
    const token = randomBytes(32).toString('base64url');
    const res = await this.pool.query<{ id: string; expires_at: Date }>(
      `INSERT INTO invitations (organization_id, email, name, role, token_hash, invited_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(days => $7)) RETURNING id, expires_at`,
      [org, input.email, input.name, input.role, hashToken(token), invitedBy, INVITATION_DAYS],
    );
    return {
      id: res.rows[0].id,
      email: input.email,
      role: input.role,
      expiresAt: res.rows[0].expires_at.toISOString(),
      token,
    };
  }

  /** The invitee sets a password: the user is created and the invitation used up. */
  async accept(input: AcceptInvitationRequest): Promise<User> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const inv = await client.query<{
        id: string;
        organization_id: string;
        email: string;
        name: string;
        role: User['role'];
      }>(
        `SELECT id, organization_id, email, name, role FROM invitations
          WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now() FOR UPDATE`,
        [hashToken(input.token)],
      );
      const invitation = inv.rows[0];
      if (!invitation) throw new AppError(404, 'not_found', 'invitation not found, used or expired');
      const created = await client.query<Row>(
        `INSERT INTO users (organization_id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
        [
          invitation.organization_id,
          invitation.email,
          input.name ?? invitation.name,
          invitation.role,
          await hashPassword(input.password),
        ],
      );
      if (!created.rows[0])
        throw new AppError(409, 'conflict', 'this email already has an account: sign in with it instead', [
          { path: 'token', message: 'the invited email already has an account' },
        ]);
      await client.query('UPDATE invitations SET accepted_at = now() WHERE id = $1', [invitation.id]);
      await client.query('COMMIT');
      return toUser(created.rows[0]);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Disabling a user or changing their role ends their sessions on their next request: the session
   * version rises (every access token refused, live streams closed) and refresh tokens are revoked.
   */
  async update(org: string, actor: string, id: string, patch: UserUpdate): Promise<User> {
    if (!isUuid(id)) throw notFound('user');
    // An admin cannot lock themselves out (the last admin would leave the organization unmanaged).
    if (id === actor && ((patch.role && patch.role !== 'admin') || patch.disabled)) {
      throw new AppError(409, 'conflict', 'you cannot demote or disable yourself; ask another admin');
    }
    const sets: string[] = [];
    const changes: string[] = [];
    const params: unknown[] = [id, org];
    if (patch.role) {
      const role = `$${params.push(patch.role)}`;
      sets.push(`role = ${role}`);
      changes.push(`role IS DISTINCT FROM ${role}`);
    }
    if (patch.name !== undefined) sets.push(`name = $${params.push(patch.name)}`);
    if (patch.disabled !== undefined)
      sets.push(`disabled_at = ${patch.disabled ? 'COALESCE(disabled_at, now())' : 'NULL'}`);
    if (patch.disabled) changes.push('disabled_at IS NULL');
    // SET expressions see the row as it was: the version rises only when access actually shrinks.
    if (changes.length)
      sets.push(`session_version = session_version + CASE WHEN ${changes.join(' OR ')} THEN 1 ELSE 0 END`);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const before = await client.query<{ session_version: number }>(
        'SELECT session_version FROM users WHERE id = $1 AND organization_id = $2 FOR UPDATE',
        [id, org],
      );
      const res = await client.query<Row & { session_version: number }>(
        `UPDATE users SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 AND organization_id = $2
         RETURNING ${COLUMNS}, session_version`,
        params,
      );
      const row = res.rows[0];
      if (!row) throw notFound('user');
      const revoked = row.session_version !== before.rows[0]?.session_version;
      if (revoked)
        await client.query('UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [
          id,
        ]);
      await client.query('COMMIT');
      if (revoked) await this.versions.announce(id, row.session_version);
      return toUser(row);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Deletes a user of the organization (`actor`: the admin asking, who cannot delete themselves;
   * undefined for the operator's CLI). The last enabled admin stays. Their sessions and live streams
   * end at once; what they created stays, without its author.
   */
  async remove(org: string, actor: string | undefined, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('user');
    if (id === actor) throw new AppError(409, 'conflict', 'you cannot delete yourself; ask another admin');
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Locks the organization's admins, so two deletions cannot each leave the other one last.
      const admins = await client.query<{ id: string }>(
        "SELECT id FROM users WHERE organization_id = $1 AND role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE",
        [org],
      );
      const target = await client.query<{ role: User['role']; disabled: boolean }>(
        'SELECT role, disabled_at IS NOT NULL AS disabled FROM users WHERE id = $1 AND organization_id = $2 FOR UPDATE',
        [id, org],
      );
      const user = target.rows[0];
      if (!user) throw notFound('user');
      if (user.role === 'admin' && !user.disabled && admins.rows.every((a) => a.id === id))
        throw new AppError(409, 'conflict', 'this is the last admin of the organization; make another admin first');
      await client.query('DELETE FROM users WHERE id = $1', [id]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    await this.versions.announce(id, GONE);
  }
}
