#!/usr/bin/env bash
# Private PostgreSQL, Redis and NATS (JetStream) for development and tests.
#
#   stack.sh start DIR [dev|auto]   start all three under DIR, write DIR/stack.env
#   stack.sh stop DIR               stop exactly what start recorded in DIR
#   stack.sh start-one DIR pg|redis|nats / stop-one DIR pg|redis|nats
#
# dev ports: PostgreSQL 55432, Redis 56379, NATS 54222 (monitor 58222).
# auto: free ports picked at random, so several stacks can run side by side.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: stack.sh start|stop|start-one|stop-one DIR [...]"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# postgres user; it lives in DIR/pg unless that user cannot reach DIR (a
# private parent directory), in which case it lives in a private temp dir.
pg_datadir() {
    if [ -f "$dir/pg.path" ]; then cat "$dir/pg.path"; return; fi
    local d="$dir/pg"
    if [ "$(id -u)" -eq 0 ]; then
        mkdir -p "$d" && chown postgres: "$d"
        if ! runuser -u postgres -- test -w "$d"; then
            rmdir "$d" 2>/dev/null || true
            d=$(mktemp -d /tmp/valor-pg.XXXXXX)
            chown postgres: "$d"
        fi
    fi
    echo "$d" >"$dir/pg.path"
    echo "$d"
}

write_env() {
    cat >"$dir/stack.env" <<EOT
export PG_PORT=$PG_PORT
export REDIS_PORT=$REDIS_PORT
export NATS_PORT=$NATS_PORT
export NATS_MON_PORT=$NATS_MON_PORT
export DATABASE_URL=postgresql://valor@127.0.0.1:$PG_PORT/valor
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
export NATS_URL=nats://127.0.0.1:$NATS_PORT
export VALOR_STACK_DIR=$dir
EOT
}

start_pg() {
    local data
    data=$(pg_datadir)
    if [ ! -f "$data/PG_VERSION" ]; then
        as_pg "$PG_BIN/initdb" -D "$data" -U valor --auth=trust -E UTF8 --no-sync >"$dir/pg-init.log" 2>&1 ||
            { cat "$dir/pg-init.log" >&2; die "initdb failed"; }
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 \
        -o "-p $PG_PORT -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
        start >/dev/null || { cat "$data/server.log" >&2; die "PostgreSQL did not start"; }
    head -1 "$data/postmaster.pid" >"$dir/pg.pid"
    wait_for PostgreSQL 30 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
    psql -h 127.0.0.1 -p "$PG_PORT" -U valor -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='valor'" |
        grep -q 1 || psql -h 127.0.0.1 -p "$PG_PORT" -U valor -d postgres -qc "CREATE DATABASE valor" >/dev/null
}

stop_pg() {
    local data
    [ -f "$dir/pg.path" ] || return 0
    data=$(cat "$dir/pg.path")
    if [ -f "$data/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 || stop_pidfile "$dir/pg.pid"
    fi
    rm -f "$dir/pg.pid"
}

start_redis() {
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
    wait_for Redis 20 redis-cli -p "$REDIS_PORT" ping
}

stop_redis() { stop_pidfile "$dir/redis.pid"; }

start_nats() {
    mkdir -p "$dir/nats"
    nats-server -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MON_PORT" -js -sd "$dir/nats" \
        </dev/null >>"$dir/nats.log" 2>&1 &
    echo $! >"$dir/nats.pid"
    wait_for NATS 30 curl -fsS "http://127.0.0.1:$NATS_MON_PORT/healthz?js-enabled-only=true"
}

stop_nats() { stop_pidfile "$dir/nats.pid"; }

load_ports() {
    if [ -f "$dir/stack.env" ]; then
        # shellcheck disable=SC1091
        source "$dir/stack.env"
        return
    fi
    case ${1:-auto} in
    dev) PG_PORT=55432 REDIS_PORT=56379 NATS_PORT=54222 NATS_MON_PORT=58222 ;;
    auto)
        PG_PORT=$(free_port) REDIS_PORT=$(free_port) NATS_PORT=$(free_port) NATS_MON_PORT=$(free_port)
        ;;
    *) die "unknown port set: $1" ;;
    esac
    write_env
}

case $cmd in
start)
    load_ports "${3:-auto}"
    start_pg
    start_redis
    start_nats
    say "stack up in $dir: PostgreSQL :$PG_PORT, Redis :$REDIS_PORT, NATS :$NATS_PORT"
    ;;
stop)
    stop_nats
    stop_redis
    stop_pg
    ;;
start-one)
    load_ports
    "start_${3:?which}"
    ;;
stop-one)
    "stop_${3:?which}"
    ;;
*) die "unknown command: $cmd" ;;
esac
