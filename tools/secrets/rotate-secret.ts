// `tools/rotate-secret`: rotation of the platform's secrets with double publication
// (docs/runbooks/secret-rotation.md). Works on an env file, the format of compose's `env_file:` and
// of `kubectl create secret generic --from-env-file`; the file is rewritten atomically, mode 600.
// Secrets are never printed and never passed on a command line.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { answersQueries } from '@fleet/runtime';

const USAGE = `usage:
  tools/rotate-secret generate                                   print a new random secret (48 bytes, base64url)
  tools/rotate-secret jwt publish --env-file FILE                JWT_SECRET := new, JWT_SECRET_PREVIOUS := old
  tools/rotate-secret jwt revoke --env-file FILE                 drop JWT_SECRET_PREVIOUS
  tools/rotate-secret db-password --env-file FILE                new password for DATABASE_URL's role (ALTER ROLE)
  tools/rotate-secret db-login publish --env-file FILE           two login roles: DATABASE_URL := the standby role with a
                                                                 new password, DATABASE_URL_PREVIOUS := the current one
  tools/rotate-secret db-login revoke --env-file FILE            the previous role's password replaced by one only the file
                                                                 knows (DATABASE_URL_STANDBY); DATABASE_URL_PREVIOUS dropped
  tools/rotate-secret map-token publish --env-file FILE < token  MAP_TOKEN := token from stdin, MAP_TOKEN_PREVIOUS := old
  tools/rotate-secret map-token revoke --env-file FILE           drop MAP_TOKEN_PREVIOUS

After each step: restart (rolling) the services that read the file. See docs/runbooks/secret-rotation.md.`;

export class UsageError extends Error {}

/** 48 random bytes, URL- and env-file-safe (64 characters of base64url). */
export function generateSecret(bytes = 48): string {
  return randomBytes(bytes).toString('base64url');
}

// --- env files -------------------------------------------------------------------------------

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

function unquote(raw: string): string {
  const v = raw.trim();
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) return v.slice(1, -1);
  return v;
}

export function readEnvFile(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = LINE.exec(line);
    if (m) out.set(m[1], unquote(m[2]));
  }
  return out;
}

/**
 * The file's text with `changes` applied: a value replaces the key's line in place (or is appended),
 * `undefined` removes it. Comments and every other line stay as they were.
 */
export function editEnv(text: string, changes: Record<string, string | undefined>): string {
  const pending = new Map(Object.entries(changes));
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out: string[] = [];
  for (const line of lines) {
    const key = LINE.exec(line)?.[1];
    if (key === undefined || !pending.has(key)) {
      out.push(line);
      continue;
    }
    const value = pending.get(key);
    pending.delete(key);
    if (value !== undefined) out.push(`${key}=${value}`);
  }
  for (const [key, value] of pending) if (value !== undefined) out.push(`${key}=${value}`);
  return `${out.join('\n')}\n`;
}

/** Writes `text` beside `file`, flushed to disk, mode 600; `commit()` renames it into place. */
function stageFile(file: string, text: string): { commit(): void; discard(): void } {
  const tmp = `${file}.rotating`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { commit: () => renameSync(tmp, file), discard: () => rmSync(tmp, { force: true }) };
}

function updateEnvFile(file: string, changes: Record<string, string | undefined>): void {
  stageFile(file, editEnv(readFileSync(file, 'utf8'), changes)).commit();
}

// --- rotation dates ------------------------------------------------------------------------------

/**
 * Each rotation records when it happened as `<KEY>_ROTATED_AT` (UTC, ISO 8601) in the same file, so the
 * scheduled check (tools/check-secret-age.sh, the chart's secret-age CronJob) can compare it with the
 * rotation policy. Not a secret: it travels with the others only to stay in one place.
 */
export const rotatedAtKey = (key: string) => `${key}_ROTATED_AT`;
export const rotationStamp = (now = new Date()) => now.toISOString().replace(/\.\d{3}Z$/, 'Z');

// --- JWT_SECRET and MAP_TOKEN: double publication ----------------------------------------------

/** Step 1: the new value signs (or is served), the old one is still accepted (kept as *_PREVIOUS). */
export function publish(file: string, key: string, next: string): { previous?: string } {
  const env = readEnvFile(file);
  const current = env.get(key);
  const previousKey = `${key}_PREVIOUS`;
  if (env.get(previousKey)) {
    throw new UsageError(
      `${previousKey} is still set: a rotation of ${key} is in progress. Finish it first (revoke), or the value before it is dropped while still in use.`,
    );
  }
  if (current === next) throw new UsageError(`the new ${key} is the current one`);
  updateEnvFile(file, { [key]: next, [previousKey]: current || undefined, [rotatedAtKey(key)]: rotationStamp() });
  return { previous: current || undefined };
}

/** Step 2: the old value is no longer accepted. */
export function revoke(file: string, key: string): boolean {
  const previousKey = `${key}_PREVIOUS`;
  if (!readEnvFile(file).get(previousKey)) return false;
  updateEnvFile(file, { [previousKey]: undefined });
  return true;
}

// --- database password -------------------------------------------------------------------------

/**
 * PostgreSQL's SCRAM-SHA-256 verifier for a password (RFC 5802/7677, as `ALTER ROLE … PASSWORD`
 * stores it). Sending the verifier instead of the password keeps the password out of the server's
 * statement log and pg_stat_activity.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * New password for the role DATABASE_URL connects as. The role changes its own password (no admin
 * needed); connections already open keep working, new ones need the new password, hence the rolling
 * restart right after. The env file is written before the change and moved into place once the new
 * password is proven to work, so the password can never be lost between the two.
 */
export async function rotateDbPassword(file: string, options: { key?: string } = {}): Promise<{ role: string }> {
  const key = options.key ?? 'DATABASE_URL';
  const current = readEnvFile(file).get(key);
  if (!current) throw new UsageError(`${file} has no ${key}`);
  const url = new URL(current);
  if (!url.username) throw new UsageError(`${key} names no user`);
  const role = decodeURIComponent(url.username);
  const password = generateSecret(32);
  const next = new URL(current);
  next.password = password;
  const staged = stageFile(
    file,
    editEnv(readFileSync(file, 'utf8'), { [key]: next.toString(), [rotatedAtKey(key)]: rotationStamp() }),
  );
  const client = new pg.Client({ connectionString: current, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect().catch((err: Error) => {
      throw new UsageError(`cannot connect with the current ${key}: ${err.message}`);
    });
    await client.query(`ALTER ROLE CURRENT_USER WITH PASSWORD '${scramVerifier(password)}'`);
  } catch (err) {
    staged.discard();
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
  if (!(await answersQueries(next.toString()))) {
    // Keep the file that works: the role now has the new password.
    staged.commit();
    throw new Error(`the password of ${role} was changed but a test connection with it failed; ${file} has it`);
  }
  staged.commit();
  return { role };
}

// --- database login roles: double publication -----------------------------------------------------

/**
 * Zero-error rotation of the database credentials with two login roles (say fleet_app_a and
 * fleet_app_b, both members of the role owning the schema, each with `ALTER ROLE … SET role` to it):
 * one serves (DATABASE_URL), the other waits (DATABASE_URL_STANDBY, its password known only to this
 * file). Each role only ever changes its own password (no CREATEROLE, no admin connection).
 */
const DB = { current: 'DATABASE_URL', previous: 'DATABASE_URL_PREVIOUS', standby: 'DATABASE_URL_STANDBY' };

/** A new password for the role `url` logs in as, set from a session of that role; the new URL. */
async function setOwnPassword(url: string, what: string): Promise<string> {
  const next = new URL(url);
  next.password = generateSecret(32);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect().catch((err: Error) => {
      throw new UsageError(`cannot connect with ${what}: ${err.message}`);
    });
    // The login role itself, not the owner role its sessions switch to (ALTER ROLE … SET role; RESET
    // ROLE would go back to that default): a role may change only its own password.
    await client.query('SET ROLE NONE');
    await client.query(`ALTER ROLE SESSION_USER WITH PASSWORD '${scramVerifier(next.password)}'`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return next.toString();
}

const roleOf = (url: string) => decodeURIComponent(new URL(url).username);

/**
 * Step 1: the standby role gets a new password and becomes DATABASE_URL; the serving one stays valid as
 * DATABASE_URL_PREVIOUS. Replicas restarted with the file use the new role, the others keep working.
 */
export async function publishDbLogin(file: string): Promise<{ role: string; previousRole: string }> {
  const env = readEnvFile(file);
  const current = env.get(DB.current);
  const standby = env.get(DB.standby);
  if (env.get(DB.previous))
    throw new UsageError(
      `${DB.previous} is still set: a rotation of the database login is in progress. Finish it first (db-login revoke).`,
    );
  if (!current) throw new UsageError(`${file} has no ${DB.current}`);
  if (!standby)
    throw new UsageError(
      `${file} has no ${DB.standby}: the second login role's URL (see docs/runbooks/secret-rotation.md, "Database password")`,
    );
  if (roleOf(current) === roleOf(standby))
    throw new UsageError(
      `${DB.current} and ${DB.standby} name the same role (${roleOf(current)}): two roles are needed`,
    );
  const next = await setOwnPassword(standby, DB.standby);
  if (!(await answersQueries(next))) {
    // The role has the new password: keep it, still as the standby.
    updateEnvFile(file, { [DB.standby]: next });
    throw new Error(`the new password of ${roleOf(next)} was set but a test connection with it failed; ${file} has it`);
  }
  updateEnvFile(file, {
    [DB.current]: next,
    [DB.previous]: current,
    [DB.standby]: undefined,
    [rotatedAtKey(DB.current)]: rotationStamp(),
  });
  return { role: roleOf(next), previousRole: roleOf(current) };
}

/**
 * Step 2, once every replica runs with the new DATABASE_URL: the previous role's password is replaced
 * by a new one that only the file knows (it becomes the standby for the next rotation), so the
 * credential the services had stops working.
 */
export async function revokeDbLogin(file: string): Promise<{ role: string; stillOpen: number } | undefined> {
  const previous = readEnvFile(file).get(DB.previous);
  if (!previous) return undefined;
  const standby = await setOwnPassword(previous, DB.previous);
  updateEnvFile(file, { [DB.standby]: standby, [DB.previous]: undefined });
  // Sessions opened before keep working until they close: say so, a replica may not have restarted.
  const client = new pg.Client({ connectionString: standby, connectionTimeoutMillis: 5_000 });
  let stillOpen = 0;
  try {
    await client.connect();
    const res = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE usename = session_user AND pid <> pg_backend_pid()',
    );
    stillOpen = Number(res.rows[0].n);
  } finally {
    await client.end().catch(() => undefined);
  }
  return { role: roleOf(previous), stillOpen };
}

// --- command line --------------------------------------------------------------------------------

function envFile(values: { 'env-file'?: string }): string {
  const file = values['env-file'];
  if (!file) throw new UsageError('--env-file is required');
  if (!existsSync(file)) throw new UsageError(`no such env file: ${file}`);
  return file;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'env-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [what, step] = positionals;
  if (values.help || !what) {
    console.log(USAGE);
    return;
  }
  const restart = 'Now restart the services that read it (rolling: one replica at a time).';
  switch (`${what} ${step ?? ''}`.trim()) {
    case 'generate':
      console.log(generateSecret());
      return;
    case 'jwt publish': {
      const file = envFile(values);
      const { previous } = publish(file, 'JWT_SECRET', generateSecret());
      console.log(
        `rotate-secret: ${file}: new JWT_SECRET${previous ? ', the old one kept as JWT_SECRET_PREVIOUS (still accepted)' : ''}. ${restart} Then, once every replica runs it and ACCESS_TOKEN_TTL_SECONDS has passed: tools/rotate-secret jwt revoke --env-file ${file}`,
      );
      return;
    }
    case 'jwt revoke': {
      const file = envFile(values);
      const done = revoke(file, 'JWT_SECRET');
      console.log(
        done
          ? `rotate-secret: ${file}: JWT_SECRET_PREVIOUS removed; tokens signed with it are refused after the restart. ${restart}`
          : `rotate-secret: ${file}: no JWT_SECRET_PREVIOUS, nothing to revoke`,
      );
      return;
    }
    case 'db-password': {
      const file = envFile(values);
      const { role } = await rotateDbPassword(file);
      console.log(
        `rotate-secret: password of role ${role} changed (verified), DATABASE_URL in ${file} updated. Open connections keep working; ${restart}`,
      );
      return;
    }
    case 'db-login publish': {
      const file = envFile(values);
      const { role, previousRole } = await publishDbLogin(file);
      console.log(
        `rotate-secret: ${file}: DATABASE_URL now logs in as ${role} (new password, verified); ${previousRole} still accepted as DATABASE_URL_PREVIOUS. ${restart} Then: tools/rotate-secret db-login revoke --env-file ${file}`,
      );
      return;
    }
    case 'db-login revoke': {
      const file = envFile(values);
      const done = await revokeDbLogin(file);
      console.log(
        done
          ? `rotate-secret: ${file}: the password ${done.role} had is no longer accepted; ${done.role} is now the standby (DATABASE_URL_STANDBY).${done.stillOpen ? ` ${done.stillOpen} session(s) of ${done.role} are still open: a replica not restarted yet?` : ''}`
          : `rotate-secret: ${file}: no DATABASE_URL_PREVIOUS, nothing to revoke`,
      );
      return;
    }
    case 'map-token publish': {
      const file = envFile(values);
      const token = await readStdin();
      if (!token || /\s/.test(token)) throw new UsageError('give the new map token on stdin (one line, no spaces)');
      publish(file, 'MAP_TOKEN', token);
      console.log(
        `rotate-secret: ${file}: new MAP_TOKEN, the old one recorded as MAP_TOKEN_PREVIOUS. Redeploy the web app; once browsers have reloaded it, revoke the old token at the map provider and run: tools/rotate-secret map-token revoke --env-file ${file}`,
      );
      return;
    }
    case 'map-token revoke': {
      const file = envFile(values);
      const done = revoke(file, 'MAP_TOKEN');
      console.log(
        done
          ? `rotate-secret: ${file}: MAP_TOKEN_PREVIOUS removed (delete that token at the provider if not done yet)`
          : `rotate-secret: ${file}: no MAP_TOKEN_PREVIOUS, nothing to revoke`,
      );
      return;
    }
    default:
      throw new UsageError(`unknown command: ${positionals.join(' ')}\n${USAGE}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`rotate-secret: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
