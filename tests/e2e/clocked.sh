# Helpers for testing clock-driven mechanisms (rate limits, breakers, TTLs,
# drains) so that a result never depends on how fast the machine is: count
# against the elapsed time, wait for a condition instead of sleeping.
# Sourced by tests/e2e/lib.sh and tests/faults/lib.sh; uses their ok/fail,
# BASE_URL and TMP (a scratch folder), and sets STATUS like their req/one.
# shellcheck shell=bash

# burst METHOD PATH [curl args…]: sends the same request over ONE keep-alive
# connection (one curl process) until the first 429, at most BURST_MAX (default
# 1000) times. A rate limit refills with time, so a count of separate curl
# processes depends on how fast the machine starts them; this does not, and
# expect_burst_bound judges the count against the time it took.
# Sets BURST_ALLOWED (answers before the 429), BURST_FIRST_REMAINING
# (X-RateLimit-Remaining of the first answer), BURST_MS (elapsed ms, from
# before the first request to after the last) and STATUS; the last answer's
# body and headers are in $TMP/body and $TMP/headers.lf, as after req, and
# "status seconds" of every answer in $TMP/burst.times.
burst() {
    local method=$1 path=$2 i t0 t1 codes
    shift 2
    rm -rf "$TMP/burst" && mkdir -p "$TMP/burst"
    for ((i = 1; i <= ${BURST_MAX:-1000}; i++)); do
        printf 'url = "%s"\noutput = "%s"\n' "$BASE_URL$path" "$TMP/burst/$i"
    done >"$TMP/burst.cfg"
    t0=$(date +%s%N)
    curl -sS --path-as-is -i --fail-with-body --fail-early --max-time 120 -X "$method" \
        -w '%{http_code} %{time_total}\n' "$@" -K "$TMP/burst.cfg" >"$TMP/burst.times" 2>"$TMP/curl.err"
    t1=$(date +%s%N)
    codes=$(cut -d' ' -f1 "$TMP/burst.times")
    BURST_MS=$(((t1 - t0) / 1000000))
    BURST_ALLOWED=$(grep -c '^2' <<<"$codes")
    STATUS=$(tail -n 1 <<<"$codes")
    [ -n "$STATUS" ] || STATUS=000
    split_answer "$TMP/burst/1"
    BURST_FIRST_REMAINING=$(grep -i '^X-RateLimit-Remaining:' "$TMP/headers.lf" | tr -dc '0-9')
    split_answer "$TMP/burst/$(wc -l <<<"$codes")"
}

# split_answer FILE: a curl -i output (headers, blank line, body) into
# $TMP/headers.lf and $TMP/body.
split_answer() {
    tr -d '\r' <"$1" 2>/dev/null | awk -v h="$TMP/headers.lf" -v b="$TMP/body" '
        !body && /^$/ { body = 1; next }
        { if (body) print > b; else print > h }
        END { if (!body) printf "" > b }' || : >"$TMP/headers.lf"
}

# expect_burst_bound NAME LIMIT PERIOD_S: about the last burst against a
# bucket of LIMIT per PERIOD_S (GCRA: a burst of LIMIT, then one every
# PERIOD_S/LIMIT s). The 429 came, no earlier than the bucket allows (every
# request the first answer said remained was granted) and no later than the
# refill over the burst's elapsed time explains (+1 for rounding).
expect_burst_bound() {
    local name=$1 limit=$2 period_s=$3 lo hi
    lo=$((${BURST_FIRST_REMAINING:-0} + 1))
    hi=$((lo + (BURST_MS * limit + period_s * 1000 - 1) / (period_s * 1000) + 1))
    if [ "$STATUS" != 429 ]; then
        fail "$name" "no 429 after $BURST_ALLOWED answers in $BURST_MS ms (last status $STATUS)"
    elif [ -z "$BURST_FIRST_REMAINING" ] || [ "$lo" -gt "$limit" ]; then
        fail "$name" "first answer's X-RateLimit-Remaining '${BURST_FIRST_REMAINING}' is not below $limit"
    elif [ "$BURST_ALLOWED" -lt "$lo" ] || [ "$BURST_ALLOWED" -gt "$hi" ]; then
        fail "$name" "$BURST_ALLOWED granted before the 429 in $BURST_MS ms, expected $lo..$hi"
    else
        ok "$name ($BURST_ALLOWED granted in $BURST_MS ms, bound $lo..$hi)"
    fi
}

# eventually SECONDS CMD…: runs CMD until it succeeds, every 0.2 s, for at
# most SECONDS; its status is CMD's last. For state that settles by itself
# (a breaker probing Redis again, an event consumed): wait for the condition,
# never a fixed sleep.
eventually() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}
