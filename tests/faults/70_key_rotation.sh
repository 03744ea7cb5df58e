#!/usr/bin/env bash
# JWT key rotation under a live session (docs/key-rotation.md): every process
# restarted with a new JWT_SECRET_KEY and the old one in
# JWT_PREVIOUS_SECRET_KEYS keeps accepting the session's access token; a
# refresh then gets a token signed with the new key (its kid names it); once
# the old key is removed, the old token is refused and the new one works.
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export RATE_LIMIT_API=100000/60
fault_setup keyrotation
COMPONENTS=(svc-auth svc-runs svc-financial svc-deals gateway)

# restart_all: every component stopped (SIGTERM) and started again on its
# port with the JWT_* variables exported now.
restart_all() {
    local c pid
    for c in "${COMPONENTS[@]}"; do
        pid=$(service_pid "$c")
        kill -TERM "$pid" 2>/dev/null
        wait_gone "$pid" 30 || kill -KILL "$pid" 2>/dev/null
    done
    for c in "${COMPONENTS[@]}"; do
        service_start "$c" || fail "$c restarts" "$(tail -5 "$RUN/logs/$c.log")"
    done
}

field() { grep -oE "\"$1\":\"[^\"]*\"" "$TMPD/body" | head -1 | cut -d'"' -f4; }

kid_of() { # the kid of a JWT's header
    local h=${1%%.*}
    h=$(tr '_-' '/+' <<<"$h")
    while [ $((${#h} % 4)) -ne 0 ]; do h+="="; done
    base64 -d <<<"$h" 2>/dev/null | grep -oE '"kid":"[^"]*"' | cut -d'"' -f4
}

# reads TOKEN TENANT: "gateway/direct" statuses of GET /api/runs
reads() {
    local g d
    g=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $1" \
        -H "X-Tenant-ID: $2" "$BASE_URL/api/runs")
    d=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $1" \
        -H "X-Tenant-ID: $2" "$RUNS_SERVICE_URL/api/runs")
    echo "$g/$d"
}

OLD_KEY=$JWT_SECRET_KEY
NEW_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

user="rot-$(date +%s%N | tail -c 9)"
one POST /api/auth/register "${JSON[@]}" \
    --data "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"$PASSWORD\"}"
OLD_TOKEN=$(field access_token)
REFRESH=$(field refresh_token)
TENANT=$(field tenant)
check "a session under the old key" "$(reads "$OLD_TOKEN" "$TENANT")" \
    test "$(reads "$OLD_TOKEN" "$TENANT")" = 200/200
OLD_KID=$(kid_of "$OLD_TOKEN")
check "tokens name their key (kid)" "kid '$OLD_KID'" test "${#OLD_KID}" -eq 16

# ---- step 1: the new key signs, the old one still verifies ------------------------------
export JWT_SECRET_KEY=$NEW_KEY JWT_PREVIOUS_SECRET_KEYS=$OLD_KEY
restart_all
check "after the rotation the session's access token still works (gateway/direct)" \
    "$(reads "$OLD_TOKEN" "$TENANT")" test "$(reads "$OLD_TOKEN" "$TENANT")" = 200/200
one POST /api/auth/refresh "${JSON[@]}" --data "{\"refresh_token\":\"$REFRESH\"}"
check "the refresh token still works" "status $STATUS" test "$STATUS" = 200
NEW_TOKEN=$(field access_token)
REFRESH=$(field refresh_token)
NEW_KID=$(kid_of "$NEW_TOKEN")
check "the refreshed token is signed with the new key (another kid)" "old $OLD_KID new $NEW_KID" \
    test -n "$NEW_KID" -a "$NEW_KID" != "$OLD_KID"
check "the refreshed token works (gateway/direct)" "$(reads "$NEW_TOKEN" "$TENANT")" \
    test "$(reads "$NEW_TOKEN" "$TENANT")" = 200/200

# ---- step 2: the old key removed ---------------------------------------------------------
unset JWT_PREVIOUS_SECRET_KEYS
restart_all
check "without the old key its token is refused (gateway/direct)" "$(reads "$OLD_TOKEN" "$TENANT")" \
    test "$(reads "$OLD_TOKEN" "$TENANT")" = 401/401
check "the new key's token still works (gateway/direct)" "$(reads "$NEW_TOKEN" "$TENANT")" \
    test "$(reads "$NEW_TOKEN" "$TENANT")" = 200/200
one POST /api/auth/refresh "${JSON[@]}" --data "{\"refresh_token\":\"$REFRESH\"}"
check "the session goes on refreshing" "status $STATUS" test "$STATUS" = 200

# ---- production refuses a weak previous key -------------------------------------------------
APP_ENV=production JWT_SECRET_KEY=$NEW_KEY SECRET_KEY=$NEW_KEY JWT_PREVIOUS_SECRET_KEYS=change-me \
    PORT=0 "$BINDIR/svc-runs" >"$TMPD/refused.log" 2>&1
rc=$?
check "production refuses a placeholder previous key (exit 2, naming the variable)" \
    "exit $rc: $(head -c 300 "$TMPD/refused.log")" \
    test "$rc" -eq 2 -a "$(grep -c 'JWT_PREVIOUS_SECRET_KEYS' "$TMPD/refused.log")" -ge 1
check "the refusal does not show the key" "$(head -c 300 "$TMPD/refused.log")" \
    test "$(grep -c 'change-me' "$TMPD/refused.log")" -eq 0

fault_finish
