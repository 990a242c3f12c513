#!/usr/bin/env bash
# PostgreSQL restore_command, the other half of tools/wal-archive.sh (point-in-time recovery):
#
#   restore_command = '/opt/fleet/tools/wal-restore.sh %f %p /var/lib/postgresql/wal-archive'
#
# Exits non-zero when the segment is not in the archive: that is how PostgreSQL learns it reached
# the end of the archived history.
set -euo pipefail

[[ $# -eq 3 ]] || {
  echo "usage: wal-restore.sh %f %p SOURCE (a directory or s3://bucket/prefix)" >&2
  exit 2
}
name="$1"
dst="$2"
src="${3%/}"

case "$src" in
  s3://*) aws s3 cp "$src/$name" "$dst" --only-show-errors 2>/dev/null ;;
  *) [[ -f "$src/$name" ]] && cp "$src/$name" "$dst" ;;
esac
