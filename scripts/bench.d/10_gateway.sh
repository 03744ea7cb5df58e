#!/usr/bin/env bash
# Gateway overhead (platform.md §8): a trivial upstream (gateway/bench/
# bench_upstream.c, release build) hit directly, through nginx as a plain
# keep-alive reverse proxy, and through the gateway's full pipeline (JWT
# verify + Redis rate limit with a limit that never refuses + tenant check +
# proxy + access log at INFO + metrics), same wrk settings for all three.
# Env from scripts/bench.sh: BUILD, RUN, ROOT, REDIS_URL, NATS_URL, JWT_SECRET_KEY.
# Prints Markdown rows "| what | figure | unit | note |".
#
# Also: the same gateway with blocking workers (FORWARD_LOOPS=0),
# at 64 and 1000 connections; the gateway under 1000 concurrent connections (wrk -t2 -c1000:
# requests/s, p99, the gateway's peak RSS), the machine-independent ratio of
# the gateway's CPU per request to nginx's, and the limiter's cost in Redis
# (Redis CPU µs per decision, commands per pipelined batch from the gateway's
# rate_limit_redis_{commands,batches}_total counters).
set -uo pipefail
# shellcheck disable=SC1091
source "$ROOT/scripts/lib.sh"

WRK_ARGS=(-t2 -c64 -d"${BENCH_GW_SECONDS:-10}"s --latency)
WRK_1K_ARGS=(-t2 -c1000 -d"${BENCH_GW_SECONDS:-10}"s --latency)
# 1000 client connections + as many upstream ones + wrk's: raise the soft
# limit for this script and what it starts (the hard limit permitting)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
fds=$(ulimit -n)
up_bin="$BUILD/bench/gateway-bench_upstream"
tok_bin="$BUILD/bench/gateway-bench_token"
gw_bin="$BUILD/bin/gateway"
for b in "$up_bin" "$tok_bin" "$gw_bin"; do
    [ -x "$b" ] || { echo "| gateway overhead | not built | | $b missing |"; exit 1; }
done
command -v wrk >/dev/null || { echo "| gateway overhead | skipped | | wrk not installed |"; exit 0; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

dir="$RUN/bench-gateway"
mkdir -p "$dir/nginx/logs"
pids=()
cleanup_gw() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    [ -f "$dir/nginx/nginx.pid" ] && kill "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null
}
trap cleanup_gw EXIT

up_port=$(free_port)
PORT=$up_port WORKER_THREADS=2 "$up_bin" >"$dir/upstream.out" 2>&1 </dev/null &
pids+=($!)
up_pid=$!
gw_port=$(free_port)
HOST=127.0.0.1 PORT=$gw_port LOG_LEVEL=INFO \
    AUTH_SERVICE_URL="http://127.0.0.1:$up_port" RUNS_SERVICE_URL="http://127.0.0.1:$up_port" \
    FINANCIAL_SERVICE_URL="http://127.0.0.1:$up_port" DEALS_SERVICE_URL="http://127.0.0.1:$up_port" \
    MAX_CONNECTIONS=2048 RATE_LIMIT_API=1000000000/60 "$gw_bin" >"$dir/gateway.log" 2>&1 </dev/null &
pids+=($!)
gw_pid=$!
# the same gateway forwarding on its worker threads, blocking (FORWARD_LOOPS=0;
# the default is event loops, docs/gateway.md)
ev_loops=0
ev_port=$(free_port)
HOST=127.0.0.1 PORT=$ev_port LOG_LEVEL=INFO FORWARD_LOOPS=$ev_loops \
    AUTH_SERVICE_URL="http://127.0.0.1:$up_port" RUNS_SERVICE_URL="http://127.0.0.1:$up_port" \
    FINANCIAL_SERVICE_URL="http://127.0.0.1:$up_port" DEALS_SERVICE_URL="http://127.0.0.1:$up_port" \
    MAX_CONNECTIONS=2048 RATE_LIMIT_API=1000000000/60 "$gw_bin" >"$dir/gateway-loops.log" 2>&1 </dev/null &
pids+=($!)
ev_pid=$!

ng_port=$(free_port)
cat >"$dir/nginx/nginx.conf" <<EOT
worker_processes 2;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log $dir/nginx/logs/access.log;
    client_body_temp_path $dir/nginx/tmp_body;
    proxy_temp_path $dir/nginx/tmp_proxy;
    fastcgi_temp_path $dir/nginx/tmp_fcgi;
    uwsgi_temp_path $dir/nginx/tmp_uwsgi;
    scgi_temp_path $dir/nginx/tmp_scgi;
    upstream bench { server 127.0.0.1:$up_port; keepalive 64; }
    server {
        listen 127.0.0.1:$ng_port;
        location / {
            proxy_pass http://bench;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOT
nginx_ok=0
if [ -x "$NGINX" ] && "$NGINX" -c "$dir/nginx/nginx.conf" -p "$dir/nginx" -e "$dir/nginx/logs/error.log" 2>"$dir/nginx.err"; then
    nginx_ok=1
fi

for p in $up_port $gw_port $ev_port; do
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$p/health" && break
        sleep 0.1
    done
done

tenant="bench-gw-$$"
token=$("$tok_bin" "$tenant" bench-user analyst standard 3600)
hdr=(-H "Authorization: Bearer $token" -H "X-Tenant-ID: $tenant")
path=/api/runs
check=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "http://127.0.0.1:$gw_port$path")
[ "$check" = 200 ] || { echo "| gateway overhead | failed | | gateway answered $check |"; exit 1; }

# CPU time (user + system) of processes so far, in clock ticks
cpu_ticks() {
    local p t=0
    for p in "$@"; do
        t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
# µs of CPU per request: ticks requests
per_request() {
    awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "?" }'
}
redis_port=${REDIS_URL##*:}
redis_pid=$(pgrep -f "redis-server .*:${redis_port%%/*}\$" | head -1)
# a counter of the gateway's /metrics (0 when absent)
gw_metric() {
    curl -s "http://127.0.0.1:$gw_port/metrics" | awk -v m="$1" '$1 == m {print $2; f = 1} END {if (!f) print 0}'
}
# measure URL PROXY_PIDS… → "rps p50_ms p99_ms" and the CPU µs per request of
# the proxy (the pids given; none: "-"), the upstream, Redis and wrk
measure() {
    local url=$1 out rps p50 p99 n t0 t1 u0 u1 r0 r1 wrk_s
    shift
    t0=$(cpu_ticks "$@") u0=$(cpu_ticks "$up_pid") r0=$(cpu_ticks $redis_pid)
    out=$( { TIMEFORMAT='wrk-cpu %U %S'; time wrk "${WRK_ARGS[@]}" "${hdr[@]}" "$url"; } 2>&1)
    t1=$(cpu_ticks "$@") u1=$(cpu_ticks "$up_pid") r1=$(cpu_ticks $redis_pid)
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    wrk_s=$(awk '/^wrk-cpu/ {printf "%.0f", ($2 + $3) * 1e6 / '"${n:-1}"'}' <<<"$out")
    grep -q 'Non-2xx' <<<"$out" && echo "warning: non-2xx answers for $url" >&2
    local proxy="-"
    [ $# -gt 0 ] && proxy=$(per_request $((t1 - t0)) "${n:-0}")
    echo "${rps:-0} $(to_ms "$p50") $(to_ms "$p99") $proxy $(per_request $((u1 - u0)) "${n:-0}") $(per_request $((r1 - r0)) "${n:-0}") ${wrk_s:-?}"
}
# wrk prints 1.23ms / 456.00us / 1.20s
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
        else printf "?" }'
}

read -r d_rps d_p50 d_p99 _ d_up _ d_wrk < <(measure "http://127.0.0.1:$up_port$path")
if [ "$nginx_ok" = 1 ]; then
    ng_pids=$(cat "$dir/nginx/nginx.pid")
    ng_pids="$ng_pids $(pgrep -P "$ng_pids" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    read -r n_rps n_p50 n_p99 n_cpu n_up _ n_wrk < <(measure "http://127.0.0.1:$ng_port$path" $ng_pids)
fi
b0=$(gw_metric rate_limit_redis_batches_total) c0=$(gw_metric rate_limit_redis_commands_total)
read -r g_rps g_p50 g_p99 g_cpu g_up g_redis g_wrk < <(measure "http://127.0.0.1:$gw_port$path" "$gw_pid")
b1=$(gw_metric rate_limit_redis_batches_total) c1=$(gw_metric rate_limit_redis_commands_total)
per_batch=$(awk -v b=$((${b1%.*} - ${b0%.*})) -v c=$((${c1%.*} - ${c0%.*})) 'BEGIN { if (b > 0) printf "%.2f", c / b; else print "n/a" }')
read -r e_rps e_p50 e_p99 e_cpu _ _ _ < <(measure "http://127.0.0.1:$ev_port$path" "$ev_pid")
k_rps="" k_p99="" k_rss=""
if [ "$fds" -ge 2200 ]; then
    WRK_ARGS=("${WRK_1K_ARGS[@]}")
    read -r k_rps _ k_p99 k_cpu _ _ _ < <(measure "http://127.0.0.1:$gw_port$path" "$gw_pid")
    b2=$(gw_metric rate_limit_redis_batches_total) c2=$(gw_metric rate_limit_redis_commands_total)
    k_batch=$(awk -v b=$((${b2%.*} - ${b1%.*})) -v c=$((${c2%.*} - ${c1%.*})) 'BEGIN { if (b > 0) printf "%.2f", c / b; else print "n/a" }')
    k_rss=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$gw_pid/status")
    read -r ek_rps _ ek_p99 ek_cpu _ _ _ < <(measure "http://127.0.0.1:$ev_port$path" "$ev_pid")
    ek_rss=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$ev_pid/status")
fi
blocked=$(curl -s "http://127.0.0.1:$gw_port/metrics" | awk '/^rate_limit_blocked_total/ {s += $2} END {print s + 0}')
backend=$(curl -s "http://127.0.0.1:$gw_port/metrics" | grep -c '^rate_limiter_backend{backend="redis"} 1')

settings="wrk -t2 -c64 -d${BENCH_GW_SECONDS:-10}s --latency, GET $path"
echo "| upstream direct | ${d_rps%.*} | req/s | p50 ${d_p50} ms, p99 ${d_p99} ms; CPU µs/request: upstream ${d_up}, wrk ${d_wrk}; $settings |"
if [ "$nginx_ok" = 1 ]; then
    echo "| nginx keep-alive proxy | ${n_rps%.*} | req/s | p50 ${n_p50} ms, p99 ${n_p99} ms; access log on; CPU µs/request: nginx ${n_cpu}, upstream ${n_up}, wrk ${n_wrk} |"
else
    echo "| nginx keep-alive proxy | skipped | | nginx did not start ($(head -c 120 "$dir/nginx.err")) |"
fi
echo "| gateway full pipeline | ${g_rps%.*} | req/s | p50 ${g_p50} ms, p99 ${g_p99} ms; JWT + Redis GCRA (backend redis: $backend, refused: $blocked) + access log + metrics; CPU µs/request: upstream ${g_up}, Redis ${g_redis}, wrk ${g_wrk} |"
echo "| gateway CPU per request | ${g_cpu} | µs | user + system time of the gateway process during its run (nginx: ${n_cpu:-?} µs) |"
if [ "$nginx_ok" = 1 ]; then
    cpu_ratio=$(awk -v g="$g_cpu" -v n="$n_cpu" 'BEGIN { if (n > 0) printf "%.2f", g / n; else print "?" }')
    echo "| gateway CPU µs per request ÷ nginx CPU µs per request | $cpu_ratio | × | machine-independent: ${g_cpu} µs ÷ ${n_cpu} µs, same wrk load |"
fi
echo "| Redis CPU per limiter decision | ${g_redis} | µs | redis-server user + system time ÷ requests in the gateway run (one decision each) |"
echo "| limiter commands per Redis batch | ${per_batch} | commands | rate_limit_redis_commands_total ÷ rate_limit_redis_batches_total over the gateway run, $((${c1%.*} - ${c0%.*})) commands (pipelining; 1 = none) |"
echo "| gateway full pipeline, blocking workers | ${e_rps%.*} | req/s | FORWARD_LOOPS=0, otherwise the same; p50 ${e_p50} ms, p99 ${e_p99} ms; gateway CPU µs/request ${e_cpu} (event loops: ${g_cpu}) |"
if [ -n "$k_rps" ]; then
    echo "| gateway, 1000 connections | ${k_rps%.*} | req/s | p99 ${k_p99} ms; gateway peak RSS ${k_rss} MiB, CPU µs/request ${k_cpu}, commands per Redis batch ${k_batch:-n/a}; wrk ${WRK_1K_ARGS[*]}, GET $path |"
    echo "| gateway with blocking workers, 1000 connections | ${ek_rps%.*} | req/s | FORWARD_LOOPS=0; p99 ${ek_p99} ms; gateway peak RSS ${ek_rss} MiB, CPU µs/request ${ek_cpu} |"
else
    echo "| gateway, 1000 connections | skipped | | ulimit -n is $fds (< 2200) |"
fi
if [ "$nginx_ok" = 1 ]; then
    ratio=$(awk -v g="$g_rps" -v n="$n_rps" 'BEGIN { if (n > 0) printf "%.2f", g / n; else print "?" }')
    dp99=$(awk -v g="$g_p99" -v n="$n_p99" 'BEGIN { printf "%+.2f", g - n }')
    echo "| gateway / nginx | $ratio | × | target ≥ 0.6; p99 difference $dp99 ms (target ≤ +2) |"
fi
