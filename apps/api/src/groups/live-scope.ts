import type { AccessClaims } from '@fleet/auth';
import { createDb, schema, type Database, type Pool } from '@fleet/db';
import { eq } from 'drizzle-orm';
import { readScope, type VehicleScope } from './scope';

/** How often a limited stream re-reads which vehicles its groups hold (vehicles and groups move). */
export const LIVE_SCOPE_REFRESH_MS = 5_000;
/** A fix of a vehicle not (yet) known to be visible asks for a re-read, at most this often. */
const UNKNOWN_REFRESH_MS = 1_000;

const sameGroups = (a: VehicleScope, b: VehicleScope) => {
  if (a.groupIds === null || b.groupIds === null) return a.groupIds === b.groupIds;
  const set = new Set(a.groupIds);
  return a.groupIds.length === b.groupIds.length && b.groupIds.every((g) => set.has(g));
};

/**
 * The vehicle scope of one signed-in live stream. A stream limited to groups passes only the messages
 * of the vehicles those groups hold, re-read every LIVE_SCOPE_REFRESH_MS (a vehicle moved out of the
 * groups stops streaming; one created or moved in starts); `refresh()` right away when an admin
 * changes the user (announced to every API process). When the groups themselves change, the stream
 * has to be opened again under the new scope: `onChanged` ends it (the client reconnects).
 */
export class LiveScope {
  private visible = new Set<string>();
  /** The organization's other vehicles: their messages are dropped without asking again. */
  private hidden = new Set<string>();
  private timer?: NodeJS.Timeout;
  private lastUnknownRefresh = 0;
  private refreshing?: Promise<void>;
  private stopped = false;
  private readonly db: Database;

  private constructor(
    private readonly pool: Pool,
    private readonly caller: Pick<AccessClaims, 'sub' | 'org' | 'role'>,
    private scope: VehicleScope,
    private readonly onChanged: () => void,
  ) {
    this.db = createDb(pool);
  }

  static async open(
    pool: Pool,
    caller: Pick<AccessClaims, 'sub' | 'org' | 'role'>,
    scope: VehicleScope,
    onChanged: () => void,
  ): Promise<LiveScope> {
    const live = new LiveScope(pool, caller, scope, onChanged);
    if (scope.groupIds) {
      await live.load();
      live.timer = setInterval(() => void live.refresh(), LIVE_SCOPE_REFRESH_MS);
      live.timer.unref();
    }
    return live;
  }

  /** Whether the stream is limited to groups (else every message of the organization passes). */
  get limited(): boolean {
    return this.scope.groupIds !== null;
  }

  /** Whether a vehicle's messages may go out on this stream. */
  allows(vehicleId: string): boolean {
    if (!this.scope.groupIds) return true;
    if (this.visible.has(vehicleId)) return true;
    if (this.hidden.has(vehicleId)) return false;
    // A vehicle created since the last read (maybe in the groups): look again soon.
    const now = Date.now();
    if (now - this.lastUnknownRefresh >= UNKNOWN_REFRESH_MS) {
      this.lastUnknownRefresh = now;
      void this.refresh();
    }
    return false;
  }

  /** Re-reads the user's groups (changed: `onChanged`) and the vehicles they hold. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const now = await readScope(this.pool, this.caller);
        if (this.stopped) return;
        if (!sameGroups(now, this.scope)) {
          this.stop();
          this.onChanged();
          return;
        }
        this.scope = now;
        if (now.groupIds) await this.load();
      } catch {
        // PostgreSQL away: the last known vehicles stand until the next try.
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Every vehicle of the organization, sorted into visible and hidden (few thousand rows at most). */
  private async load(): Promise<void> {
    const { vehicles } = schema;
    const rows = await this.db
      .select({ id: vehicles.id, groupId: vehicles.groupId })
      .from(vehicles)
      .where(eq(vehicles.organizationId, this.scope.org));
    const groups = new Set(this.scope.groupIds ?? []);
    const visible = new Set<string>();
    const hidden = new Set<string>();
    for (const r of rows) (r.groupId !== null && groups.has(r.groupId) ? visible : hidden).add(r.id);
    this.visible = visible;
    this.hidden = hidden;
  }
}
