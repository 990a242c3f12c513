// The Redis stream of staged batches: step (2) publishes each staging row's entry, the writers read
// it through their consumer group (new, then stale ones taken over), acknowledge or dead-letter it.
import type { Redis } from 'ioredis';
import type { Staged } from './staging';
import type { StreamNames } from './types';

export interface PublishOptions {
  names: StreamNames;
  /** Approximate cap on stream length; trimmed entries are still in staging and get replayed. */
  maxLen: number;
}

/**
 * The XADD arguments of a staged batch: staging id, position count, when it was accepted (absent on
 * replays) and the payload. One place, so the publisher and the replayer cannot drift apart.
 */
export function streamEntry(staged: Staged, options: PublishOptions, acceptedAt?: number): Array<string | number> {
  const at = acceptedAt === undefined ? [] : ['at', String(acceptedAt)];
  return [
    options.names.stream,
    'MAXLEN',
    '~',
    options.maxLen,
    '*',
    'sid',
    staged.id,
    'n',
    String(staged.count),
    ...at,
    'p',
    staged.payload,
  ];
}

/** Step (2): announce a staged batch on the stream. */
export async function publishStaged(redis: Redis, staged: Staged, options: PublishOptions): Promise<void> {
  const [key, ...args] = streamEntry(staged, options, Date.now());
  await redis.xadd(key as string, ...args);
}

export interface StreamMessage {
  /** The stream entry id. */
  entryId: string;
  /** The staging row it stands for. */
  stagingId: string;
  /** The staged batch as stored (codec.ts); undefined when the entry is malformed. */
  payload?: string;
  /** Positions in the batch (0 when unknown). */
  count: number;
  decodeError?: string;
  /** When the API accepted it (ms since epoch); absent on replays. */
  acceptedAt?: number;
  /** How many times it has been delivered (1 on first read). */
  deliveries: number;
}

type RawEntry = [id: string, fields: string[]];

function decode(entry: RawEntry, deliveries: number): StreamMessage {
  const [entryId, fields] = entry;
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < (fields?.length ?? 0); i += 2) map.set(fields[i], fields[i + 1]);
  const stagingId = map.get('sid') ?? '';
  try {
    if (!/^\d+$/.test(stagingId)) throw new Error('missing staging id');
    const payload = map.get('p');
    if (!payload?.startsWith('{')) throw new Error('missing payload');
    const at = Number(map.get('at'));
    const count = Number(map.get('n'));
    if (!Number.isInteger(count) || count <= 0) throw new Error('missing position count');
    return {
      entryId,
      stagingId,
      payload,
      count,
      deliveries,
      acceptedAt: Number.isFinite(at) && at > 0 ? at : undefined,
    };
  } catch (err) {
    return { entryId, stagingId, deliveries, count: 0, decodeError: err instanceof Error ? err.message : String(err) };
  }
}

/** Creates the consumer group (and the stream) if needed. */
export async function ensureGroup(redis: Redis, names: StreamNames): Promise<void> {
  try {
    await redis.xgroup('CREATE', names.stream, names.group, '0', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
  }
}

/** New messages for this consumer: up to `count`, waiting up to `blockMs` for the first. */
export async function readNew(
  redis: Redis,
  names: StreamNames,
  consumer: string,
  options: { count: number; blockMs: number },
): Promise<StreamMessage[]> {
  const res = (await redis.xreadgroup(
    'GROUP',
    names.group,
    consumer,
    'COUNT',
    options.count,
    'BLOCK',
    options.blockMs,
    'STREAMS',
    names.stream,
    '>',
  )) as Array<[string, RawEntry[]]> | null;
  if (!res) return [];
  return res.flatMap(([, entries]) => entries.map((e) => decode(e, 1)));
}

/**
 * Messages delivered to some consumer and left unacknowledged for `minIdleMs` (a consumer that died
 * or failed): claimed for this consumer, with their delivery counts.
 */
export async function claimStale(
  redis: Redis,
  names: StreamNames,
  consumer: string,
  options: { minIdleMs: number; count: number },
): Promise<StreamMessage[]> {
  const pending = (await redis.xpending(
    names.stream,
    names.group,
    'IDLE',
    options.minIdleMs,
    '-',
    '+',
    options.count,
  )) as Array<[string, string, number, number]>;
  if (!pending.length) return [];
  const deliveries = new Map(pending.map(([id, , , count]) => [id, Number(count) + 1]));
  const claimed = (await redis.xclaim(
    names.stream,
    names.group,
    consumer,
    options.minIdleMs,
    ...pending.map(([id]) => id),
  )) as RawEntry[];
  return claimed.filter((e) => e && e[1]).map((e) => decode(e, deliveries.get(e[0]) ?? 2));
}

export async function ack(redis: Redis, names: StreamNames, entryIds: string[]): Promise<void> {
  if (entryIds.length) await redis.xack(names.stream, names.group, ...entryIds);
}

/** Moves a message to the dead-letter stream with its reason, then acknowledges it. */
export async function deadLetter(
  redis: Redis,
  names: StreamNames,
  message: StreamMessage,
  reason: string,
): Promise<void> {
  await redis
    .multi()
    .xadd(
      names.deadLetter,
      'MAXLEN',
      '~',
      100_000,
      '*',
      'sid',
      message.stagingId,
      'entry',
      message.entryId,
      'reason',
      reason,
      'deliveries',
      String(message.deliveries),
    )
    .xack(names.stream, names.group, message.entryId)
    .exec();
}

export interface StreamStats {
  length: number;
  pending: number;
  /** Entries not yet delivered to the group (Redis 7 `lag`). */
  lag: number;
  oldestPendingAgeMs: number;
  deadLetters: number;
}

export async function streamStats(redis: Redis, names: StreamNames): Promise<StreamStats> {
  const [length, groups, summary, dead] = await Promise.all([
    redis.xlen(names.stream),
    redis.xinfo('GROUPS', names.stream).catch(() => []) as Promise<unknown[]>,
    redis.xpending(names.stream, names.group).catch(() => [0]) as Promise<unknown[]>,
    redis.xlen(names.deadLetter),
  ]);
  let lag = 0;
  for (const g of groups as unknown[][]) {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) info.set(String(g[i]), g[i + 1]);
    if (info.get('name') === names.group) lag = Number(info.get('lag') ?? 0) || 0;
  }
  const pending = Number(summary[0] ?? 0);
  const oldestId = summary[1] as string | null | undefined;
  const oldestPendingAgeMs = pending && oldestId ? Math.max(0, Date.now() - Number(oldestId.split('-')[0])) : 0;
  return { length, pending, lag, oldestPendingAgeMs, deadLetters: dead };
}

// Atomic, so a consumer that reads a message between the check and the removal cannot lose it:
// XGROUP DELCONSUMER drops the consumer's pending entries with it.
const REMOVE_DEAD_CONSUMERS = `
local removed = {}
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if tonumber(info['pending']) == 0 and tonumber(info['idle']) >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    table.insert(removed, info['name'])
  end
end
return removed`;

/**
 * Removes from the group the consumers idle for at least `minIdleMs` that hold no pending message:
 * writers that died (or were scaled away) once their messages were taken over. A live consumer
 * removed by mistake costs nothing: its next read recreates it. Returns the names removed.
 */
export async function removeDeadConsumers(
  redis: Redis,
  names: StreamNames,
  options: { minIdleMs: number },
): Promise<string[]> {
  try {
    return (await redis.eval(REMOVE_DEAD_CONSUMERS, 1, names.stream, names.group, options.minIdleMs)) as string[];
  } catch (err) {
    // No stream or group yet (or Redis lost them): nothing to remove.
    if (/NOGROUP|no such key/i.test(String((err as Error).message))) return [];
    throw err;
  }
}
