#!/bin/sh
# Container entrypoint: fetch the app's settings from Parameter Store at
# start, then become the app ("$@", the image's CMD).
#
#   SSM_MATERIALIZE_MODE=exec (default): the values go into the app's
#     environment only; nothing is written anywhere. ssm-materialize stays
#     as the app's parent, forwards SIGTERM/SIGINT/SIGHUP to it and exits
#     with its exit code.
#   SSM_MATERIALIZE_MODE=file: write the manifest's outputs (to a tmpfs:
#     docker run --tmpfs /run/app:uid=1000,mode=0700), then exec the app,
#     which reads the file, e.g. `node --env-file=/run/app/app.env server.js`.
#
# Any failure (missing or denied parameter, no credentials) stops the
# container before the app starts, with the reason on stderr.
set -eu
manifest="${SSM_MATERIALIZE_MANIFEST:-/app/materialize.yaml}"
case "${SSM_MATERIALIZE_MODE:-exec}" in
  exec) exec ssm-materialize exec -m "$manifest" -- "$@" ;;
  file)
    ssm-materialize write -m "$manifest" --quiet
    exec "$@"
    ;;
  *)
    echo "entrypoint: SSM_MATERIALIZE_MODE must be exec or file" >&2
    exit 64
    ;;
esac
