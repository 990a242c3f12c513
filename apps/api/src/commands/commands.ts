import {
  COMMAND_LIMITS,
  COMMANDS_QUEUED_CHANNEL,
  trackerOnlineKey,
  type CommandInput,
  type CommandList,
  type CommandListQuery,
  type CommandStatus,
  type DeviceCommand,
} from '@fleet/contracts';
import { createDb, schema, type Database, type Pool } from '@fleet/db';
import type { Logger } from '@fleet/logging-json';
import type { Redis } from '@fleet/runtime';
import { and, desc, eq, gt, sql } from 'drizzle-orm';
import { conflict, unavailable } from '../errors';
import { findVehicle, type VehicleScope } from '../groups/scope';

const { deviceCommands } = schema;

const COLUMNS = {
  id: deviceCommands.id,
  vehicleId: deviceCommands.vehicleId,
  text: deviceCommands.text,
  // A command still queued past its expiry is expired, whether or not a gateway has marked it yet.
  status: sql<string>`CASE WHEN ${deviceCommands.status} = 'queued' AND ${deviceCommands.expiresAt} <= now() THEN 'expired' ELSE ${deviceCommands.status} END`,
  response: deviceCommands.response,
  error: deviceCommands.error,
  createdBy: deviceCommands.createdBy,
  createdAt: deviceCommands.createdAt,
  sentAt: deviceCommands.sentAt,
  answeredAt: deviceCommands.answeredAt,
  expiresAt: deviceCommands.expiresAt,
};
interface Row {
  id: string;
  vehicleId: string;
  text: string;
  status: string;
  response: string | null;
  error: string | null;
  createdBy: string | null;
  createdAt: Date;
  sentAt: Date | null;
  answeredAt: Date | null;
  expiresAt: Date;
}

const toCommand = (r: Row): DeviceCommand => ({
  ...r,
  status: r.status as CommandStatus,
  createdAt: r.createdAt.toISOString(),
  sentAt: r.sentAt?.toISOString() ?? null,
  answeredAt: r.answeredAt?.toISOString() ?? null,
  expiresAt: r.expiresAt.toISOString(),
});

/**
 * Text commands for hardware trackers (Teltonika Codec 12, GT06 0x80, H02). The API only queues
 * them, for a vehicle whose device is connected to a tracker gateway right now (its presence key in
 * Redis), and tells the gateways through `commands:queued`; the gateway holding the connection sends
 * it and stores the device's answer (apps/trackers/src/commands.ts). A command the gateway has not
 * sent within the configured time expires unsent: an old command arriving hours later would surprise.
 */
export class DeviceCommands {
  private readonly db: Database;

  constructor(
    pool: Pool,
    private readonly redis: Redis,
    private readonly options: { ttlMs: number; logger: Logger },
  ) {
    this.db = createDb(pool);
  }

  async send(scope: VehicleScope, createdBy: string, vehicleId: string, input: CommandInput): Promise<DeviceCommand> {
    const org = scope.org;
    await findVehicle(this.db, scope, vehicleId);
    if (!(await this.isConnected(vehicleId)))
      throw conflict(
        'device not connected: the vehicle’s tracker is not connected to the tracker gateway right now, so the command was not queued; try again once it is online',
        [{ path: 'id', message: 'device not connected' }],
      );
    const waiting = await this.db.$count(
      deviceCommands,
      and(
        eq(deviceCommands.vehicleId, vehicleId),
        eq(deviceCommands.status, 'queued'),
        gt(deviceCommands.expiresAt, sql`now()`),
      ),
    );
    if (waiting >= COMMAND_LIMITS.queuedMax)
      throw conflict(`${waiting} commands already wait to be sent to this device: wait until they are sent or expire`, [
        { path: 'text', message: `at most ${COMMAND_LIMITS.queuedMax} commands wait per device` },
      ]);
    const [row] = await this.db
      .insert(deviceCommands)
      .values({
        organizationId: org,
        vehicleId,
        text: input.text,
        createdBy,
        expiresAt: sql`now() + ${`${this.options.ttlMs} milliseconds`}::interval`,
      })
      .returning(COLUMNS);
    if (!row) throw new Error('device command insert returned no row');
    // Lost publications are not lost commands: the gateway also looks for queued ones periodically.
    const channel = `${this.redis.options.keyPrefix ?? ''}${COMMANDS_QUEUED_CHANNEL}`;
    await this.redis.publish(channel, vehicleId).catch((err: unknown) =>
      this.options.logger.warn('commands: cannot announce a queued command; the gateway finds it at its next sweep', {
        vehicleId,
        err,
      }),
    );
    return toCommand(row);
  }

  async list(scope: VehicleScope, vehicleId: string, q: CommandListQuery): Promise<CommandList> {
    const org = scope.org;
    await findVehicle(this.db, scope, vehicleId);
    const filter = and(eq(deviceCommands.organizationId, org), eq(deviceCommands.vehicleId, vehicleId));
    const [rows, total] = await Promise.all([
      this.db
        .select(COLUMNS)
        .from(deviceCommands)
        .where(filter)
        .orderBy(desc(deviceCommands.createdAt), desc(deviceCommands.id))
        .limit(q.limit)
        .offset(q.offset),
      this.db.$count(deviceCommands, filter),
    ]);
    return { items: rows.map(toCommand), total, limit: q.limit, offset: q.offset };
  }

  /** Whether a tracker gateway holds a connection of this vehicle's device (its presence key). */
  private async isConnected(vehicleId: string): Promise<boolean> {
    try {
      return (await this.redis.exists(trackerOnlineKey(vehicleId))) === 1;
    } catch {
      throw unavailable(
        'cannot tell whether the device is connected (Redis unavailable); nothing was queued, retry',
        5,
      );
    }
  }
}
