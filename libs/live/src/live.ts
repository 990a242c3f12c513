import type { LiveMessage, LivePosition } from '@fleet/contracts';
import type { Redis } from 'ioredis';

/**
 * The live side of the platform in Redis, shared by the worker (writer) and every API replica (reader):
 *
 * - `live:{org}` pub/sub channel: each message is `<log id>\n<LiveMessage JSON>`; every API replica
 *   subscribes, so any replica serves any SSE client.
 * - `livelog:{org}` capped stream: the same messages, so an SSE client reconnecting with
 *   `Last-Event-ID` gets what it missed (XRANGE after that id) before the live feed resumes.
 * - `latest:{org}` hash: vehicle id → `<ts ms>|<LivePosition JSON>`, the hot cache the latest-positions
 *   query reads; field `_warm` marks a hash rebuilt from PostgreSQL (a hash without it — Redis lost
 *   it, or only the worker's recent updates are there — is rebuilt by the reader).
 *
 * Key names go through ioredis' `keyPrefix`; channel names do not (ioredis does not prefix them), so
 * the prefix is added here explicitly.
 */
export const WARM_FIELD = '_warm';

export function liveChannel(redis: Redis, orgId: string): string {
  return `${redis.options.keyPrefix ?? ''}live:${orgId}`;
}
export const liveLogKey = (orgId: string) => `livelog:${orgId}`;
export const latestKey = (orgId: string) => `latest:${orgId}`;

/** Messages kept per organization for `Last-Event-ID` resume (approximate, MAXLEN ~). */
export const DEFAULT_LOG_LENGTH = 10_000;

// KEYS[1] log stream; ARGV[1] channel, ARGV[2] max length, ARGV[3..] message JSONs. One round trip
// per organization and batch; the id assigned by XADD travels with the published message.
const PUBLISH_SCRIPT = `
local ids = {}
for i = 3, #ARGV do
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[i])
  redis.call('PUBLISH', ARGV[1], id .. '\\n' .. ARGV[i])
  ids[#ids + 1] = id
end
return ids`;

// KEYS[1] latest hash; ARGV pairs (vehicle id, '<ts ms>|json'). A fix replaces the cached one only when
// newer, so two workers finishing out of order never move a vehicle back in time.
const LATEST_SCRIPT = `
local n = 0
for i = 1, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  local newTs = tonumber(string.match(ARGV[i + 1], '^(%d+)|'))
  if not cur or tonumber(string.match(cur, '^(%d+)|')) < newTs then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    n = n + 1
  end
end
return n`;

// KEYS[1] log stream, KEYS[2] latest hash; ARGV[1] channel, ARGV[2] max length, ARGV[3] number of
// positions n, then n pairs (vehicle id, '<ts ms>|json'), then other message JSONs. A position moves
// the hot cache and is published only when newer than the cached one, in one atomic step: a late fix,
// or a worker finishing after a newer one, never moves a vehicle back on the map or in the cache.
const UPDATE_SCRIPT = `
local messages = {}
local n = tonumber(ARGV[3])
for i = 0, n - 1 do
  local vehicle, value = ARGV[4 + 2 * i], ARGV[5 + 2 * i]
  local bar = string.find(value, '|', 1, true)
  local newTs = tonumber(string.sub(value, 1, bar - 1))
  local cur = redis.call('HGET', KEYS[2], vehicle)
  if not cur or tonumber(string.sub(cur, 1, string.find(cur, '|', 1, true) - 1)) < newTs then
    redis.call('HSET', KEYS[2], vehicle, value)
    messages[#messages + 1] = '{"type":"position","data":' .. string.sub(value, bar + 1) .. '}'
  end
end
for i = 4 + 2 * n, #ARGV do messages[#messages + 1] = ARGV[i] end
local ids = {}
for _, m in ipairs(messages) do
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', m)
  redis.call('PUBLISH', ARGV[1], id .. '\\n' .. m)
  ids[#ids + 1] = id
end
return ids`;

/**
 * What the worker publishes after a commit, in one round trip per organization: each vehicle's
 * newest fix — cached and published only if newer than the cached one — then the other messages
 * (events, retractions). Returns the log ids of what was published.
 */
export async function publishUpdate(
  redis: Redis,
  orgId: string,
  update: { positions: LivePosition[]; messages: LiveMessage[] },
  maxLength = DEFAULT_LOG_LENGTH,
): Promise<string[]> {
  if (!update.positions.length && !update.messages.length) return [];
  const args: string[] = [];
  for (const p of update.positions) args.push(p.vehicleId, encodeLatest(p));
  return (await redis.eval(
    UPDATE_SCRIPT,
    2,
    liveLogKey(orgId),
    latestKey(orgId),
    liveChannel(redis, orgId),
    String(maxLength),
    String(update.positions.length),
    ...args,
    ...update.messages.map((m) => JSON.stringify(m)),
  )) as string[];
}

/** Appends to the organization's live log and publishes; returns the log ids, in order. */
export async function publishLive(
  redis: Redis,
  orgId: string,
  messages: LiveMessage[],
  maxLength = DEFAULT_LOG_LENGTH,
): Promise<string[]> {
  if (!messages.length) return [];
  return (await redis.eval(
    PUBLISH_SCRIPT,
    1,
    liveLogKey(orgId),
    liveChannel(redis, orgId),
    String(maxLength),
    ...messages.map((m) => JSON.stringify(m)),
  )) as string[];
}

/** Splits a published `<id>\n<json>` message. */
export function parsePublished(raw: string): { id: string; message: LiveMessage } {
  const nl = raw.indexOf('\n');
  return { id: raw.slice(0, nl), message: JSON.parse(raw.slice(nl + 1)) as LiveMessage };
}

/** Messages logged after `afterId` (exclusive), oldest first, at most `count`. */
export async function readLiveLog(
  redis: Redis,
  orgId: string,
  afterId: string,
  count = 1_000,
): Promise<Array<{ id: string; message: LiveMessage }>> {
  const entries = await redis.xrange(liveLogKey(orgId), `(${afterId}`, '+', 'COUNT', count);
  return entries.map(([id, fields]) => ({ id, message: JSON.parse(fields[1]) as LiveMessage }));
}

const encodeLatest = (p: LivePosition) => `${Date.parse(p.ts)}|${JSON.stringify(p)}`;

/** Moves the hot cache forward for these fixes (each only if newer than the cached one). */
export async function updateLatest(redis: Redis, orgId: string, positions: LivePosition[]): Promise<number> {
  if (!positions.length) return 0;
  const args: string[] = [];
  for (const p of positions) args.push(p.vehicleId, encodeLatest(p));
  return (await redis.eval(LATEST_SCRIPT, 1, latestKey(orgId), ...args)) as number;
}

/**
 * Replaces an organization's hot cache with these positions (read from vehicle_state) and marks it warm.
 * `vehicleIds`, when given, are the organization's vehicles: cached entries of any other (deleted)
 * vehicle are not carried over.
 */
export async function replaceLatest(
  redis: Redis,
  orgId: string,
  positions: LivePosition[],
  vehicleIds?: ReadonlySet<string>,
): Promise<void> {
  const key = latestKey(orgId);
  const tmp = `${key}:rebuild:${process.pid}:${Date.now()}`;
  const multi = redis.multi().del(tmp);
  const args: string[] = [WARM_FIELD, String(Date.now())];
  for (const p of positions) args.push(p.vehicleId, encodeLatest(p));
  multi.hset(tmp, ...args);
  // RENAME is atomic: readers see the old hash or the new one, never half of it. A fix the worker
  // wrote between our read of vehicle_state and now would be lost from the cache, so merge it back.
  multi.hgetall(key);
  multi.rename(tmp, key);
  const res = await multi.exec();
  const previous = (res?.[2]?.[1] ?? {}) as Record<string, string>;
  const newer: LivePosition[] = [];
  const fresh = new Map(positions.map((p) => [p.vehicleId, Date.parse(p.ts)]));
  for (const [field, value] of Object.entries(previous)) {
    if (field === WARM_FIELD || (vehicleIds && !vehicleIds.has(field))) continue;
    const ts = Number(value.slice(0, value.indexOf('|')));
    if (ts > (fresh.get(field) ?? -Infinity)) newer.push(JSON.parse(value.slice(value.indexOf('|') + 1)));
  }
  await updateLatest(redis, orgId, newer);
}

/** The cached latest positions, or null when the cache is not warm (the caller rebuilds it). */
export async function readLatest(redis: Redis, orgId: string): Promise<LivePosition[] | null> {
  const all = await redis.hgetall(latestKey(orgId));
  if (!(WARM_FIELD in all)) return null;
  const out: LivePosition[] = [];
  for (const [field, value] of Object.entries(all)) {
    if (field === WARM_FIELD) continue;
    out.push(JSON.parse(value.slice(value.indexOf('|') + 1)) as LivePosition);
  }
  return out;
}

/** Drops a vehicle from the cache (vehicle deleted). */
export async function forgetLatest(redis: Redis, orgId: string, vehicleId: string): Promise<void> {
  await redis.hdel(latestKey(orgId), vehicleId);
}
