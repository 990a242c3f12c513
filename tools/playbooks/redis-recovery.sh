#!/usr/bin/env bash
# Redis lost its data (restart without persistence, FLUSHALL, failover to an empty replica):
# rebuild what lived only there (docs/runbooks/redis-recovery.md).
#   1. Redis answers PING (restart it first if not)
#   2. what was lost: accepted-but-unprocessed staging rows in PostgreSQL, the stream as it is now
#   3. replay: republish every unprocessed staging row since SINCE onto the stream (idempotent)
#   4. cache-warm: rebuild the hot cache of latest positions from vehicle_state
#   5. wait until the workers have processed every replayed row (staging backlog back to 0)
# Nothing accepted is ever lost with Redis: the API commits each request to ingest_staging before
# answering 202. Run it from a checkout (npx nx) or set REPLAY_CMD / CACHE_WARM_CMD to the image's
# commands (e.g. `docker compose run --rm worker …`).
#
# Settings (environment):
#   DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX   as the worker uses them                 required: the first two
#   SINCE            how far back to replay (30m, 2h, 1d or an ISO time; default 24h)
#   REPLAY_CMD       default: npx nx run worker:replay --since=$SINCE
#   CACHE_WARM_CMD   default: npx nx run worker:cache-warm
#   DRAIN_TIMEOUT    seconds to wait for the backlog to reach 0 (300)
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must be set}"
: "${REDIS_URL:?REDIS_URL must be set}"
since="${SINCE:-24h}"
replay_cmd="${REPLAY_CMD:-npx nx run worker:replay --since=$since}"
warm_cmd="${CACHE_WARM_CMD:-npx nx run worker:cache-warm}"
timeout="${DRAIN_TIMEOUT:-300}"
prefix="${REDIS_KEY_PREFIX:-}"
stream="${prefix}ingest:positions"
export NX_DAEMON="${NX_DAEMON:-false}" NX_NO_CLOUD=true NX_TUI=false

log() { echo "redis-recovery: $(date +%H:%M:%S) $*"; }
die() {
  log "FAILED: $*" >&2
  exit 1
}
sql() { psql "$DATABASE_URL" -XAtqv ON_ERROR_STOP=1 -v since="$since_sql" <<<"$1"; }
# SINCE as SQL, the way `worker:replay --since` reads it: a duration back from now, or a time.
if [[ "$since" =~ ^([0-9]+)\ *([smhd])$ ]]; then
  unit="$(case "${BASH_REMATCH[2]}" in s) echo seconds ;; m) echo minutes ;; h) echo hours ;; d) echo days ;; esac)"
  since_sql="now() - interval '${BASH_REMATCH[1]} $unit'"
else
  since_sql="'${since//\'/}'::timestamptz"
fi
backlog() {
  sql "SELECT count(*) || ' ' || coalesce(sum(position_count), 0) FROM ingest_staging
        WHERE processed_at IS NULL AND received_at >= :since"
}

[[ "$(redis-cli -u "$REDIS_URL" PING 2>&1)" == PONG ]] ||
  die "Redis at $REDIS_URL does not answer PING: start it (or fail over) first"
read -r rows positions <<<"$(backlog)" || die "cannot query ingest_staging"
log "Redis is up; stream $stream has $(redis-cli -u "$REDIS_URL" XLEN "$stream") entries; staging backlog: $rows request(s), $positions position(s) not yet stored"

log "replaying unprocessed staging rows since $since: $replay_cmd"
bash -c "$replay_cmd" || die "replay failed"

log "warming the hot cache: $warm_cmd"
bash -c "$warm_cmd" || die "cache-warm failed"

deadline=$((SECONDS + timeout))
while :; do
  read -r rows positions <<<"$(backlog)"
  [[ "$rows" -eq 0 ]] && break
  ((SECONDS < deadline)) ||
    die "$rows staging row(s) still unprocessed after ${timeout}s: are the workers running? (their logs, the ingestion dashboard)"
  log "waiting for the workers: $rows request(s), $positions position(s) to go"
  sleep 1
done
log "staging backlog since $since: 0; every position accepted since then is stored"
older="$(sql "SELECT count(*) FROM ingest_staging WHERE processed_at IS NULL AND received_at < :since")"
[[ "$older" -eq 0 ]] || log "WARNING: $older unprocessed staging row(s) are older than $since: run again with a larger SINCE"
log "done"
