#!/usr/bin/env bash
# Controlled restart of one API instance (docs/runbooks/api-restart.md):
#   1. take it out of the gateway (DRAIN_CMD)
#   2. wait until it serves no request (http_requests_in_flight on its /metrics, live streams apart)
#   3. stop it with SIGTERM (STOP_CMD): /ready turns 503, it finishes what is left, exits
#   4. start it again (START_CMD) and wait for /health, then /ready, to answer 200
#   5. only then put it back in the gateway (UNDRAIN_CMD)
# A failure after step 1 leaves the instance out of the gateway, and says so.
#
# Settings (environment):
#   API_URL        the instance itself, not the gateway (e.g. http://10.0.3.7:3000)      required
#   STOP_CMD       sends it SIGTERM (docker compose stop -t 30 api; kill -TERM $PID)      required
#   START_CMD      starts it (docker compose up -d api; systemctl start fleet-api)        required
#   DRAIN_CMD      takes it out of the gateway/load balancer                            optional
#   UNDRAIN_CMD    puts it back                                                          optional
#   DRAIN_TIMEOUT  seconds to wait for in-flight requests before stopping anyway (30); the API's
#                  own SHUTDOWN_GRACE_MS still lets late requests finish after the SIGTERM
#   STOP_TIMEOUT   seconds for the old process to go away (60)
#   START_TIMEOUT  seconds for the new one to be ready (90)
# In Kubernetes the same sequence is `kubectl rollout restart deployment/fleet-api` (readiness probe on
# /ready, maxUnavailable 0, terminationGracePeriodSeconds > SHUTDOWN_GRACE_MS).
set -euo pipefail

: "${API_URL:?API_URL must point at the instance (not the gateway)}"
: "${STOP_CMD:?STOP_CMD must stop the instance with SIGTERM}"
: "${START_CMD:?START_CMD must start the instance}"
drain_timeout="${DRAIN_TIMEOUT:-30}"
stop_timeout="${STOP_TIMEOUT:-60}"
start_timeout="${START_TIMEOUT:-90}"
api="${API_URL%/}"
drained=0

log() { echo "api-restart: $(date +%H:%M:%S) $*"; }
die() {
  log "FAILED: $*" >&2
  [[ $drained -eq 1 ]] && log "the instance is still out of the gateway (run UNDRAIN_CMD once it is healthy)" >&2
  exit 1
}
status() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$api$1" || true; }
# Requests being served, minus the scrape itself and live streams (they last until the SIGTERM
# closes them; clients reconnect elsewhere).
in_flight() {
  curl -sf -m 2 "$api/metrics" | awk '
    /^http_requests_in_flight[{ ]/ { f += $NF }
    /^live_sse_clients[{ ]/ { l += $NF }
    END { if (NR == 0) exit 1; n = f - 1 - l; print (n < 0 ? 0 : n) }'
}
uptime() { curl -sf -m 2 "$api/health" | sed -nE 's/.*"uptimeSeconds":([0-9]+).*/\1/p'; }

[[ "$(status /health)" == 200 ]] || die "$api/health does not answer 200 before the restart"

if [[ -n "${DRAIN_CMD:-}" ]]; then
  log "draining: $DRAIN_CMD"
  bash -c "$DRAIN_CMD" || die "DRAIN_CMD failed"
  drained=1
fi

deadline=$((SECONDS + drain_timeout))
while :; do
  n="$(in_flight)" || die "cannot read $api/metrics"
  [[ "$n" -eq 0 ]] && {
    log "in-flight requests: 0"
    break
  }
  if ((SECONDS >= deadline)); then
    log "still $n request(s) in flight after ${drain_timeout}s: stopping anyway, the API's grace period lets them finish"
    break
  fi
  log "waiting for $n in-flight request(s)"
  sleep 0.5
done

log "stopping: $STOP_CMD"
bash -c "$STOP_CMD" || die "STOP_CMD failed"
deadline=$((SECONDS + stop_timeout))
saw_draining=0
while :; do
  code="$(status /ready)"
  if [[ "$code" == 503 && $saw_draining -eq 0 ]]; then
    log "ready: 503 (draining)"
    saw_draining=1
  fi
  [[ "$code" == 000 ]] && break # no process listening any more
  ((SECONDS < deadline)) || die "the old process still answers after ${stop_timeout}s"
  sleep 0.1
done
log "old process gone"
gone_at=$SECONDS

log "starting: $START_CMD"
bash -c "$START_CMD" || die "START_CMD failed"
deadline=$((SECONDS + start_timeout))
until [[ "$(status /health)" == 200 ]]; do
  ((SECONDS < deadline)) || die "/health did not answer 200 within ${start_timeout}s"
  sleep 0.2
done
log "health: 200"
until [[ "$(status /ready)" == 200 ]]; do
  ((SECONDS < deadline)) || die "/ready did not answer 200 within ${start_timeout}s (PostgreSQL or Redis unreachable?)"
  sleep 0.2
done
after_uptime="$(uptime)"
# A process started after the old one was gone is up no longer than the time since (plus rounding):
# comparing with the old one's uptime misfires when the old one was younger than a slow start.
since_gone=$((SECONDS - gone_at + 2))
[[ -n "$after_uptime" && "$after_uptime" -le "$since_gone" ]] ||
  die "the instance answering is not a new process (uptime ${after_uptime}s, ${since_gone}s since the old one was gone)"
log "ready: 200 (new process, up ${after_uptime}s)"

if [[ -n "${UNDRAIN_CMD:-}" ]]; then
  log "routing back: $UNDRAIN_CMD"
  bash -c "$UNDRAIN_CMD" || die "UNDRAIN_CMD failed"
  drained=0
fi
log "done"
