#!/usr/bin/env bash
# PostgreSQL failover to a replica (docs/runbooks/db-failover.md):
#   1. fence the old primary if it still answers: read-only, and the fleet's sessions on it closed,
#      so nothing can write to two primaries (split brain)
#   2. promote the replica (PROMOTE_CMD, default: SELECT pg_promote() on it) and wait until it takes writes
#   3. point DATABASE_URL at it (ENV_FILE) and restart the api and worker (RESTART_CMD): their pools
#      drop the old server's connections and open new ones
#   4. wait for every service's /ready, check their sessions are on the new primary
#   5. cache-warm: rebuild the Redis hot cache of latest positions from the new primary
#
# Settings (environment):
#   NEW_DATABASE_URL  the replica to promote, as the services will reach it                 required
#   OLD_DATABASE_URL  the failed primary (fenced when reachable)                           optional
#   FENCE_CMD         fencing of your own instead of the default, run with OLD_DATABASE_URL set when it
#                     answers (a security-group or firewall change, aws rds modify-db-instance, stopping
#                     the VM…). Default: read-only through ALTER SYSTEM, or where that is refused (managed
#                     PostgreSQL: RDS, Cloud SQL, Azure) through ALTER DATABASE of its database; then the
#                     fleet's sessions on it are closed
#   FENCE_REQUIRED    1: stop before promoting when fencing fails (default 0: warn and go on, since
#                     the services are moved off the old primary anyway)                   optional
#   PROMOTE_CMD       promotion (pg_ctl promote -D …; patronictl failover; aws rds promote-read-replica …)
#                     default: psql "$NEW_DATABASE_URL" -c 'SELECT pg_promote()'
#   ENV_FILE          env file whose DATABASE_URL line is replaced (compose env_file, or the source of
#                     the Kubernetes Secret)                                                optional
#   RESTART_CMD       rolling restart of api and worker so they read it (docker compose up -d api worker;
#                     kubectl rollout restart deploy/fleet-api deploy/fleet-worker)         required
#   READY_URLS        space-separated /ready URLs of the services to wait for                 optional
#   CACHE_WARM_CMD    default: npx nx run worker:cache-warm (run with DATABASE_URL=NEW_DATABASE_URL)
#   READY_TIMEOUT     seconds (120)
set -euo pipefail

: "${NEW_DATABASE_URL:?NEW_DATABASE_URL must name the replica to promote}"
: "${RESTART_CMD:?RESTART_CMD must restart the api and worker}"
promote_cmd="${PROMOTE_CMD:-psql \"\$NEW_DATABASE_URL\" -XAtqc 'SELECT pg_promote(true, 60)'}"
warm_cmd="${CACHE_WARM_CMD:-npx nx run worker:cache-warm}"
timeout="${READY_TIMEOUT:-120}"
export NX_DAEMON="${NX_DAEMON:-false}" NX_NO_CLOUD=true NX_TUI=false

log() { echo "db-failover: $(date +%H:%M:%S) $*"; }
die() {
  log "FAILED: $*" >&2
  exit 1
}
q() { psql "$1" -XAtq -v ON_ERROR_STOP=1 -c "$2"; }

# 1. Fence. Every step may be refused (managed PostgreSQL has no superuser): each failure is reported
# and the next way tried; `set -e` never stops the failover here.
fence_default() {
  local how=''
  if q "$OLD_DATABASE_URL" 'ALTER SYSTEM SET default_transaction_read_only = on' >/dev/null 2>&1 &&
    q "$OLD_DATABASE_URL" 'SELECT pg_reload_conf()' >/dev/null 2>&1; then
    how='read-only'
  elif q "$OLD_DATABASE_URL" "DO \$\$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END \$\$" >/dev/null 2>&1; then
    how='ALTER SYSTEM refused; its database read-only for new sessions (ALTER DATABASE)'
  else
    log "WARNING: the old primary refused both ALTER SYSTEM and ALTER DATABASE: it is NOT read-only" >&2
    how='NOT read-only'
    fence_failed=1
  fi
  local closed
  if closed="$(q "$OLD_DATABASE_URL" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                                      WHERE application_name LIKE 'fleet-%' AND pid <> pg_backend_pid()" 2>&1)"; then
    log "old primary fenced: $how, $closed fleet session(s) closed"
  else
    log "WARNING: old primary $how, but its fleet sessions could not be closed: $closed" >&2
    fence_failed=1
  fi
}
fence_failed=0
if [[ -n "${OLD_DATABASE_URL:-}" ]] && q "$OLD_DATABASE_URL" 'SELECT 1' >/dev/null 2>&1; then
  if [[ -n "${FENCE_CMD:-}" ]]; then
    log "fencing: $FENCE_CMD"
    if OLD_DATABASE_URL="$OLD_DATABASE_URL" bash -c "$FENCE_CMD"; then
      log "old primary fenced by FENCE_CMD"
    else
      log "WARNING: FENCE_CMD failed" >&2
      fence_failed=1
    fi
  else
    fence_default
  fi
  if ((fence_failed)); then
    [[ "${FENCE_REQUIRED:-0}" != 1 ]] || die "fencing failed and FENCE_REQUIRED=1: nothing promoted"
    log "WARNING: going on without a complete fence: keep the old primary from taking writes (stop it)" >&2
  fi
else
  log "old primary unreachable: nothing to fence (make sure it cannot come back as a primary: keep it stopped)"
fi

# 2. Promote.
state="$(q "$NEW_DATABASE_URL" 'SELECT pg_is_in_recovery()' 2>&1)" || die "cannot reach the replica: $state"
if [[ "$state" == t ]]; then
  log "promoting: $promote_cmd"
  NEW_DATABASE_URL="$NEW_DATABASE_URL" bash -c "$promote_cmd" >/dev/null || die "promotion failed"
fi
deadline=$((SECONDS + timeout))
until [[ "$(q "$NEW_DATABASE_URL" 'SELECT pg_is_in_recovery()' 2>/dev/null)" == f ]]; do
  ((SECONDS < deadline)) || die "the replica is still in recovery after ${timeout}s"
  sleep 0.5
done
# The fence's ALTER DATABASE (managed PostgreSQL) is replicated: on a replica that was streaming from
# the old primary its database is read-only too. Undo it there (a connection option wins over it).
if [[ "$(q "$NEW_DATABASE_URL" 'SHOW transaction_read_only' 2>/dev/null)" == on ]]; then
  PGOPTIONS='-c default_transaction_read_only=off' q "$NEW_DATABASE_URL" \
    "DO \$\$ BEGIN EXECUTE format('ALTER DATABASE %I RESET default_transaction_read_only', current_database()); END \$\$" >/dev/null &&
    log "the fence's read-only setting, replicated, reset on the new primary"
fi
q "$NEW_DATABASE_URL" 'SHOW transaction_read_only' | grep -qx off || die "the new primary is read-only"
log "new primary takes writes"

# 3. Switch the services.
if [[ -n "${ENV_FILE:-}" ]]; then
  [[ -f "$ENV_FILE" ]] || die "no such env file: $ENV_FILE"
  tmp="$ENV_FILE.failover"
  { grep -v '^DATABASE_URL=' "$ENV_FILE" || true; echo "DATABASE_URL=$NEW_DATABASE_URL"; } >"$tmp"
  chmod --reference="$ENV_FILE" "$tmp"
  mv "$tmp" "$ENV_FILE"
  log "DATABASE_URL in $ENV_FILE now points at the new primary"
fi
log "restarting the services: $RESTART_CMD"
bash -c "$RESTART_CMD" || die "RESTART_CMD failed"

# 4. Ready, and really on the new primary.
deadline=$((SECONDS + timeout))
for url in ${READY_URLS:-}; do
  until [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url")" == 200 ]]; do
    ((SECONDS < deadline)) || die "$url is not ready after ${timeout}s"
    sleep 0.5
  done
  log "ready: $url"
done
sessions="$(q "$NEW_DATABASE_URL" "SELECT coalesce(string_agg(DISTINCT application_name, ' ' ORDER BY application_name), '')
                                   FROM pg_stat_activity WHERE application_name LIKE 'fleet-%'")"
log "fleet sessions on the new primary: ${sessions:-none}"

# 5. Hot cache.
log "warming the cache: $warm_cmd"
DATABASE_URL="$NEW_DATABASE_URL" bash -c "$warm_cmd" || die "cache-warm failed"
log "done"
