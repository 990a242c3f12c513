#!/usr/bin/env bash
# Production hardening check (docs/runbooks/production-hardening.md): run it against the production
# environment before opening traffic and after every deploy. Read-only: it changes nothing.
#
#   ENV_FILE=prod.env API_URL=http://10.0.3.7:3000 PUBLIC_URL=https://fleet.example.com \
#     tools/playbooks/production-check.sh
#
# Settings (environment, or read from ENV_FILE — the production env file / secret source):
#   APP_ENV, DATABASE_URL, JWT_SECRET, JWT_SECRET_PREVIOUS, LOG_FORMAT, CORS_ORIGINS  as deployed
#   API_URL     an API instance, directly (optional: /ready, no debug routes)
#   PUBLIC_URL  the public gateway (optional: /metrics must not be reachable from outside)
# Prints PASS / WARN / FAIL per check; exits 1 when anything FAILs.
set -uo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
if [[ -n "${ENV_FILE:-}" ]]; then
  [[ -f "$ENV_FILE" ]] || {
    echo "production-check: no such env file: $ENV_FILE" >&2
    exit 2
  }
  set -a
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  set +a
fi

failures=0
pass() { echo "PASS  $*"; }
warn() { echo "WARN  $*"; }
fail() {
  echo "FAIL  $*"
  failures=$((failures + 1))
}
q() { psql "$DATABASE_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1" 2>/dev/null; }

# --- configuration ---------------------------------------------------------------------------------
[[ "${APP_ENV:-}" == production ]] && pass "APP_ENV=production" || fail "APP_ENV is '${APP_ENV:-unset}', not production"

secret="${JWT_SECRET:-}"
if [[ ${#secret} -lt 32 ]]; then
  fail "JWT_SECRET is missing or shorter than 32 characters (tools/rotate-secret generate)"
elif [[ "${secret,,}" =~ change-?me|replace-?me|placeholder|dev-only ]]; then
  fail "JWT_SECRET is a placeholder"
else
  pass "JWT_SECRET is set and long enough"
fi
[[ -z "${JWT_SECRET_PREVIOUS:-}" ]] && pass "no JWT rotation left half-done" ||
  warn "JWT_SECRET_PREVIOUS is set: finish the rotation (tools/rotate-secret jwt revoke) once tokens have expired"

[[ "${LOG_FORMAT:-json}" == json ]] && pass "logs are JSON" || fail "LOG_FORMAT=${LOG_FORMAT}: production logs must be JSON for the log shipper"
if [[ "${CORS_ORIGINS:-}" =~ localhost|127\.0\.0\.1 || -z "${CORS_ORIGINS:-}" ]]; then
  fail "CORS_ORIGINS is '${CORS_ORIGINS:-unset (local development defaults)}': list the production web origins only"
else
  pass "CORS_ORIGINS names no local origin"
fi
[[ "${DATABASE_URL:-}" =~ sslmode=(require|verify-ca|verify-full) ]] && pass "DATABASE_URL requires TLS" ||
  warn "DATABASE_URL does not require TLS (sslmode=require) — fine only on a private network"

# --- seed blocked ----------------------------------------------------------------------------------
# Run the seed's guard against an address that cannot exist: refused before any connection is tried.
seed_out="$(cd "$root" && APP_ENV=production DATABASE_URL=postgres://seed-check.invalid:1/none \
  TSX_TSCONFIG_PATH=tsconfig.base.json node --import tsx tools/seed/main.ts 2>&1)"
seed_rc=$?
if [[ $seed_rc -ne 0 && "$seed_out" == *refused* ]]; then
  pass "the seed refuses to run with APP_ENV=production"
else
  fail "the seed does not refuse APP_ENV=production (exit $seed_rc): $seed_out"
fi

# --- database ----------------------------------------------------------------------------------------
if [[ -z "${DATABASE_URL:-}" ]] || ! q 'SELECT 1' >/dev/null; then
  fail "cannot connect to DATABASE_URL"
else
  demo="$(q "SELECT (SELECT count(*) FROM users WHERE lower(email) = 'demo@example.com')
                  + (SELECT count(*) FROM organizations WHERE slug = 'demo')
                  + (SELECT count(*) FROM vehicles WHERE device_identifier LIKE 'demo-%')")"
  [[ "$demo" == 0 ]] && pass "no demo user, organization or vehicles" ||
    fail "demo data present ($demo rows: demo@example.com, organization 'demo', vehicles demo-*): delete it"

  # Migrations before traffic: every migration committed in the repository is applied.
  expected="$(node -e 'for (const e of require(process.argv[1]).entries) console.log(e.when)' \
    "$root/libs/db/migrations/meta/_journal.json" | sort)"
  applied="$(q 'SELECT created_at FROM drizzle.__drizzle_migrations' | sort)"
  missing="$(comm -23 <(echo "$expected") <(echo "$applied") | grep -c . || true)"
  if [[ "$missing" == 0 ]]; then
    pass "all $(echo "$expected" | grep -c .) migrations applied"
  else
    fail "$missing migration(s) not applied: run the migration job (nx run db:migrate) before sending traffic"
  fi
fi

# --- running services ------------------------------------------------------------------------------
code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1"; }
if [[ -n "${API_URL:-}" ]]; then
  api="${API_URL%/}"
  [[ "$(code "$api/ready")" == 200 ]] && pass "API /ready answers 200" || fail "API /ready does not answer 200"
  [[ "$(code "$api/api/v1/_debug/sleep/1")" =~ ^(404|401)$ ]] && pass "no debug routes" ||
    fail "debug routes answer on the API: APP_ENV is not production there"
fi
if [[ -n "${PUBLIC_URL:-}" ]]; then
  public="${PUBLIC_URL%/}"
  [[ "$(code "$public/metrics")" != 200 ]] && pass "/metrics is not public" ||
    fail "$public/metrics is reachable from outside: block it at the gateway"
fi

echo
if [[ $failures -gt 0 ]]; then
  echo "production-check: $failures check(s) failed"
  exit 1
fi
echo "production-check: ready for traffic"
