#!/bin/sh
# Entry point of every Valor IVX image (deploy/Dockerfile). $VALOR_COMPONENT names the binary.
#
#   serve            (default) exec the server; it becomes PID 1 and gets SIGTERM directly
#   seed             svc-financial only: load the shipped data set (/opt/valor/seed/*), then exit
#   healthcheck      the image's HEALTHCHECK: GET /health (gateway: /api/health) on $PORT
#   anything else    passed to the binary as arguments (e.g. --version)
set -eu

bin=/usr/local/bin/${VALOR_COMPONENT:?VALOR_COMPONENT is not set}
case $VALOR_COMPONENT in
gateway) port=5002 path=/api/health ;;
svc-auth) port=5101 path=/health ;;
svc-runs) port=5102 path=/health ;;
svc-financial) port=5103 path=/health ;;
svc-deals) port=5104 path=/health ;;
*) echo "unknown VALOR_COMPONENT: $VALOR_COMPONENT" >&2 && exit 2 ;;
esac

cmd=${1:-serve}
case $cmd in
serve)
    exec "$bin"
    ;;
healthcheck)
    exec curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${PORT:-$port}$path"
    ;;
seed)
    [ "$VALOR_COMPONENT" = svc-financial ] || { echo "seed: only in the svc-financial image" >&2; exit 2; }
    set -- /opt/valor/seed/*
    if [ ! -e "$1" ]; then
        echo '{"level":"warning","service":"svc-financial","msg":"no seed files shipped; nothing to load"}'
        exit 0
    fi
    exec "$bin" import "$@"
    ;;
*)
    exec "$bin" "$@"
    ;;
esac
