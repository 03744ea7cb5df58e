#!/bin/bash
# Mimics the official postgres image's first start: POSTGRES_USER (default postgres),
# POSTGRES_PASSWORD (required), POSTGRES_DB (default: the user), PGDATA.
set -euo pipefail

if [ "${1:-postgres}" = postgres ]; then
    shift || true
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        [ -n "${POSTGRES_PASSWORD:-}" ] || { echo "POSTGRES_PASSWORD is required" >&2; exit 1; }
        pw=$(mktemp)
        printf '%s\n' "$POSTGRES_PASSWORD" >"$pw"
        initdb -D "$PGDATA" -U "$user" --pwfile="$pw" --auth-local=trust \
            --auth-host=scram-sha-256 -E UTF8 >/dev/null
        rm -f "$pw"
        echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
        if [ "$db" != postgres ]; then
            postgres --single -D "$PGDATA" -c listen_addresses= postgres \
                <<<"CREATE DATABASE \"$db\" OWNER \"$user\";" >/dev/null
        fi
        echo "stand-in postgres: initialised $PGDATA (user $user, database $db)" >&2
    fi
    exec postgres -D "$PGDATA" -c listen_addresses='*' \
        -c unix_socket_directories=/var/run/postgresql "$@"
fi
exec "$@"
