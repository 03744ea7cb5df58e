#!/usr/bin/env bash
# shellcheck disable=SC2016 # awk programs in single quotes
# Revocations outlive Redis' data (docs/auth.md "Where revocation lives"):
# a logged-out token, a replayed family's access token and a deactivated
# user's token stay refused — through two gateway replicas and straight to
# each of the four services — after Redis is flushed (FLUSHALL) and after it
# restarts without persistence; a fresh login works; svc-auth re-seeds Redis
# from PostgreSQL. With Redis down, logout still succeeds and the token is
# refused on every replica within 1 s (the session.revoked event on NATS).
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export RATE_LIMIT_API=100000/60
fault_setup revocations

# A second gateway replica, as services.sh starts the first.
GW2_PORT=$(free_port)
HOST=127.0.0.1 PORT=$GW2_PORT "$BINDIR/gateway" </dev/null >>"$RUN/logs/gateway-2.log" 2>&1 &
echo $! >"$RUN/gateway-2.pid"
wait_for "gateway-2" 30 curl -fsS "http://127.0.0.1:$GW2_PORT/api/health" || die "gateway-2 did not start"

# Every replica a token is checked by: "name url-of-a-read-route".
REPLICAS=(
    "gateway-1 $BASE_URL/api/runs"
    "gateway-2 http://127.0.0.1:$GW2_PORT/api/runs"
    "svc-auth $AUTH_SERVICE_URL/api/auth/profile"
    "svc-runs $RUNS_SERVICE_URL/api/runs"
    "svc-financial $FINANCIAL_SERVICE_URL/api/financial-data/AAPL"
    "svc-deals $DEALS_SERVICE_URL/api/lbo/runs"
)

# statuses TOKEN TENANT: "name=status …" of one read on every replica.
statuses() {
    local r out=""
    for r in "${REPLICAS[@]}"; do
        out+="${r%% *}=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
            -H "Authorization: Bearer $1" -H "X-Tenant-ID: $2" "${r#* }") "
    done
    echo "${out% }"
}

# all_are STATUS TOKEN TENANT: every replica answers STATUS.
all_are() {
    local s
    s=$(statuses "$2" "$3")
    LAST_STATUSES=$s
    ! grep -qvE "=$1\$" < <(tr ' ' '\n' <<<"$s")
}

# expect_everywhere NAME STATUS TOKEN TENANT
expect_everywhere() {
    if all_are "$2" "$3" "$4"; then ok "$1"; else fail "$1" "$LAST_STATUSES"; fi
}

post() { # PATH TOKEN BODY → STATUS, body in $TMPD/body (TOKEN "" for none)
    local auth=()
    [ -n "$2" ] && auth=(-H "Authorization: Bearer $2")
    one POST "$1" "${JSON[@]}" "${auth[@]}" --data "$3"
}

jti_of() { # the jti claim of a JWT
    local p=${1#*.}
    p=${p%%.*}
    p=$(tr '_-' '/+' <<<"$p")
    while [ $((${#p} % 4)) -ne 0 ]; do p+="="; done
    base64 -d <<<"$p" 2>/dev/null | grep -oE '"jti":"[^"]*"' | cut -d'"' -f4
}

redis_cli() { redis-cli -p "$REDIS_PORT" "$@"; }

field() { grep -oE "\"$1\":\"[^\"]*\"" "$TMPD/body" | head -1 | cut -d'"' -f4; }

# ---- three revoked tokens -------------------------------------------------------------
register rv-logout
LOGOUT_TOKEN=$TOKEN LOGOUT_TENANT=$TENANT
expect_everywhere "a fresh token is accepted by every replica" 200 "$LOGOUT_TOKEN" "$LOGOUT_TENANT"
post /api/auth/logout "$LOGOUT_TOKEN" '{}'
check "logout succeeds" "status $STATUS" test "$STATUS" = 200

# a replayed refresh family: the access token issued by the rotation dies with it
user="rv-replay-$(date +%s%N | tail -c 9)"
post /api/auth/register "" "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"$PASSWORD\"}"
REPLAY_TENANT=$(field tenant)
R0=$(field refresh_token)
post /api/auth/refresh "" "{\"refresh_token\":\"$R0\"}"
REPLAY_TOKEN=$(field access_token)
post /api/auth/refresh "" "{\"refresh_token\":\"$R0\"}"
check "a replayed refresh token is refused" "status $STATUS" test "$STATUS" = 401

# a deactivated member
register rv-admin
ADMIN_TOKEN=$TOKEN ADMIN_TENANT=$TENANT
member="rv-member-$(date +%s%N | tail -c 9)"
post /api/auth/users "$ADMIN_TOKEN" \
    "{\"username\":\"$member\",\"email\":\"$member@example.com\",\"password\":\"$PASSWORD\",\"role\":\"analyst\"}"
MEMBER_ID=$(grep -oE '"id":[0-9]+' "$TMPD/body" | head -1 | cut -d: -f2)
post /api/auth/login "" "{\"username\":\"$member\",\"password\":\"$PASSWORD\"}"
MEMBER_TOKEN=$(field access_token)
one PATCH "/api/auth/users/$MEMBER_ID" "${JSON[@]}" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H "X-Tenant-ID: $ADMIN_TENANT" --data '{"active":false}'
check "the member is deactivated" "status $STATUS" test "$STATUS" = 200

all_refused() { # NAME: the three tokens refused with 401 by every replica
    expect_everywhere "$1: the logged-out token is refused everywhere" 401 "$LOGOUT_TOKEN" "$LOGOUT_TENANT"
    expect_everywhere "$1: the replayed family's token is refused everywhere" 401 "$REPLAY_TOKEN" "$REPLAY_TENANT"
    expect_everywhere "$1: the deactivated user's token is refused everywhere" 401 "$MEMBER_TOKEN" "$ADMIN_TENANT"
}
all_refused "before any fault"

# svc-auth's metric of re-seeds, and a wait until Redis holds JTI again
reseeds() { curl -sS --max-time 5 "$AUTH_SERVICE_URL/metrics" | awk '$1 == "revocation_reseeds_total" { print $2 }'; }
in_redis() { [ "$(redis_cli EXISTS "valor:denylist:jti:$1")" = 1 ]; }
LOGOUT_JTI=$(jti_of "$LOGOUT_TOKEN")

# ---- Redis flushed --------------------------------------------------------------------------
before=$(reseeds)
redis_cli FLUSHALL >/dev/null
all_refused "right after FLUSHALL"
eventually 30 in_redis "$LOGOUT_JTI"
check "svc-auth re-seeds Redis after FLUSHALL" "reseeds ${before:-?} → $(reseeds)" in_redis "$LOGOUT_JTI"
all_refused "after the re-seed"

# ---- Redis restarted without persistence --------------------------------------------------------
# a key nothing re-creates tells that the restart lost the data (the denylist
# key itself may be back already: svc-auth checks every REVOCATION_CHECK_MS)
redis_cli SET valor:fault:sentinel 1 >/dev/null
kill -KILL "$(cat "$RUN/redis.pid")"
rm -f "$RUN/redis.pid"
"$ROOT/scripts/stack.sh" start-one "$RUN" redis >>"$RUN/setup.log" 2>&1 ||
    fail "Redis restarts" "$(tail -3 "$RUN/setup.log")"
check "Redis came back empty" "$(redis_cli DBSIZE) keys" test "$(redis_cli EXISTS valor:fault:sentinel)" = 0
all_refused "Redis restarted empty"
eventually 30 in_redis "$LOGOUT_JTI"
check "svc-auth re-seeds Redis after its restart" "reseeds $(reseeds)" in_redis "$LOGOUT_JTI"

register rv-fresh
expect_everywhere "a fresh login works on every replica" 200 "$TOKEN" "$TENANT"

# ---- Redis down: logout still succeeds and reaches every replica within 1 s -------------------
register rv-down
DOWN_TOKEN=$TOKEN DOWN_TENANT=$TENANT
expect_everywhere "before the outage the token is accepted" 200 "$DOWN_TOKEN" "$DOWN_TENANT"
kill -KILL "$(cat "$RUN/redis.pid")"
rm -f "$RUN/redis.pid"
post /api/auth/logout "$DOWN_TOKEN" '{}'
T_LOGOUT=$(now_ms)
check "logout succeeds while Redis is down" "status $STATUS $(head -c 200 "$TMPD/body")" \
    test "$STATUS" = 200
declare -A refused_ms=()
while [ $(($(now_ms) - T_LOGOUT)) -lt 10000 ] && [ ${#refused_ms[@]} -lt ${#REPLICAS[@]} ]; do
    for r in "${REPLICAS[@]}"; do
        name=${r%% *}
        [ -n "${refused_ms[$name]:-}" ] && continue
        st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
            -H "Authorization: Bearer $DOWN_TOKEN" -H "X-Tenant-ID: $DOWN_TENANT" "${r#* }")
        [ "$st" = 401 ] && refused_ms[$name]=$(($(now_ms) - T_LOGOUT))
    done
done
summary=""
for r in "${REPLICAS[@]}"; do summary+="${r%% *}=${refused_ms[${r%% *}]:-never} ms "; done
echo "refused after the logout (Redis down): $summary"
late=0
for r in "${REPLICAS[@]}"; do
    [ "${refused_ms[${r%% *}]:-99999}" -le 1000 ] || late=$((late + 1))
done
check "with Redis down the logged-out token is refused on every replica within 1 s" "$summary" \
    test "$late" -eq 0

"$ROOT/scripts/stack.sh" start-one "$RUN" redis >>"$RUN/setup.log" 2>&1 ||
    fail "Redis restarts" "$(tail -3 "$RUN/setup.log")"
DOWN_JTI=$(jti_of "$DOWN_TOKEN")
eventually 30 in_redis "$DOWN_JTI"
check "the revocation made while Redis was down reaches Redis when it is back" \
    "valor:denylist:jti:$DOWN_JTI missing" in_redis "$DOWN_JTI"
all_refused "after the outage"
expect_everywhere "after the outage the logged-out token stays refused" 401 "$DOWN_TOKEN" "$DOWN_TENANT"
check "svc-auth counted its re-seeds" "revocation_reseeds_total $(reseeds)" test "$(reseeds)" -ge 3

fault_finish
