#!/usr/bin/env bash
# The store keys of a mobile release (ci.yml, mobile-release jobs), from the step's environment into
# files under $RUNNER_TEMP — outside the checkout, which EAS uploads — and their paths exported (through
# $GITHUB_ENV) under the names apps/mobile/eas.json and apps/mobile/fastlane read:
#   ASC_API_KEY   (secret APP_STORE_CONNECT_API_KEY, the .p8)  -> $ASC_API_KEY_PATH
#   ASC_KEY_ID    (secret APP_STORE_CONNECT_API_KEY_ID)        -> $ASC_API_KEY_ID
#   ASC_ISSUER_ID (secret APP_STORE_CONNECT_API_KEY_ISSUER_ID) -> $ASC_API_KEY_ISSUER_ID
#   PLAY_SA_JSON  (secret GOOGLE_PLAY_SERVICE_ACCOUNT_JSON)    -> $PLAY_SA_PATH
set -euo pipefail
: "${RUNNER_TEMP:?RUNNER_TEMP is not set (this runs on a GitHub Actions runner)}"
: "${GITHUB_ENV:?GITHUB_ENV is not set (this runs on a GitHub Actions runner)}"
missing=()
for name in ASC_API_KEY ASC_KEY_ID ASC_ISSUER_ID PLAY_SA_JSON; do
  [[ -n "${!name:-}" ]] || missing+=("$name")
done
if ((${#missing[@]})); then
  echo "::error::empty store secret(s): ${missing[*]} (README.md, \"Mobile app\", lists the secrets)"
  exit 1
fi
umask 077
keys="$RUNNER_TEMP/store-keys"
mkdir -p "$keys"
printf '%s\n' "$ASC_API_KEY" >"$keys/app-store-connect.p8"
printf '%s\n' "$PLAY_SA_JSON" >"$keys/play-service-account.json"
{
  echo "ASC_API_KEY_PATH=$keys/app-store-connect.p8"
  echo "ASC_API_KEY_ID=$ASC_KEY_ID"
  echo "ASC_API_KEY_ISSUER_ID=$ASC_ISSUER_ID"
  echo "PLAY_SA_PATH=$keys/play-service-account.json"
} >>"$GITHUB_ENV"
echo "store keys written under \$RUNNER_TEMP/store-keys"
