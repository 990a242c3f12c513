import { COMMAND_LIMITS, COMMANDS_QUEUED_CHANNEL } from '@fleet/contracts';
import { createDb, schema, type Database, type Pool } from '@fleet/db';
import type { Logger } from '@fleet/logging-json';
import type { Redis } from '@fleet/runtime';
import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';

const { deviceCommands } = schema;

/** What the gateway writes to the device: `text` framed by the protocol's `encodeCommand(imei, text, serial)`. */
export interface OutgoingCommand {
  id: string;
  text: string;
  serial: number;
}

export interface CommandChannel {
  /**
   * A device logged in: its queued, unexpired commands go out through `send` at once, oldest first,
   * then each one queued while it stays attached. A command is marked `sent` once `send` resolves,
   * `failed` if it rejects. Returns the function that detaches the device.
   */
  attach(
    device: { vehicleId: string; organizationId: string },
    send: (command: OutgoingCommand) => Promise<void>,
  ): () => void;
  /** The device answered: the answer goes to its oldest command still awaiting one. */
  answered(vehicleId: string, text: string): Promise<void>;
  /** Stops listening and waits for deliveries in progress. */
  close(): Promise<void>;
}

export interface CommandChannelDeps {
  pool: Pool;
  redis: Redis;
  logger: Logger;
  /**
   * How often the channel expires stale commands, gives up on unanswered ones and looks for queued
   * commands of attached devices that no announcement reached (pub/sub loses what is published while
   * the subscriber is reconnecting). Default 30 s.
   */
  sweepMs?: number;
  /** A sent command without an answer after this long is `failed` ("no answer"). Default 5 min. */
  answerTimeoutMs?: number;
}

interface Attachment {
  organizationId: string;
  send: (command: OutgoingCommand) => Promise<void>;
}

/**
 * The tracker gateway's side of the device command queue (the API's side: apps/api/src/commands).
 * The API queues a command only while a gateway holds the device's connection and announces its
 * vehicle id on `commands:queued`; every gateway process hears it, and the one that has the vehicle
 * attached sends it. Deliveries of one vehicle run one at a time, so a command is written once per
 * process and in order; an answer waits for the delivery in progress, so a device answering before
 * its command is marked `sent` still finds it.
 *
 * The device's answer carries no reference to the command (Codec 12, GT06 0x15 and H02 answer with
 * text only), so it is stored on the vehicle's oldest command sent and not yet answered.
 */
export function createCommandChannel(deps: CommandChannelDeps): CommandChannel {
  const { pool, redis, logger } = deps;
  const db: Database = createDb(pool);
  const sweepMs = deps.sweepMs ?? 30_000;
  const answerTimeoutMs = deps.answerTimeoutMs ?? 5 * 60_000;
  /** The connections of each attached vehicle, newest last (a reconnect can briefly overlap the old socket). */
  const attached = new Map<string, Attachment[]>();
  /** The delivery run of each vehicle, and whether another was asked for while it ran. */
  const runs = new Map<string, Promise<void>>();
  const again = new Set<string>();
  let closed = false;

  const channel = `${redis.options.keyPrefix ?? ''}${COMMANDS_QUEUED_CHANNEL}`;
  const subscriber = redis.duplicate({ connectionName: 'fleet-commands-subscriber' });
  subscriber.on('error', (err: Error) => logger.warn('commands: subscriber connection error', { err: err.message }));
  subscriber.on('message', (_channel: string, vehicleId: string) => {
    if (attached.has(vehicleId)) schedule(vehicleId);
  });
  let everReady = false;
  subscriber.on('ready', () => {
    // What was announced while the connection was down never arrives: look for it.
    if (everReady) for (const vehicleId of attached.keys()) schedule(vehicleId);
    everReady = true;
  });
  subscriber.subscribe(channel).catch((err: unknown) => {
    if (!closed) logger.warn('commands: cannot subscribe to queued commands; the sweep delivers them', { err });
  });

  const timer = setInterval(() => void sweep(), sweepMs);
  timer.unref();

  /** Runs a delivery for the vehicle, after the one in progress (once more if several are asked for meanwhile). */
  function schedule(vehicleId: string): Promise<void> {
    if (closed) return Promise.resolve();
    const running = runs.get(vehicleId);
    if (running) {
      again.add(vehicleId);
      return running;
    }
    const run = deliver(vehicleId)
      .catch((err: unknown) => {
        logger.warn('commands: delivery failed; retried at the next sweep', { vehicleId, err: String(err) });
      })
      .finally(() => {
        runs.delete(vehicleId);
        if (again.delete(vehicleId) && attached.has(vehicleId)) void schedule(vehicleId);
      });
    runs.set(vehicleId, run);
    return run;
  }

  /** Sends the vehicle's queued, unexpired commands, oldest first, through its newest connection. */
  async function deliver(vehicleId: string): Promise<void> {
    for (;;) {
      if (!attached.get(vehicleId)?.length || closed) return;
      const [command] = await db
        .select({ id: deviceCommands.id, text: deviceCommands.text, serial: deviceCommands.serial })
        .from(deviceCommands)
        .where(
          and(
            eq(deviceCommands.vehicleId, vehicleId),
            eq(deviceCommands.status, 'queued'),
            gt(deviceCommands.expiresAt, sql`now()`),
          ),
        )
        .orderBy(asc(deviceCommands.createdAt), asc(deviceCommands.id))
        .limit(1);
      if (!command) return;
      // The newest connection now: the device may have reconnected while the query ran.
      const newest = attached.get(vehicleId)?.at(-1);
      if (!newest || closed) return;
      let failure: string | undefined;
      try {
        await newest.send(command);
      } catch (err) {
        failure = `not written to the device: ${err instanceof Error ? err.message : String(err)}`;
      }
      // Only a command still queued changes: another process holding an overlapping connection of the
      // same device may have sent it meanwhile.
      await db
        .update(deviceCommands)
        .set(
          failure === undefined
            ? { status: 'sent', sentAt: sql`now()` }
            : { status: 'failed', error: failure.slice(0, COMMAND_LIMITS.responseMax) },
        )
        .where(and(eq(deviceCommands.id, command.id), eq(deviceCommands.status, 'queued')));
      if (failure === undefined) logger.info('commands: sent', { vehicleId, commandId: command.id });
      else logger.warn('commands: not sent', { vehicleId, commandId: command.id, reason: failure });
    }
  }

  async function sweep(): Promise<void> {
    try {
      await db
        .update(deviceCommands)
        .set({ status: 'expired' })
        .where(and(eq(deviceCommands.status, 'queued'), lte(deviceCommands.expiresAt, sql`now()`)));
      await db
        .update(deviceCommands)
        .set({ status: 'failed', error: `no answer from the device within ${duration(answerTimeoutMs)}` })
        .where(
          and(
            eq(deviceCommands.status, 'sent'),
            lte(deviceCommands.sentAt, sql`now() - ${`${answerTimeoutMs} milliseconds`}::interval`),
          ),
        );
      const vehicleIds = [...attached.keys()];
      if (!vehicleIds.length) return;
      const waiting = await db
        .selectDistinct({ vehicleId: deviceCommands.vehicleId })
        .from(deviceCommands)
        .where(
          and(
            inArray(deviceCommands.vehicleId, vehicleIds),
            eq(deviceCommands.status, 'queued'),
            gt(deviceCommands.expiresAt, sql`now()`),
          ),
        );
      for (const { vehicleId } of waiting) void schedule(vehicleId);
    } catch (err) {
      logger.warn('commands: sweep failed', { err: String(err) });
    }
  }

  return {
    attach(device, send) {
      const attachment: Attachment = { organizationId: device.organizationId, send };
      const list = attached.get(device.vehicleId) ?? [];
      list.push(attachment);
      attached.set(device.vehicleId, list);
      void schedule(device.vehicleId);
      return () => {
        const current = attached.get(device.vehicleId);
        if (!current) return;
        const rest = current.filter((a) => a !== attachment);
        if (rest.length) attached.set(device.vehicleId, rest);
        else attached.delete(device.vehicleId);
      };
    },

    async answered(vehicleId, text) {
      // A quick device answers before its command is marked sent: let that delivery finish first.
      await runs.get(vehicleId);
      const response = clean(text);
      const pending = db
        .select({ id: deviceCommands.id })
        .from(deviceCommands)
        .where(and(eq(deviceCommands.vehicleId, vehicleId), eq(deviceCommands.status, 'sent')))
        .orderBy(asc(deviceCommands.sentAt), asc(deviceCommands.createdAt), asc(deviceCommands.id))
        .limit(1)
        .for('update', { skipLocked: true });
      const rows = await db
        .update(deviceCommands)
        .set({ status: 'answered', response, answeredAt: sql`now()` })
        .where(and(eq(deviceCommands.id, sql`(${pending})`), eq(deviceCommands.status, 'sent')))
        .returning({ id: deviceCommands.id });
      if (rows.length) logger.info('commands: answered', { vehicleId, commandId: rows[0].id });
      else logger.info('commands: an answer matched no command awaiting one; dropped', { vehicleId, response });
    },

    async close() {
      closed = true;
      clearInterval(timer);
      // Not waiting for Redis: a gateway stopping while Redis is away must still stop.
      subscriber.disconnect();
      await Promise.allSettled([...runs.values()]);
      attached.clear();
    },
  };
}

const duration = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);

/** What PostgreSQL text can hold (no NUL), without other control characters but line breaks and tabs, bounded. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').slice(0, COMMAND_LIMITS.responseMax);
}
