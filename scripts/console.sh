#!/usr/bin/env bash
# The web console's nginx (Debian) for the dev runner and the test runner.
#
#   console.sh start DIR PORT GATEWAY_URL   render DIR/console/nginx.conf, start nginx on
#                                           CONSOLE_HOST:PORT (default 127.0.0.1) serving
#                                           console/ with /api/ proxied
#                                           to GATEWAY_URL, wait until it answers, write
#                                           DIR/console.env (CONSOLE_URL)
#   console.sh stop DIR                     stop exactly the nginx recorded in DIR
#   console.sh restart DIR                  stop it and start it again on the same port and
#                                           gateway (the browser suite's reconnect case)
#
# nginx runs with -p DIR/console: its pid, temp directories and logs are all under DIR. Started
# as root, the workers run as "nobody"; when nobody cannot read the checkout (a private parent
# directory) the console files are served from a private copy under /tmp instead.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
CHARTJS=/usr/share/javascript/chart.js

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: console.sh start DIR PORT GATEWAY_URL | stop DIR"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
run="$dir/console"

start() {
    local port=$1 upstream=${2%/} root="$ROOT/console" user_line="# (not root: no user directive)"
    [ -x "$NGINX" ] || die "nginx is not installed (scripts/install-deps.sh)"
    [ -f "$CHARTJS/chart.mjs" ] || die "Chart.js is missing: $CHARTJS (apt-get install libjs-chart.js)"
    [ -f "$root/index.html" ] || die "no console/index.html in $ROOT"
    case $upstream in http://*) ;; *) die "GATEWAY_URL must be http://host:port, got '$upstream'" ;; esac
    mkdir -p "$run" "$dir/logs"
    if [ "$(id -u)" -eq 0 ]; then
        user_line="user nobody nogroup;"
        if ! runuser -u nobody -- test -r "$root/index.html" 2>/dev/null; then
            local copy
            copy=$(mktemp -d /tmp/valor-console.XXXXXX)
            cp -a "$root/." "$copy/"
            chmod -R a+rX "$copy"
            echo "$copy" >"$run/root.path"
            root=$copy
        fi
    fi
    local host=${CONSOLE_HOST:-127.0.0.1}
    case $host in *[!0-9A-Za-z.:\[\]]* | "") die "CONSOLE_HOST must be an address, got '$host'" ;; esac
    sed -e "s|@LISTEN@|$host:$port|g" -e "s|@RUN@|$run|g" -e "s|@ROOT@|$root|g" \
        -e "s|@CONF@|$ROOT/deploy/console|g" -e "s|@UPSTREAM@|$upstream|g" \
        -e "s|@USER@|$user_line|g" -e "s|@RESOLVER@|# (upstream is an address: no resolver)|g" \
        -e "s|@ACCESS_LOG@|$dir/logs/console-access.log|g" \
        -e "s|@ERROR_LOG@|$dir/logs/console.log|g" \
        "$ROOT/deploy/console/nginx.conf.in" >"$run/nginx.conf"
    "$NGINX" -t -q -p "$run" -c "$run/nginx.conf" -e "$dir/logs/console.log" ||
        die "nginx refused $run/nginx.conf (see $dir/logs/console.log)"
    "$NGINX" -p "$run" -c "$run/nginx.conf" -e "$dir/logs/console.log"
    wait_for "console nginx" 30 test -s "$run/nginx.pid" || die "nginx did not write its pid"
    cp "$run/nginx.pid" "$dir/console.pid"
    local probe=$host
    case $host in 0.0.0.0 | "[::]") probe=127.0.0.1 ;; esac
    wait_for "console" 30 curl -fsS "http://$probe:$port/console-health" ||
        { tail -n 20 "$dir/logs/console.log" >&2; die "the console did not answer on :$port"; }
    printf 'export CONSOLE_PORT=%s\nexport CONSOLE_URL=http://%s:%s\n' "$port" "$probe" "$port" \
        >"$dir/console.env"
    printf '%s %s\n' "$port" "$upstream" >"$run/args"
}

stop() {
    stop_pidfile "$dir/console.pid"
    if [ -f "$run/root.path" ]; then
        rm -rf "$(cat "$run/root.path")"
        rm -f "$run/root.path"
    fi
    rm -f "$dir/console.env"
}

case $cmd in
start) start "${3:?PORT}" "${4:?GATEWAY_URL}" ;;
stop) stop ;;
restart)
    [ -f "$run/args" ] || die "no console was started in $dir"
    read -r port upstream <"$run/args"
    stop
    start "$port" "$upstream"
    ;;
*) die "unknown command: $cmd" ;;
esac
