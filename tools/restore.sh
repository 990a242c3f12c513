#!/usr/bin/env bash
# Restores a dump made by tools/backup.sh:
#
#   tools/restore.sh [--force] backups/gps-YYYY-MM-DD.dump [TARGET_DATABASE_URL]
#
# The target defaults to $DATABASE_URL and is created when it does not exist. A target that already
# holds tables is refused unless --force is given: restoring over live data is a decision, never an
# accident. Restore into an empty database or a temporary instance first, check it, then switch
# DATABASE_URL (docs/runbooks/backup-restore.md).
#
# With --force the dump is restored into a new database beside the target; only when that succeeded
# are the target's connections closed and the two swapped by renaming. The previous contents stay
# in `<target>_old_<timestamp>` until you drop it. (`pg_restore --clean` over an existing database
# cannot replace partitioned tables such as positions: it fails dropping the partitions' inherited
# constraints.) Either way the restore runs in one transaction, then ANALYZE refreshes planner
# statistics, which pg_restore does not carry. Run it as the database owner or an admin role.
set -euo pipefail

usage="usage: tools/restore.sh [--force] DUMP_FILE [TARGET_DATABASE_URL]"
die() {
  echo "restore: $*" >&2
  exit "${2:-1}"
}

force=0
args=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h | --help)
      echo "$usage"
      exit 0
      ;;
    -*) die "unknown option $arg ($usage)" ;;
    *) args+=("$arg") ;;
  esac
done
[[ ${#args[@]} -ge 1 && ${#args[@]} -le 2 ]] || die "$usage"
dump="${args[0]}"
target="${args[1]:-${DATABASE_URL:-}}"
[[ -n "$target" ]] || die "no target: pass TARGET_DATABASE_URL or set DATABASE_URL"
[[ -f "$dump" ]] || die "no such dump: $dump"
pg_restore --list "$dump" >/dev/null 2>&1 || die "$dump is not a pg_dump custom-format archive"
if [[ -f "$dump.sha256" ]]; then
  (cd "$(dirname "$dump")" && sha256sum --check --status "$(basename "$dump").sha256") ||
    die "$dump does not match its checksum file: corrupted or truncated"
fi

# postgres://user@host:port/NAME?params -> NAME, and the same server's maintenance database.
name="$(sed -E 's#^[a-z]+://[^/]*/([^?]*).*#\1#' <<<"$target")"
[[ -n "$name" && "$name" != "$target" ]] || die "cannot read the database name from the target URL"
maintenance="$(sed -E 's#^([a-z]+://[^/]*/)[^?]*#\1postgres#' <<<"$target")"
url_of() { sed -E "s#^([a-z]+://[^/]*/)[^?]*#\\1$1#" <<<"$target"; }
admin() { psql "$maintenance" -XAtqv ON_ERROR_STOP=1 "$@"; }

restore_into() {
  pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error --dbname="$1" "$dump" &&
    psql "$1" -Xqc 'ANALYZE'
}

exists="$(admin -v name="$name" <<<"SELECT count(*) FROM pg_database WHERE datname = :'name'")" ||
  die "cannot connect to the PostgreSQL server of the target"
if [[ "$exists" == "0" ]]; then
  admin -v name="$name" <<<'CREATE DATABASE :"name"' || die "could not create database $name"
  echo "restore: created database $name"
fi

# Relations that are ours (not the catalog's, not an extension's such as PostGIS' spatial_ref_sys).
count="$(psql "$target" -XAtv ON_ERROR_STOP=1 -c "
  SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
     AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')")" ||
  die "cannot connect to the target database"

if [[ "$count" -eq 0 ]]; then
  echo "restore: restoring $dump into $name"
  restore_into "$target" || die "pg_restore failed; the transaction was rolled back and $name is unchanged"
  echo "restore: done"
  exit 0
fi

[[ "$force" -eq 1 ]] ||
  die "the target database $name is not empty ($count tables, views or sequences): restore into an empty database, or pass --force to replace it" 2

stamp="$(date +%Y%m%d%H%M%S)"
staging="${name:0:40}_restoring_$stamp"
old="${name:0:40}_old_$stamp"
admin -v name="$staging" <<<'CREATE DATABASE :"name"' || die "could not create $staging"
echo "restore: restoring $dump into $staging (beside $name)"
if ! restore_into "$(url_of "$staging")"; then
  admin -v name="$staging" <<<'DROP DATABASE :"name"' || true
  die "pg_restore failed; $name is unchanged"
fi
# Swap: no new connections to the target, close the open ones, rename both. (The count of closed
# sessions is psql's output, not ours: not printed.)
admin -v name="$name" -v old="$old" -v staging="$staging" >/dev/null <<'SQL' || die "could not swap $staging into place; $name is unchanged, the restored copy is $staging"
ALTER DATABASE :"name" WITH ALLOW_CONNECTIONS false;
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :'name' AND pid <> pg_backend_pid();
ALTER DATABASE :"name" RENAME TO :"old";
ALTER DATABASE :"staging" RENAME TO :"name";
SQL
echo "restore: done; the previous contents are in database $old (connections disabled): DROP DATABASE \"$old\" when satisfied"
