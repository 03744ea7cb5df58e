#!/usr/bin/env bash
# make up / make down: the private dev stack in .run/dev and every process on fixed ports,
# and the web console: nginx on :8000 (CONSOLE_PORT) serving console/ with /api/ proxied to
# the gateway.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="$ROOT/.run/dev"
BIN="$ROOT/build/${MODE:-debug}/bin"

case ${1:-} in
up)
    if [ -f "$RUN/gateway.pid" ] && kill -0 "$(cat "$RUN/gateway.pid")" 2>/dev/null; then
        say "already running (make down first)"
        exit 0
    fi
    console_port=${CONSOLE_PORT:-8000}
    if ss -Htln "sport = :$console_port" 2>/dev/null | grep -q .; then
        die "port $console_port (the web console) is in use; free it or run CONSOLE_PORT=<port> make up"
    fi
    "$ROOT/scripts/stack.sh" start "$RUN" dev
    "$ROOT/scripts/services.sh" start "$RUN" "$BIN" dev
    # shellcheck disable=SC1091
    source "$RUN/stack.env"
    # shellcheck disable=SC1091
    source "$RUN/services.env"
    "$ROOT/scripts/console.sh" start "$RUN" "$console_port" "$BASE_URL"
    # shellcheck disable=SC1091
    source "$RUN/console.env"
    cat <<EOT

Valor IVX is running (make down stops it):
  web console    http://localhost:$CONSOLE_PORT/   (open it in a browser; logs: .run/dev/logs/console*.log)
  gateway        $BASE_URL          (logs: .run/dev/logs/gateway.log)
  svc-auth       $AUTH_SERVICE_URL
  svc-runs       $RUNS_SERVICE_URL
  svc-financial  $FINANCIAL_SERVICE_URL
  svc-deals      $DEALS_SERVICE_URL
  PostgreSQL     127.0.0.1:$PG_PORT  (psql "$DATABASE_URL")
  Redis          127.0.0.1:$REDIS_PORT
  NATS           127.0.0.1:$NATS_PORT  (monitor :$NATS_MON_PORT)

Try (register → login → save a run → read it):
  curl -s $BASE_URL/api/readiness
  curl -s -X POST $BASE_URL/api/auth/register -H 'Content-Type: application/json' \\
       -d '{"username":"alice","email":"alice@example.com","password":"Correct-Horse-9-battery"}'
  TOKEN=\$(curl -s -X POST $BASE_URL/api/auth/login -H 'Content-Type: application/json' \\
       -d '{"username":"alice","password":"Correct-Horse-9-battery"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  curl -s -X POST $BASE_URL/api/runs -H "Authorization: Bearer \$TOKEN" -H 'X-Tenant-ID: alice' \\
       -H 'Content-Type: application/json' -d '{"inputs":{"ticker":"ACME","use_defaults":true},"compute":true}'
  curl -s $BASE_URL/api/runs/last -H "Authorization: Bearer \$TOKEN" -H 'X-Tenant-ID: alice'
EOT
    ;;
down)
    [ -d "$RUN" ] || { say "nothing running"; exit 0; }
    "$ROOT/scripts/console.sh" stop "$RUN"
    "$ROOT/scripts/services.sh" stop "$RUN"
    "$ROOT/scripts/stack.sh" stop "$RUN"
    say "stopped"
    ;;
*) die "usage: dev.sh up|down" ;;
esac
