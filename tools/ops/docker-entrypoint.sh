#!/bin/sh
# Entry point of the api and worker images (Dockerfile.server). Secrets can come as files (Compose
# secrets, files mounted from a vault): for each secret variable below, NAME_FILE=/path sets NAME to
# that file's content (trailing newlines dropped) before the command starts. Only these names: other
# *_FILE variables (SSL_CERT_FILE...) are paths that programs read themselves. Then the command
# replaces this shell, so node is PID 1 and receives SIGTERM itself (the services drain on it).
set -eu
for name in DATABASE_URL REDIS_URL JWT_SECRET JWT_SECRET_PREVIOUS PLATFORM_ADMIN_TOKEN; do
  file=$(printenv "${name}_FILE" || true)
  [ -n "$file" ] || continue
  if [ -n "$(printenv "$name" || true)" ]; then
    echo "entrypoint: both $name and ${name}_FILE are set: use one" >&2
    exit 1
  fi
  if [ ! -r "$file" ]; then
    echo "entrypoint: ${name}_FILE names $file, which cannot be read" >&2
    exit 1
  fi
  value=$(cat "$file")
  export "$name=$value"
  unset "${name}_FILE"
done
exec "$@"
