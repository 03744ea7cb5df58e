#!/usr/bin/env bash
# make compose-test: compose.yaml really comes up, on a machine that reaches no container
# registry (docs/deploy.md, "Offline compose test").
#
#   1. installs docker.io, docker-compose, debootstrap when missing (apt, as root);
#   2. starts a PRIVATE dockerd (data root, exec root, socket and pid file under
#      .run/compose-test-<pid>/; no iptables changes; never the system's dockerd);
#   3. builds debian:bookworm-slim with debootstrap --variant=minbase + docker import, from
#      the Debian mirror apt uses here, and the stand-ins postgres:15, redis:7,
#      nats:2.9-alpine (deploy/standins/) on it;
#   4. docker-compose config -q; builds the five images and the edge; brings the stack up;
#   5. runs tests/e2e/run.sh against the gateway, and against the TLS edge (curl trusts the
#      edge's generated certificate through CURL_HOME/.curlrc); checks the edge's redirect,
#      security headers and that /metrics is not exposed; runs the web console's curl checks
#      (tests/console/run.sh) against the edge, which serves the console at /;
#   6. scales svc-runs to 3 and shows from each replica's /metrics (http_requests_total) that
#      all three served requests sent through the gateway;
#   7. brings everything down, stops the daemon and removes the run directory.
# Prints "compose-test: N passed, N failed" and the time of every step.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="$ROOT/.run/compose-test-$$"
PROJECT="valorct$$"
DOCKERD_PID=""
PASSED=0
FAILED=0
STEPS=()
T0=$(date +%s)
TSTEP=$T0

ok() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1${2:+: $2}"; }
step() { # NAME: closes the previous step's timer and opens a new one
    local now
    now=$(date +%s)
    [ ${#STEPS[@]} -gt 0 ] && STEPS[-1]="${STEPS[-1]} $((now - TSTEP))s"
    TSTEP=$now
    STEPS+=("$1")
    say "$1"
}

# ---- 1. packages ---------------------------------------------------------------------------
need=()
for p in docker.io docker-compose debootstrap curl iproute2; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing packages: ${need[*]} (run as root: apt-get install ${need[*]})"
    step "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ "$(id -u)" -eq 0 ] || die "dockerd needs root"
DOCKER=/usr/bin/docker # Debian's client, matching its daemon (another docker may be on PATH)
[ -x "$DOCKER" ] || DOCKER=$(command -v docker)

# ---- 2. private dockerd --------------------------------------------------------------------
mkdir -p "$RUN"
# Unix socket paths are limited to 108 bytes; containerd's lives under the exec root.
EXEC_ROOT="$RUN/exec"
[ ${#EXEC_ROOT} -le 60 ] || EXEC_ROOT=$(mktemp -d /tmp/valor-ct-exec.XXXXXX)
SOCK="$RUN/docker.sock"
[ ${#SOCK} -le 100 ] || SOCK="$EXEC_ROOT.sock"
export DOCKER_HOST="unix://$SOCK"
export COMPOSE_PROJECT_NAME=$PROJECT COMPOSE_HTTP_TIMEOUT=300

dc() { docker-compose -f "$ROOT/compose.yaml" --project-directory "$ROOT" --env-file "$RUN/env" "$@"; }

cleanup() {
    local rc=$?
    set +e
    if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
        say "cleaning up: compose down, stopping the private dockerd"
        [ -f "$RUN/env" ] && dc down -v --remove-orphans -t 10 >"$RUN/down.log" 2>&1
        # Networks' bridges outlive the daemon: remove every network it still has.
        "$DOCKER" network prune -f >/dev/null 2>&1
        kill -TERM "$DOCKERD_PID" 2>/dev/null
        for _ in $(seq 1 150); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$DOCKERD_PID" 2>/dev/null
    fi
    # Whatever the daemon left mounted under our directories (overlay, shm, netns).
    grep -oE " ($RUN|$EXEC_ROOT)[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    if [ $rc -ne 0 ] && [ -f "$RUN/dockerd.log" ]; then
        cp "$RUN/dockerd.log" "$ROOT/.run/compose-test-last-dockerd.log" 2>/dev/null
    fi
    rm -rf "$RUN"
    [ "$EXEC_ROOT" != "$RUN/exec" ] && rm -rf "$EXEC_ROOT" "$EXEC_ROOT.sock"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_dockerd() { # STORAGE-DRIVER
    dockerd --data-root "$RUN/data" --exec-root "$EXEC_ROOT" -H "$DOCKER_HOST" \
        --pidfile "$RUN/dockerd.pid" --storage-driver "$1" \
        --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
        >>"$RUN/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    for _ in $(seq 1 150); do
        "$DOCKER" version >/dev/null 2>&1 && return 0
        kill -0 "$DOCKERD_PID" 2>/dev/null || break
        sleep 0.2
    done
    kill -TERM "$DOCKERD_PID" 2>/dev/null && wait "$DOCKERD_PID" 2>/dev/null
    DOCKERD_PID=""
    return 1
}
step "starting a private dockerd in $RUN"
if start_dockerd overlay2; then
    DRIVER=overlay2
elif start_dockerd vfs; then
    DRIVER=vfs
else
    tail -n 20 "$RUN/dockerd.log" >&2
    die "dockerd does not start here (overlay2 and vfs tried; log above)"
fi
ok "private dockerd runs (storage driver $DRIVER)"

# ---- 3. base image and stand-ins -----------------------------------------------------------
# The mirror apt uses here: the first Debian URI for bookworm (and for bookworm-security).
apt_uri() { # SUITE
    {
        cat /etc/apt/sources.list 2>/dev/null
        for f in /etc/apt/sources.list.d/*.list; do [ -f "$f" ] && cat "$f"; done
    } | awk -v s="$1" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { if ($(i + 1) == s) { print $i; exit } else break } }'
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && awk -v s="$1" '
            /^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
            /^[[:space:]]*$/ { if (ok && u) { print u; exit } ok = 0; u = "" }
            END { if (ok && u) print u }' "$f"
    done
}
MIRROR=$(apt_uri bookworm | head -1)
SECURITY=$(apt_uri bookworm-security | head -1)
[ -n "$MIRROR" ] || die "no bookworm entry in the apt sources: cannot tell which Debian mirror to debootstrap from"

step "debootstrap --variant=minbase bookworm ($MIRROR) + docker import"
debootstrap --variant=minbase bookworm "$RUN/rootfs" "$MIRROR" >"$RUN/debootstrap.log" 2>&1 || {
    tail -n 20 "$RUN/debootstrap.log" >&2
    die "debootstrap failed"
}
{
    echo "deb $MIRROR bookworm main"
    echo "deb $MIRROR bookworm-updates main"
    [ -n "$SECURITY" ] && echo "deb $SECURITY bookworm-security main"
} >"$RUN/rootfs/etc/apt/sources.list"
rm -rf "$RUN"/rootfs/var/cache/apt/archives/*.deb "$RUN"/rootfs/var/lib/apt/lists/*
tar -C "$RUN/rootfs" -c . | "$DOCKER" import -c 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
rm -rf "$RUN/rootfs"
ok "local debian:bookworm-slim imported"

# Builds run on the host network: with --iptables=false the default bridge has no NAT, and
# apt inside the build needs the Debian mirror.
build() { # TAG DOCKERFILE CONTEXT [ARGS...]
    local tag=$1 file=$2 ctx=$3
    shift 3
    if "$DOCKER" build --network host -q -t "$tag" -f "$file" "$@" "$ctx" >"$RUN/build.log" 2>&1; then
        return 0
    fi
    tail -n 30 "$RUN/build.log" >&2
    fail "image $tag builds"
    return 1
}
step "building stand-ins postgres:15, redis:7, nats:2.9-alpine"
build postgres:15 "$ROOT/deploy/standins/postgres/Dockerfile" "$ROOT/deploy/standins/postgres"
build redis:7 "$ROOT/deploy/standins/redis/Dockerfile" "$ROOT/deploy/standins/redis"
build nats:2.9-alpine "$ROOT/deploy/standins/nats/Dockerfile" "$ROOT/deploy/standins/nats"

# ---- 4. config, images, up -----------------------------------------------------------------
secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
GW_PORT=$(free_port)
EDGE_HTTP=$(free_port)
EDGE_HTTPS=$(free_port)
(
    umask 077
    cat >"$RUN/env" <<EOT
JWT_SECRET_KEY=$(secret)
SECRET_KEY=$(secret)
POSTGRES_PASSWORD=$(secret)
REDIS_PASSWORD=$(secret)
NATS_PASSWORD=$(secret)
APP_ENV=production
BCRYPT_COST=10
GATEWAY_PUBLISH=127.0.0.1:$GW_PORT
EDGE_HTTP_PUBLISH=127.0.0.1:$EDGE_HTTP
EDGE_HTTPS_PUBLISH=127.0.0.1:$EDGE_HTTPS
EDGE_HTTPS_PORT=$EDGE_HTTPS
VALOR_TAG=ct$$
EOT
)
step "docker-compose config -q"
if dc config -q; then ok "docker-compose config -q"; else fail "docker-compose config -q"; exit 1; fi

step "building the gateway, service and edge images"
for c in gateway svc-auth svc-runs svc-financial svc-deals; do
    build "valor/$c:ct$$" "$ROOT/deploy/Dockerfile" "$ROOT" --build-arg "COMPONENT=$c" || exit 1
done
build "valor/edge:ct$$" "$ROOT/deploy/edge/Dockerfile" "$ROOT" || exit 1
ok "images build"
tools=$("$DOCKER" run --rm --entrypoint sh "valor/svc-runs:ct$$" \
    -c 'command -v cc gcc make checkmk; id -u' 2>/dev/null | tr '\n' ' ')
[ "$tools" = "10001 " ] && ok "runtime image: no compiler or test tools, runs as uid 10001" ||
    fail "runtime image: no compiler or test tools, runs as uid 10001" "$tools"

dump_logs() {
    dc ps >&2 || true
    dc logs --no-color --tail=30 >&2 || true
}
step "docker-compose up -d"
if dc up -d >"$RUN/up.log" 2>&1 &&
    wait_for "gateway readiness" 120 curl -fsS "http://127.0.0.1:$GW_PORT/api/readiness" &&
    wait_for "edge" 60 curl -fsSk "https://127.0.0.1:$EDGE_HTTPS/api/health"; then
    ok "stack is up: gateway ready on :$GW_PORT, edge on :$EDGE_HTTPS"
else
    cat "$RUN/up.log" >&2
    dump_logs
    fail "stack comes up"
    exit 1
fi

# ---- 5. e2e through the gateway and through the edge ---------------------------------------
step "e2e against the gateway"
if BASE_URL="http://127.0.0.1:$GW_PORT" "$ROOT/tests/e2e/run.sh" >"$RUN/e2e-gateway.txt" 2>&1; then
    ok "e2e through the gateway: $(tail -n 1 "$RUN/e2e-gateway.txt")"
else
    grep '^FAIL' "$RUN/e2e-gateway.txt" >&2 || true
    fail "e2e through the gateway" "$(tail -n 1 "$RUN/e2e-gateway.txt")"
fi

step "e2e against the TLS edge"
mkdir -p "$RUN/curlhome"
dc exec -T edge cat /etc/edge-tls/tls.crt >"$RUN/curlhome/edge.crt"
printf 'cacert = "%s"\n' "$RUN/curlhome/edge.crt" >"$RUN/curlhome/.curlrc"
EDGE="https://127.0.0.1:$EDGE_HTTPS"
# CURL_CA_BUNDLE as well: a .curlrc's options do not reach the transfers after a --next.
CURL_HOME="$RUN/curlhome" CURL_CA_BUNDLE="$RUN/curlhome/edge.crt" BASE_URL=$EDGE \
    "$ROOT/tests/e2e/run.sh" >"$RUN/e2e-edge.txt" 2>&1 || true
# The edge does not expose /metrics, so the suite's cases that read /metrics fail there (the
# edge's 404 says so in its body), and it serves the web console at /, so the cases that read
# the gateway's JSON at / fail there too; every other case must pass.
by_design='/metrics|not served through the edge|^FAIL - GET / '
metrics_fail=$(grep '^FAIL' "$RUN/e2e-edge.txt" | grep -cE "$by_design" || true)
other=$(grep '^FAIL' "$RUN/e2e-edge.txt" | grep -vE "$by_design" || true)
if [ -z "$other" ] && grep -qE '^[0-9]+ passed' "$RUN/e2e-edge.txt"; then
    ok "e2e through the edge (HTTPS, certificate verified): $(tail -n 1 "$RUN/e2e-edge.txt"), all $metrics_fail failures are /metrics and GET / cases (not exposed / the console, by design)"
else
    printf '%s\n' "$other" >&2
    fail "e2e through the edge" "$(tail -n 1 "$RUN/e2e-edge.txt")"
fi
hdrs=$(CURL_HOME="$RUN/curlhome" curl -sS -D- -o /dev/null "$EDGE/api/health" | tr -d '\r')
for h in 'strict-transport-security: max-age=31536000' 'content-security-policy: default-src' \
    'x-frame-options: DENY' 'x-content-type-options: nosniff' \
    'referrer-policy: strict-origin-when-cross-origin' 'permissions-policy: '; do
    if grep -qi "^$h" <<<"$hdrs"; then ok "edge sends ${h%%:*}"; else fail "edge sends ${h%%:*}"; fi
done
n=$(grep -ci '^x-frame-options:' <<<"$hdrs" || true)
[ "$n" = 1 ] && ok "edge sends each security header once" || fail "edge sends X-Frame-Options once" "$n times"
loc=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$EDGE_HTTP/api/health?x=1")
[ "$loc" = "301 https://127.0.0.1:$EDGE_HTTPS/api/health?x=1" ] && ok "edge redirects HTTP to HTTPS" ||
    fail "edge redirects HTTP to HTTPS" "$loc"
for p in /metrics /api/metrics //metrics; do
    st=$(CURL_HOME="$RUN/curlhome" curl -sS --path-as-is -o /dev/null -w '%{http_code}' "$EDGE$p")
    [ "$st" = 404 ] && ok "edge does not expose $p" || fail "edge does not expose $p" "status $st"
done
# The web console at / through the edge: its headers (HSTS here), files, API and websocket.
if CURL_HOME="$RUN/curlhome" CONSOLE_URL=$EDGE "$ROOT/tests/console/run.sh" >"$RUN/console-edge.txt" 2>&1; then
    ok "web console through the edge: $(tail -n 1 "$RUN/console-edge.txt")"
else
    grep '^FAIL' "$RUN/console-edge.txt" >&2 || true
    fail "web console through the edge" "$(tail -n 1 "$RUN/console-edge.txt")"
fi

# ---- 6. scale svc-runs to 3 ----------------------------------------------------------------
step "scaling svc-runs to 3"
served() { # CONTAINER: requests this replica served outside /health, /ready, /metrics
    "$DOCKER" exec "$1" curl -fsS "http://127.0.0.1:5102/metrics" 2>/dev/null |
        awk '/^http_requests_total\{/ && !/endpoint="\/(health|ready|metrics)"/ { n += $NF } END { print n + 0 }'
}
if dc up -d --no-recreate --scale svc-runs=3 >"$RUN/scale.log" 2>&1; then
    mapfile -t replicas < <(dc ps -q svc-runs)
    ok "svc-runs scaled to ${#replicas[@]} replicas"
else
    cat "$RUN/scale.log" >&2
    fail "docker-compose up --scale svc-runs=3"
    replicas=()
fi
healthy() { [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$1")" = healthy ]; }
for r in "${replicas[@]}"; do wait_for "svc-runs replica ${r:0:12}" 90 healthy "$r" || true; done
declare -A before=()
for r in "${replicas[@]}"; do before[$r]=$(served "$r"); done
GW="http://127.0.0.1:$GW_PORT"
user="ct-scale-$$-$RANDOM"
register() {
    curl -sS -D "$RUN/register.headers" -X POST -H 'Content-Type: application/json' "$GW/api/auth/register" \
        --data "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"Scale-Test-Strong-9!\"}"
}
# The e2e runs spent this client's auth bucket: wait out each 429 as it says.
for _ in 1 2 3; do
    body=$(register)
    grep -q '^HTTP/[0-9.]* 429' "$RUN/register.headers" || break
    sleep "$(grep -i '^retry-after:' "$RUN/register.headers" | tr -dc '0-9')"
done
token=$(grep -oE '"access_token":"[^"]*"' <<<"$body" | head -1 | cut -d'"' -f4)
tenant=$(grep -oE '"tenant":"[^"]*"' <<<"$body" | head -1 | cut -d'"' -f4)
[ -n "$token" ] || fail "scale: register a user" "$(head -c 200 <<<"$body")"
# Bursts of GET /api/runs until every replica has served some (the gateway re-resolves the
# service name periodically, so new replicas join within its resolve interval).
deadline=$(($(date +%s) + 90))
all=0
while [ -n "$token" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    for _ in $(seq 1 15); do
        curl -sS -o /dev/null -H "Authorization: Bearer $token" -H "X-Tenant-ID: $tenant" \
            "$GW/api/runs" || true
    done
    all=1
    for r in "${replicas[@]}"; do
        [ "$(served "$r")" -gt "${before[$r]}" ] || all=0
    done
    [ $all = 1 ] && break
    sleep 2
done
dist=""
for r in "${replicas[@]}"; do dist+="${r:0:12}=$(($(served "$r") - ${before[$r]})) "; done
if [ ${#replicas[@]} -eq 3 ] && [ $all = 1 ]; then
    ok "all 3 svc-runs replicas served requests via the gateway ($dist)"
else
    fail "all 3 svc-runs replicas served requests via the gateway" "$dist"
fi

# ---- 7. down -------------------------------------------------------------------------------
step "docker-compose down"
if dc down -v --remove-orphans -t 10 >"$RUN/down.log" 2>&1; then ok "docker-compose down -v"; else
    fail "docker-compose down -v"
fi
step "done"
echo
echo "compose-test timings:"
for s in "${STEPS[@]:0:${#STEPS[@]}-1}"; do echo "  $s"; done
echo "  total $(($(date +%s) - T0))s"
echo "compose-test: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
