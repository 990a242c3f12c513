import type { PushTokenRegistered, PushTokenRegistration } from '@fleet/contracts';
import { createDb, schema, type Database, type Pool } from '@fleet/db';
import { and, eq, sql } from 'drizzle-orm';

const { pushTokens } = schema;

const COLUMNS = {
  token: pushTokens.token,
  eventTypes: pushTokens.eventTypes,
  language: pushTokens.language,
  createdAt: pushTokens.createdAt,
  updatedAt: pushTokens.updatedAt,
};

/** Phones' Expo push tokens, each registered by the signed-in user with the event types they picked. */
export class PushTokens {
  private readonly db: Database;

  constructor(pool: Pool) {
    this.db = createDb(pool);
  }

  /**
   * Registers the token for this user, replacing their choice. A token registered before by someone
   * else (the phone changed hands, or another account signed in on it) moves to this user: a phone
   * notifies only whoever signed in on it last.
   */
  async register(caller: { sub: string; org: string }, input: PushTokenRegistration): Promise<PushTokenRegistered> {
    const eventTypes = [...new Set(input.eventTypes)];
    const [row] = await this.db
      .insert(pushTokens)
      .values({
        userId: caller.sub,
        organizationId: caller.org,
        token: input.token,
        eventTypes,
        language: input.language,
      })
      .onConflictDoUpdate({
        target: pushTokens.token,
        set: {
          userId: caller.sub,
          organizationId: caller.org,
          eventTypes,
          language: input.language,
          updatedAt: sql`now()`,
        },
      })
      .returning(COLUMNS);
    if (!row) throw new Error('push token upsert returned no row');
    return {
      token: row.token,
      eventTypes: row.eventTypes as PushTokenRegistered['eventTypes'],
      language: row.language === 'es' ? 'es' : 'en',
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  /** Removes the user's registration of the token (its pending pushes go with it). */
  async unregister(caller: { sub: string }, token: string): Promise<void> {
    await this.db.delete(pushTokens).where(and(eq(pushTokens.token, token), eq(pushTokens.userId, caller.sub)));
  }
}
