#!/usr/bin/env bash
# PostgreSQL archive_command: copies one finished WAL segment to the archive, for point-in-time
# recovery on top of a base backup (docs/runbooks/backup-restore.md#point-in-time-recovery).
#
#   archive_mode = on
#   archive_command = '/opt/fleet/tools/wal-archive.sh %p %f /var/lib/postgresql/wal-archive'
#   archive_command = '/opt/fleet/tools/wal-archive.sh %p %f s3://acme-fleet-wal/production'
#
# PostgreSQL recycles a segment only after this exits 0, so it must exit 0 only once the copy is
# durable, and never overwrite a different file of the same name (that would be another timeline's
# history, or another cluster archiving to the same place): exit 1 and PostgreSQL retries, while
# the pg_stat_archiver failure count (Grafana "WAL archiving" panel) shows the problem.
set -euo pipefail

[[ $# -eq 3 ]] || {
  echo "usage: wal-archive.sh %p %f DESTINATION (a directory or s3://bucket/prefix)" >&2
  exit 2
}
src="$1"
name="$2"
dest="${3%/}"

case "$dest" in
  s3://*)
    # With bucket versioning on, an accidental overwrite would still keep the earlier object.
    path="${dest#s3://}"
    bucket="${path%%/*}"
    prefix="${path#"$bucket"}"
    prefix="${prefix#/}"
    if aws s3api head-object --bucket "$bucket" --key "${prefix:+$prefix/}$name" >/dev/null 2>&1; then
      echo "wal-archive: $dest/$name already exists; not overwriting" >&2
      exit 1
    fi
    aws s3 cp "$src" "$dest/$name" --sse AES256 --only-show-errors
    ;;
  *)
    if [[ -e "$dest/$name" ]]; then
      # Archived before (PostgreSQL retries after a crash between copy and acknowledgement): fine if identical.
      cmp -s "$src" "$dest/$name" && exit 0
      echo "wal-archive: $dest/$name already exists with different content; not overwriting" >&2
      exit 1
    fi
    tmp="$dest/.$name.partial"
    cp "$src" "$tmp"
    sync "$tmp"
    mv "$tmp" "$dest/$name"
    sync "$dest"
    ;;
esac
