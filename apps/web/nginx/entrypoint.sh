#!/bin/sh
# Entrypoint of the web image (Dockerfile.frontend), then its command (nginx). Renders the server block
# from /etc/nginx/fleet/default.conf.template with the container's MAP_TILE_URL, MAP_TOKEN and
# TRACKER_SERVER_URL (only those: nginx's own $uri… stay) into /etc/nginx/conf.d, the one directory it
# writes. With a read-only root filesystem that directory is a volume (the Helm chart mounts an
# emptyDir there); the image's files stay read-only for any uid. When it cannot write, it stops with
# an error instead of starting nginx without the app's server block (deep links would 404).
set -eu

template=/etc/nginx/fleet/default.conf.template
out_dir=/etc/nginx/conf.d
out="$out_dir/default.conf"

# The values end up inside a JSON string inside an nginx string: refuse what would need escaping there
# (no map URL or token contains any of these).
for name in MAP_TILE_URL MAP_TOKEN TRACKER_SERVER_URL; do
  eval "value=\${$name:-}"
  case "$value" in
    *[\"\'\\\$\;]* | *'
'*)
      echo "fleet-web: $name must not contain quotes, backslashes, \$, ; or line breaks" >&2
      exit 1
      ;;
  esac
  export "$name=$value"
done

if [ ! -w "$out_dir" ]; then
  echo "fleet-web: cannot write $out_dir: mount a writable volume there (the chart mounts an emptyDir)" >&2
  exit 1
fi
envsubst '${MAP_TILE_URL} ${MAP_TOKEN} ${TRACKER_SERVER_URL}' <"$template" >"$out"

exec "$@"
