import { parseArgs } from 'node:util';
import { createDb, createPool, schema } from '@fleet/db';
import { createLogger } from '@fleet/logging-json';
import { createRedis } from '@fleet/runtime';
import { eq, sql } from 'drizzle-orm';
import { SessionVersions } from '../auth/revocation';
import { loadApiConfig } from '../config';
import { Users } from '../users/users';

const USAGE = `nx run api:delete-user --email=<email> | --id=<user id>

Deletes a user: their sessions end on their next request and their live streams close at once
(every API process is told through Redis). What they created stays, without its author. The last
enabled admin of an organization cannot be deleted (make another admin first). Reads DATABASE_URL
and REDIS_URL like the API.`;

async function main() {
  const { values } = parseArgs({
    options: { email: { type: 'string' }, id: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if ((values.email === undefined) === (values.id === undefined)) throw new Error(`give --email or --id\n\n${USAGE}`);
  const config = loadApiConfig();
  const logger = createLogger({ service: 'api-cli', format: config.log.format, level: 'warn' });
  const pool = createPool({ url: config.db.url, max: 2, applicationName: 'fleet-delete-user' });
  const redis = createRedis({ url: config.redis.url, keyPrefix: config.redis.keyPrefix, connectionName: 'fleet-cli' });
  try {
    const { users } = schema;
    const [user] = await createDb(pool)
      .select({ id: users.id, email: users.email, organizationId: users.organizationId })
      .from(users)
      .where(
        values.id !== undefined
          ? // As text: an id that is no UUID finds nobody rather than failing the cast.
            eq(sql`${users.id}::text`, values.id)
          : sql`lower(${users.email}) = lower(${values.email})`,
      );
    if (!user) throw new Error(`no user ${values.id ?? values.email}`);
    await new Users(pool, new SessionVersions({ pool, redis, logger })).remove(user.organizationId, undefined, user.id);
    console.log(`delete-user: deleted ${user.email} (${user.id})`);
  } finally {
    await pool.end();
    redis.disconnect();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`delete-user failed: ${message}`);
    process.exit(1);
  });
}
