#!/usr/bin/env bash
# Full logical backup of the fleet database, for a daily job (cron, Kubernetes CronJob):
#
#   DATABASE_URL=postgres://… tools/backup.sh
#
# Writes backups/gps-YYYY-MM-DD.dump (pg_dump custom format: compressed, restorable table by table
# with tools/restore.sh), checks that the archive reads back, keeps the newest BACKUP_KEEP dumps, and
# uploads to S3 when BACKUP_S3_URI is set (the bucket must have versioning on: an upload never
# destroys an older copy; expiry of old versions is the bucket's lifecycle rule, see
# docs/runbooks/backup-restore.md).
#
# Settings (environment):
#   DATABASE_URL        database to dump (required)
#   BACKUP_DIR          where dumps go (default: backups)
#   BACKUP_KEEP         how many local dumps to keep, newest first (default: 14)
#   BACKUP_S3_URI       optional, e.g. s3://acme-fleet-backups/production  (aws cli credentials from
#                       the environment or the instance/pod role)
#   BACKUP_S3_ENDPOINT  optional S3-compatible endpoint (MinIO, R2…)
#   BACKUP_METRICS_FILE optional: after a successful backup, fleet_backup_last_success_timestamp_seconds
#                       (and the dump's size and the run's duration) are written there in Prometheus'
#                       text format, atomically: a node_exporter textfile-collector directory (compose's
#                       `backup` profile). A failed run leaves the file as it was, so the
#                       BackupTooOld alert sees the age of the last good one.
#   BACKUP_METRICS_PUSH_URL optional: the same metrics PUT to a Pushgateway-compatible URL
#                       (http://pushgateway:9091/metrics/job/fleet_backup), with curl.
set -euo pipefail
started="$(date +%s)"

die() {
  echo "backup: $*" >&2
  exit 1
}

[[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL is not set"
dir="${BACKUP_DIR:-backups}"
keep="${BACKUP_KEEP:-14}"
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || die "BACKUP_KEEP must be a positive integer (got '$keep')"
command -v pg_dump >/dev/null || die "pg_dump not found (Debian: apt-get install postgresql-client)"

mkdir -p "$dir"
name="gps-$(date +%F).dump"
final="$dir/$name"
partial="$dir/.$name.partial"
trap 'rm -f "$partial"' EXIT

# Into a temporary name first: a dump that fails half-way never replaces a good one.
pg_dump -Fc "$DATABASE_URL" >"$partial" || die "pg_dump failed; no dump written"
# The archive's table of contents must read back, or the file is useless.
pg_restore --list "$partial" >/dev/null || die "the dump does not read back; not kept"
mv -f "$partial" "$final"
sha256sum "$final" | sed "s#  .*/#  #" >"$final.sha256"
echo "backup: wrote $final ($(du -h "$final" | cut -f1))"

# Local retention: names sort by date, keep the newest $keep.
mapfile -t old < <(ls -1 "$dir"/gps-*.dump 2>/dev/null | sort -r | tail -n +"$((keep + 1))")
for f in "${old[@]}"; do
  rm -f -- "$f" "$f.sha256"
  echo "backup: removed old dump $f"
done

if [[ -n "${BACKUP_S3_URI:-}" ]]; then
  command -v aws >/dev/null || die "BACKUP_S3_URI is set but the aws cli is not installed"
  [[ "$BACKUP_S3_URI" =~ ^s3://([^/]+)(/(.*))?$ ]] || die "BACKUP_S3_URI must look like s3://bucket[/prefix]"
  bucket="${BASH_REMATCH[1]}"
  prefix="${BASH_REMATCH[3]%/}"
  key="${prefix:+$prefix/}$name"
  endpoint=()
  [[ -n "${BACKUP_S3_ENDPOINT:-}" ]] && endpoint=(--endpoint-url "$BACKUP_S3_ENDPOINT")
  versioning="$(aws "${endpoint[@]}" s3api get-bucket-versioning --bucket "$bucket" --query Status --output text)" ||
    die "cannot read the versioning state of bucket $bucket"
  [[ "$versioning" == "Enabled" ]] ||
    die "bucket $bucket does not have versioning enabled (state: ${versioning:-never enabled}); enable it: aws s3api put-bucket-versioning --bucket $bucket --versioning-configuration Status=Enabled"
  aws "${endpoint[@]}" s3 cp "$final" "s3://$bucket/$key" --sse AES256 --only-show-errors ||
    die "upload to s3://$bucket/$key failed (the local dump is kept)"
  aws "${endpoint[@]}" s3 cp "$final.sha256" "s3://$bucket/$key.sha256" --sse AES256 --only-show-errors ||
    die "upload of the checksum failed"
  echo "backup: uploaded s3://$bucket/$key"
fi

# The success metrics, only now that the dump is written, read back and (when asked) uploaded.
metrics="# HELP fleet_backup_last_success_timestamp_seconds When the last successful backup finished (Unix time).
# TYPE fleet_backup_last_success_timestamp_seconds gauge
fleet_backup_last_success_timestamp_seconds $(date +%s)
# HELP fleet_backup_last_size_bytes Size of the last successful backup's dump.
# TYPE fleet_backup_last_size_bytes gauge
fleet_backup_last_size_bytes $(stat -c %s "$final")
# HELP fleet_backup_last_duration_seconds How long the last successful backup took.
# TYPE fleet_backup_last_duration_seconds gauge
fleet_backup_last_duration_seconds $(($(date +%s) - started))"
if [[ -n "${BACKUP_METRICS_FILE:-}" ]]; then
  tmp_metrics="$(dirname "$BACKUP_METRICS_FILE")/.$(basename "$BACKUP_METRICS_FILE").$$"
  printf '%s\n' "$metrics" >"$tmp_metrics" || die "cannot write $BACKUP_METRICS_FILE (the dump is kept)"
  chmod 644 "$tmp_metrics"
  mv -f "$tmp_metrics" "$BACKUP_METRICS_FILE"
  echo "backup: metrics written to $BACKUP_METRICS_FILE"
fi
if [[ -n "${BACKUP_METRICS_PUSH_URL:-}" ]]; then
  command -v curl >/dev/null || die "BACKUP_METRICS_PUSH_URL is set but curl is not installed"
  printf '%s\n' "$metrics" | curl -fsS --max-time 30 -X PUT --data-binary @- "$BACKUP_METRICS_PUSH_URL" >/dev/null ||
    die "pushing the metrics to $BACKUP_METRICS_PUSH_URL failed (the dump is kept)"
  echo "backup: metrics pushed to $BACKUP_METRICS_PUSH_URL"
fi
