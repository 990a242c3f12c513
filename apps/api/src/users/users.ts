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
  constructor(private readonly pool: Pool) {}

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

  async update(org: string, actor: string, id: string, patch: UserUpdate): Promise<User> {
    if (!isUuid(id)) throw notFound('user');
    // An admin cannot lock themselves out (the last admin would leave the organization unmanaged).
    if (id === actor && ((patch.role && patch.role !== 'admin') || patch.disabled)) {
      throw new AppError(409, 'conflict', 'you cannot demote or disable yourself; ask another admin');
    }
    const sets: string[] = [];
    const params: unknown[] = [id, org];
    if (patch.role) sets.push(`role = $${params.push(patch.role)}`);
    if (patch.name !== undefined) sets.push(`name = $${params.push(patch.name)}`);
    if (patch.disabled !== undefined)
      sets.push(`disabled_at = ${patch.disabled ? 'COALESCE(disabled_at, now())' : 'NULL'}`);
    const res = await this.pool.query<Row>(
      `UPDATE users SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 AND organization_id = $2 RETURNING ${COLUMNS}`,
      params,
    );
    if (!res.rows[0]) throw notFound('user');
    if (patch.disabled || patch.role) {
      // Sessions end with the change: refresh tokens revoked (access tokens expire within minutes).
      await this.pool.query('UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [
        id,
      ]);
    }
    return toUser(res.rows[0]);
  }
}
