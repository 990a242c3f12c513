#!/usr/bin/env bash
# Scheduled check of the rotation policy: fails (exit 1) when a secret is older than its maximum age.
# Daily from the Helm chart's secret-age CronJob, or from cron beside compose:
#
#   tools/check-secret-age.sh --env-file fleet.env        # the file tools/rotate-secret edits
#   JWT_SECRET_ROTATED_AT=… tools/check-secret-age.sh      # or the dates in the environment (the CronJob)
#
# tools/rotate-secret records each rotation as <KEY>_ROTATED_AT (UTC, ISO 8601) beside the secret; a
# secret without a recorded date fails too (its age is unknown: rotate it). A failing CronJob is what
# pages in Kubernetes (kube-state-metrics' kube_job_status_failed); with SECRET_AGE_METRICS_FILE (a
# node_exporter textfile directory) the ages are also metrics, and the SecretRotationOverdue alert
# fires on them.
#
# Settings (environment):
#   SECRET_MAX_AGE_DAYS      the policy, KEY=days separated by spaces or commas
#                            (default: JWT_SECRET=90 DATABASE_URL=90 MAP_TOKEN=365)
#   SECRET_AGE_METRICS_FILE  optional: fleet_secret_rotated_timestamp_seconds{secret} and
#                            fleet_secret_max_age_seconds{secret}, written atomically
#   NOW                      optional Unix time to check against (tests)
set -euo pipefail

die() {
  echo "check-secret-age: $*" >&2
  exit 2
}

env_file=''
while [[ $# -gt 0 ]]; do
  case "$1" in
    --env-file)
      [[ $# -ge 2 ]] || die "--env-file needs a file"
      env_file="$2"
      shift 2
      ;;
    -h | --help)
      sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument: $1 (usage: tools/check-secret-age.sh [--env-file FILE])" ;;
  esac
done

policy="${SECRET_MAX_AGE_DAYS:-JWT_SECRET=90 DATABASE_URL=90 MAP_TOKEN=365}"
now="${NOW:-$(date +%s)}"
[[ "$now" =~ ^[0-9]+$ ]] || die "NOW must be a Unix time (got '$now')"

# The recorded date of KEY: from the env file when given (without sourcing it: it holds secrets and
# its values are not shell), else from the environment.
rotated_at() {
  local key="$1_ROTATED_AT"
  if [[ -n "$env_file" ]]; then
    sed -n -E "s/^[[:space:]]*(export[[:space:]]+)?${key}[[:space:]]*=[[:space:]]*['\"]?([^'\"]*)['\"]?[[:space:]]*$/\\2/p" "$env_file" | tail -n 1
  else
    printf '%s' "${!key:-}"
  fi
}

if [[ -n "$env_file" ]]; then [[ -r "$env_file" ]] || die "cannot read $env_file"; fi

failed=0
metrics=''
for entry in ${policy//,/ }; do
  [[ "$entry" =~ ^([A-Z][A-Z0-9_]*)=([1-9][0-9]*)$ ]] ||
    die "SECRET_MAX_AGE_DAYS: '$entry' is not KEY=days (a positive whole number of days)"
  key="${BASH_REMATCH[1]}"
  max_days="${BASH_REMATCH[2]}"
  max=$((max_days * 86400))
  metrics+="fleet_secret_max_age_seconds{secret=\"$key\"} $max"$'\n'
  stamp="$(rotated_at "$key")"
  if [[ -z "$stamp" ]]; then
    echo "check-secret-age: $key: no ${key}_ROTATED_AT recorded, age unknown: rotate it (tools/rotate-secret) — policy ${max_days} days"
    failed=1
    continue
  fi
  [[ "$stamp" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] &&
    at="$(date -u -d "$stamp" +%s 2>/dev/null)" ||
    die "${key}_ROTATED_AT is not a UTC date like 2026-01-31T12:00:00Z (got '$stamp')"
  metrics+="fleet_secret_rotated_timestamp_seconds{secret=\"$key\"} $at"$'\n'
  age_days=$(((now - at) / 86400))
  if ((now - at > max)); then
    echo "check-secret-age: $key: OVERDUE, rotated $stamp ($age_days days ago), policy ${max_days} days"
    failed=1
  else
    echo "check-secret-age: $key: ok, rotated $stamp ($age_days days ago), policy ${max_days} days"
  fi
done

if [[ -n "${SECRET_AGE_METRICS_FILE:-}" ]]; then
  tmp="$(dirname "$SECRET_AGE_METRICS_FILE")/.$(basename "$SECRET_AGE_METRICS_FILE").$$"
  {
    echo '# HELP fleet_secret_max_age_seconds Rotation policy: the longest a secret may stay unchanged.'
    echo '# TYPE fleet_secret_max_age_seconds gauge'
    grep '^fleet_secret_max_age_seconds' <<<"$metrics" || true
    echo '# HELP fleet_secret_rotated_timestamp_seconds When the secret was last rotated (Unix time).'
    echo '# TYPE fleet_secret_rotated_timestamp_seconds gauge'
    grep '^fleet_secret_rotated_timestamp_seconds' <<<"$metrics" || true
  } >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$SECRET_AGE_METRICS_FILE"
fi

exit "$failed"
