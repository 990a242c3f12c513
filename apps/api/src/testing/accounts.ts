import { hashPassword } from '@fleet/auth';
import { TokenResponse } from '@fleet/contracts';
import pg from 'pg';

export const TEST_PASSWORD = 'fleet-test-password-1';
export const ROLES = ['admin', 'operator', 'viewer'] as const;

/**
 * Organizations `org-<slug>` with one user per role (`<role>@<slug>.example`, TEST_PASSWORD).
 * Returns the organization id of each slug.
 */
export async function seedOrganizations(url: string, slugs: string[]): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const hash = await hashPassword(TEST_PASSWORD);
    const ids: Record<string, string> = {};
    for (const slug of slugs) {
      const org = await client.query<{ id: string }>(
        'INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id',
        [`org-${slug}`],
      );
      ids[slug] = org.rows[0].id;
      for (const role of ROLES)
        await client.query('INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, $3, $4)', [
          ids[slug],
          `${role}@${slug}.example`,
          role,
          hash,
        ]);
    }
    return ids;
  } finally {
    await client.end();
  }
}

/** Access tokens keyed `<role>@<slug>` for the users seedOrganizations made. */
export async function loginAll(base: string, slugs: string[]): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const slug of slugs)
    for (const role of ROLES) {
      const res = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `${role}@${slug}.example`, password: TEST_PASSWORD }),
      });
      tokens[`${role}@${slug}`] = TokenResponse.parse(await res.json()).accessToken;
    }
  return tokens;
}

/** A JSON call to /api/v1 with a bearer token. */
export function apiCall(base: string, token: string | undefined, method: string, path: string, body?: unknown) {
  return fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
