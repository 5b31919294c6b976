#!/usr/bin/env bash
# wrk against GET /livez on the gateway and, in the same run, on nginx answering the same
# bytes with `return 200`: throughput, latency, CPU per request and peak RSS side by side,
# in interleaved rounds so that a change in the machine's load hits both servers alike.
# A third peer, Benchmarks/DispatchFloor (a bare Dispatch-source server answering the same
# bytes with no parsing, logging or routing), shows what Dispatch sources alone cost here.
# With --nio-floor a fourth, Benchmarks/NIOFloor (the same server on SwiftNIO's epoll loops),
# shows what the same minimal work costs without Dispatch sources. With --epoll-floor another,
# Benchmarks/DispatchEpollFloor (one Dispatch read source per loop over an epoll set of its
# connections), shows what relaxing "a read source per connection" would give.
#
# Usage (from anywhere in a clone): bash Benchmarks/bench-livez.sh [options]; --help lists
# them. Progress goes to stderr, the report to stdout. Exit 0 whatever the figures are;
# non-zero only when something broke (a server did not start or died, wrk failed, socket
# errors, non-2xx answers). See Benchmarks/README.md for what the figures mean.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=lib.sh
source "$here/lib.sh"

duration=10
rounds=2
warmup=2
connections="64 256"
threads=2
loops=2
workers=2
build=1
bin=""
floor=1
nio_floor=0
epoll_floor=0
accept="${DAFTRA_GATEWAY_ACCEPT_STRATEGY:-}"
rss_target_mib=20
rps_target=0.8

usage() {
    cat <<EOF
Usage: bash Benchmarks/bench-livez.sh [options]

  --duration SECONDS     length of each measured wrk run (default $duration; "10s" works too)
  --rounds N             gateway,nginx pairs per connection count (default $rounds)
  --warmup SECONDS       wrk run before each server's first round per connection count
                         (default $warmup; 0 skips it)
  --connections "C..."   connection counts, space-separated (default "$connections")
  --threads N            wrk threads (default $threads)
  --loops N              gateway event loops (default $loops)
  --workers N            nginx worker processes (default $workers)
  --accept-strategy S    the gateway's accept strategy: reuseport (one SO_REUSEPORT
                         listener per loop, its default) or shared (one listener hands
                         connections round robin); sets DAFTRA_GATEWAY_ACCEPT_STRATEGY
  --no-build             skip the release build (.build-static, as deploy/Dockerfile builds)
  --bin PATH             gateway executable to run (implies --no-build)
  --no-floor             skip the Dispatch floor peer (Benchmarks/DispatchFloor)
  --nio-floor            add the SwiftNIO floor peer (Benchmarks/NIOFloor, a separate
                         package: its first release build takes a few minutes)
  --epoll-floor          add the Dispatch epoll-set floor peer (Benchmarks/DispatchEpollFloor:
                         one read source per loop over an epoll set, not one per connection)
  --keep                 keep the temporary directory (configs, wrk outputs)
  -h, --help             this text

Targets checked: throughput >= ${rps_target}x nginx, gateway peak RSS < ${rss_target_mib} MiB.
EOF
}

while (($# > 0)); do
    case "$1" in
    --duration) duration="$(seconds_arg "$1" "${2-}")"; shift 2 ;;
    --rounds) rounds="$(count_arg "$1" "${2-}")"; shift 2 ;;
    --warmup) warmup="$(seconds_arg "$1" "${2-}")"; shift 2 ;;
    --connections) connections="${2-}"; shift 2 ;;
    --threads) threads="$(count_arg "$1" "${2-}")"; shift 2 ;;
    --loops) loops="$(count_arg "$1" "${2-}")"; shift 2 ;;
    --workers) workers="$(count_arg "$1" "${2-}")"; shift 2 ;;
    --accept-strategy) accept="${2-}"; shift 2 ;;
    --no-build) build=0; shift ;;
    --bin) bin="${2-}"; build=0; shift 2 ;;
    --no-floor) floor=0; shift ;;
    --nio-floor) nio_floor=1; shift ;;
    --epoll-floor) epoll_floor=1; shift ;;
    --keep) BENCH_KEEP_TMP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
done
((duration > 0)) || die "--duration must be at least 1 second"
for c in $connections; do
    [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "--connections: '$c' is not a connection count"
    ((c >= threads)) || die "--connections: $c is fewer than the $threads wrk threads"
done
[[ -n "${connections// /}" ]] || die "--connections is empty"
case "$accept" in
"") ;;
reuseport | shared) export DAFTRA_GATEWAY_ACCEPT_STRATEGY="$accept" ;;
*) die "--accept-strategy takes reuseport or shared, not '$accept'" ;;
esac

bench_init
ensure_tools wrk nginx curl
((build)) && build_gateway "$root"
bin="${bin:-$(gateway_bin "$root")}"
[[ -x "$bin" ]] || die "no gateway executable at $bin"
floor_bin=""
((floor)) && { build_floor "$here/DispatchFloor/main.swift"; floor_bin="$BENCH_FLOOR_BIN"; }
nio_floor_bin=""
((nio_floor)) && { build_nio_floor "$root" nio-floor; nio_floor_bin="$BENCH_FLOOR_BIN"; }
epoll_floor_bin=""
((epoll_floor)) && { build_floor "$here/DispatchEpollFloor/main.swift" -I "$here/DispatchEpollFloor/CEpoll"; epoll_floor_bin="$BENCH_FLOOR_BIN"; }

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
if ge "${load_before%% *}" 1.5; then
    warn "load average is $load_before: other work shares the cores, figures will be noisy"
fi

# ---------------------------------------------------------------------------------------
# Servers

host=127.0.0.1
gw_port="$(pick_free_port)"
ng_port="$(pick_free_port $((gw_port + 1)))"
fl_port="$(pick_free_port $((ng_port + 1)))"
nf_port="$(pick_free_port $((fl_port + 1)))"
ep_port="$(pick_free_port $((nf_port + 1)))"
servers="gateway"
((floor)) && servers+=" floor"
((nio_floor)) && servers+=" niofloor"
((epoll_floor)) && servers+=" epfloor"
servers+=" nginx"

log "starting the gateway on $host:$gw_port (--loops $loops, accept strategy ${accept:-default})"
# --drain-delay 0s only shortens the exit at the end; serving is unaffected.
start_gateway "$bin" "$host" "$gw_port" --loops "$loops" --log-level info --drain-delay 0s
gw_pid=$BENCH_LAST_PID

log "starting nginx on $host:$ng_port (worker_processes $workers)"
nginx_start livez "$here/nginx/livez.conf.template" \
    HOST="$host" PORT="$ng_port" WORKERS="$workers" HEALTH_URL="http://$host:$ng_port/livez"
ng_pid=$BENCH_LAST_PID
ng_workers="$(child_pids "$ng_pid")"
fl_pid=""
if ((floor)); then
    log "starting the Dispatch floor on $host:$fl_port ($loops loops)"
    start_floor "$floor_bin" "$host" "$fl_port" "$loops"
    fl_pid=$BENCH_LAST_PID
fi
nf_pid=""
if ((nio_floor)); then
    log "starting the SwiftNIO floor on $host:$nf_port ($loops loops)"
    start_floor "$nio_floor_bin" "$host" "$nf_port" "$loops"
    nf_pid=$BENCH_LAST_PID
fi
ep_pid=""
if ((epoll_floor)); then
    log "starting the Dispatch epoll-set floor on $host:$ep_port ($loops loops)"
    start_floor "$epoll_floor_bin" "$host" "$ep_port" "$loops"
    ep_pid=$BENCH_LAST_PID
fi

# Both must answer the same thing before their speed means anything.
check_answer() {
    local name="$1" url="$2" head body
    head="$(curl -sS -D - -o "$BENCH_TMP/$name.body" "$url")" || die "$name: GET /livez failed"
    body="$(<"$BENCH_TMP/$name.body")"
    [[ "$head" == "HTTP/1.1 200"* ]] || die "$name: /livez answered $(head -n1 <<<"$head")"
    [[ "$body" == '{"status":"ok"}' ]] || die "$name: /livez body is '$body'"
    grep -qi '^content-type: application/json' <<<"$head" || die "$name: Content-Type is not application/json"
    grep -qi '^cache-control: no-store' <<<"$head" || die "$name: no Cache-Control: no-store"
    grep -qiE '^x-request-id: [0-9a-f]{32}' <<<"$head" || die "$name: no 32-hex X-Request-Id"
    printf '%s\n' "$head" | tr -d '\r' | sed '/^$/d' >"$BENCH_TMP/$name.head"
}
check_answer gateway "http://$host:$gw_port/livez"
check_answer nginx "http://$host:$ng_port/livez"
((floor)) && check_answer floor "http://$host:$fl_port/livez"
((nio_floor)) && check_answer niofloor "http://$host:$nf_port/livez"
((epoll_floor)) && check_answer epfloor "http://$host:$ep_port/livez"

# ---------------------------------------------------------------------------------------
# Runs

failures=()
results="$BENCH_TMP/results.tsv"
BENCH_RESULTS="$results"
: >"$results"
bytes_gateway=""
bytes_nginx=""

server_pids() {
    case "$1" in
    gateway) echo "$gw_pid" ;;
    floor) echo "$fl_pid" ;;
    niofloor) echo "$nf_pid" ;;
    epfloor) echo "$ep_pid" ;;
    *) echo "$ng_pid $(child_pids "$ng_pid")" ;;
    esac
}

url_of() {
    case "$1" in
    gateway) echo "http://$host:$gw_port/livez" ;;
    floor) echo "http://$host:$fl_port/livez" ;;
    niofloor) echo "http://$host:$nf_port/livez" ;;
    epfloor) echo "http://$host:$ep_port/livez" ;;
    *) echo "http://$host:$ng_port/livez" ;;
    esac
}

ensure_alive() {
    is_alive "$gw_pid" || {
        tail -n 20 "$BENCH_TMP/gateway.stderr" >&2
        die "the gateway died ($1)"
    }
    is_alive "$ng_pid" || die "nginx died ($1)"
    [[ -z "$fl_pid" ]] || is_alive "$fl_pid" || die "the Dispatch floor died ($1)"
    [[ -z "$nf_pid" ]] || is_alive "$nf_pid" || die "the SwiftNIO floor died ($1)"
    [[ -z "$ep_pid" ]] || is_alive "$ep_pid" || die "the Dispatch epoll-set floor died ($1)"
    local now
    now="$(child_pids "$ng_pid")"
    [[ "$now" == "$ng_workers" ]] || {
        nginx_problems livez >&2
        die "nginx workers changed from '$ng_workers' to '$now' ($1): a worker crashed"
    }
}

# warm SERVER C: a short run whose figures are dropped; errors still count.
warm() {
    local server="$1" c="$2" out="$BENCH_TMP/warmup-$1-c$2.txt" problem
    ((warmup > 0)) || return 0
    log "warm-up: $server, $c connections, ${warmup}s"
    run_wrk "$out" "$threads" "$c" "$warmup" "$(url_of "$server")" ||
        failures+=("warm-up $server c=$c: wrk exited with status $? ($(tail -n1 "$out"))")
    ensure_alive "warm-up $server c=$c"
    problem="$(wrk_check "$out")"
    [[ -z "$problem" ]] || failures+=("warm-up $server c=$c: $problem")
}

# measure SERVER C ROUND: one measured run; appends a row to $results.
measure() {
    local server="$1" c="$2" round="$3" out="$BENCH_TMP/run-$1-c$2-r$3.txt"
    local pids u0 s0 u1 s1 status=0 problem
    pids="$(server_pids "$server")"
    # shellcheck disable=SC2086
    read -r u0 s0 <<<"$(cpu_split $pids)"
    run_wrk "$out" "$threads" "$c" "$duration" "$(url_of "$server")" || status=$?
    # shellcheck disable=SC2086
    read -r u1 s1 <<<"$(cpu_split $pids)"
    ensure_alive "$server c=$c round $round"
    ((status == 0)) || failures+=("$server c=$c round $round: wrk exited with status $status ($(tail -n1 "$out"))")
    problem="$(wrk_check "$out")"
    [[ -z "$problem" ]] || failures+=("$server c=$c round $round: $problem")
    grep -q '^BENCH ' "$out" || return 0

    local requests rps p50 p99 cpu sys_pct hwm_a hwm_b rss_now bytes
    requests="$(wrk_value "$out" requests)"
    rps="$(wrk_rps "$out")"
    p50="$(us_to_ms "$(wrk_value "$out" p50_us)")"
    p99="$(us_to_ms "$(wrk_value "$out" p99_us)")"
    cpu="$(us_per_request $((u1 - u0 + s1 - s0)) "$requests")"
    sys_pct="$(awk -v s=$((s1 - s0)) -v t=$((u1 - u0 + s1 - s0)) 'BEGIN { printf "%.0f", t ? 100 * s / t : 0 }')"
    bytes="$(awk -v b="$(wrk_value "$out" bytes)" -v n="$requests" 'BEGIN { printf "%.0f", n ? b / n : 0 }')"
    if [[ "$server" == gateway ]]; then
        hwm_a="$(status_kb "$gw_pid" VmHWM)"
        hwm_b="$hwm_a"
        rss_now="$(status_kb "$gw_pid" VmRSS)"
        bytes_gateway="$bytes"
    elif [[ "$server" == floor || "$server" == niofloor || "$server" == epfloor ]]; then
        local pid
        pid="$(server_pids "$server")"
        hwm_a="$(status_kb "$pid" VmHWM)"
        hwm_b="$hwm_a"
        rss_now="$(status_kb "$pid" VmRSS)"
    else
        # shellcheck disable=SC2086
        read -r hwm_a hwm_b <<<"$(hwm_max_sum $ng_workers)"
        rss_now="-"
        bytes_nginx="$bytes"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$c" "$server" "$round" "$rps" "$p50" "$p99" "$cpu" "$hwm_a" "$hwm_b" "$rss_now" "$requests" "$sys_pct" >>"$results"
    log "$(printf '%-7s c=%-4s round %s: %10s req/s  p50 %7s ms  p99 %7s ms  %6s µs CPU/req  peak RSS %s kB' \
        "$server" "$c" "$round" "$rps" "$p50" "$p99" "$cpu" "$hwm_a")"
}

t_start=$SECONDS
for c in $connections; do
    for server in $servers; do warm "$server" "$c"; done
    for ((r = 1; r <= rounds; r++)); do
        log "round $r/$rounds, $c connections: ${servers// /, } (${duration}s each)"
        for server in $servers; do measure "$server" "$c" "$r"; done
    done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
gw_hwm_final="$(status_kb "$gw_pid" VmHWM)"

# ---------------------------------------------------------------------------------------
# Report

echo "== GET /livez: daftra-gateway vs nginx $("$(nginx_bin)" -v 2>&1 | sed 's|.*nginx/||') =="
echo "wrk -t$threads --latency, ${duration}s per run, $rounds round(s) per server and connection count," \
    "interleaved ${servers// //}, ${warmup}s warm-up; $(nproc) cores shared by wrk and the servers"
echo "load average before: $load_before; after: $load_after; measuring took $((SECONDS - t_start))s"
echo "gateway: $bin --loops $loops, accept strategy ${accept:-reuseport (default)}, request log to /dev/null;" \
    "answer ${bytes_gateway:-?} bytes on the wire"
echo "nginx:   worker_processes $workers, reuseport, JSON access log to /dev/null; answer ${bytes_nginx:-?} bytes" \
    "(its extra headers: $(grep -viE '^(HTTP/|date|content-length|content-type|cache-control|x-request-id):?' \
        "$BENCH_TMP/nginx.head" | tr '\n' ' ' | sed 's/ $//'))"
((floor)) && echo "floor:   Benchmarks/DispatchFloor, $loops loops: read sources only, one read and one send per event," \
    "fixed answer, no parsing, log, routing or timeouts (what Dispatch sources alone cost)"
((nio_floor)) && echo "niofloor: Benchmarks/NIOFloor, $loops SwiftNIO event loops (epoll): the floor's work and answer" \
    "without Dispatch sources"
((epoll_floor)) && echo "epfloor: Benchmarks/DispatchEpollFloor, $loops loops: one read source per loop over an epoll set" \
    "(level-triggered) of its connections, the floor's work per ready connection"
echo
echo "Every run (CPU = server utime+stime over the run / requests, sys = its kernel share; peak RSS = VmHWM,"
echo "for nginx the largest worker / the workers' sum; RSS now = the gateway's VmRSS after the run):"
printf '  %-5s %-8s %5s %11s %9s %9s %11s %5s %17s %10s\n' conns server round "req/s" "p50 ms" "p99 ms" "CPU µs/req" "sys" "peak RSS kB" "RSS now kB"
while IFS=$'\t' read -r c s r rps p50 p99 cpu ha hb now _ sys; do
    if [[ "$s" == nginx ]]; then peak="$ha / $hb"; else peak="$ha"; fi
    printf '  %-5s %-8s %5s %11s %9s %9s %11s %5s %17s %10s\n' "$c" "$s" "$r" "$rps" "$p50" "$p99" "$cpu" "$sys%" "$peak" "$now"
done <"$results"

# other_floor_report PEER C WHAT: PEER's median row at C connections, its ratios to nginx
# and, when the Dispatch floor ran, the Dispatch floor's ratios to it (WHAT says what that
# comparison isolates). Uses n_rps, n_cpu, f_rps and f_cpu of the report loop below.
other_floor_report() {
    local peer="$1" c="$2" what="$3" rps cpu line
    [[ -n "$(column "$peer" "$c" 4)" ]] || return 0
    rps="$(med "$peer" "$c" 4)"; cpu="$(med "$peer" "$c" 7)"
    printf '  %-8s %11.0f %9.3f %9.3f %11.1f %4.0f%%  %s\n' "$peer" "$rps" "$(med "$peer" "$c" 5)" \
        "$(med "$peer" "$c" 6)" "$cpu" "$(med "$peer" "$c" 12)" "$(kb_to_mib "$(med "$peer" "$c" 8)")"
    line="  $peer/nginx: throughput $(ratio "$rps" "$n_rps")x, CPU/request $(ratio "$cpu" "$n_cpu")x"
    if ((floor)) && [[ -n "$(column floor "$c" 4)" ]]; then
        line+="; floor/$peer ($what): throughput $(ratio "$f_rps" "$rps")x, CPU/request $(ratio "$f_cpu" "$cpu")x"
    fi
    echo "$line"
}

all_pass=1
for c in $connections; do
    [[ -n "$(column gateway "$c" 4)" && -n "$(column nginx "$c" 4)" ]] || {
        echo
        echo "-- $c connections: no complete runs --"
        all_pass=0
        continue
    }
    g_rps="$(med gateway "$c" 4)"; n_rps="$(med nginx "$c" 4)"
    g_p50="$(med gateway "$c" 5)"; n_p50="$(med nginx "$c" 5)"
    g_p99="$(med gateway "$c" 6)"; n_p99="$(med nginx "$c" 6)"
    g_cpu="$(med gateway "$c" 7)"; n_cpu="$(med nginx "$c" 7)"
    g_sys="$(med gateway "$c" 12)"; n_sys="$(med nginx "$c" 12)"
    g_hwm="$(med gateway "$c" 8)"
    n_max="$(med nginx "$c" 8)"; n_sum="$(med nginx "$c" 9)"
    r_rps="$(ratio "$g_rps" "$n_rps")"
    echo
    echo "-- $c connections: median of $rounds round(s) --"
    printf '  %-8s %11s %9s %9s %11s %5s  %s\n' server "req/s" "p50 ms" "p99 ms" "CPU µs/req" "sys" "peak RSS MiB"
    printf '  %-8s %11.0f %9.3f %9.3f %11.1f %4.0f%%  %s\n' gateway "$g_rps" "$g_p50" "$g_p99" "$g_cpu" "$g_sys" "$(kb_to_mib "$g_hwm")"
    printf '  %-8s %11.0f %9.3f %9.3f %11.1f %4.0f%%  %s\n' nginx "$n_rps" "$n_p50" "$n_p99" "$n_cpu" "$n_sys" \
        "$(kb_to_mib "$n_max") largest worker, $(kb_to_mib "$n_sum") all $workers workers"
    echo "  gateway/nginx: throughput ${r_rps}x, p99 $(ratio "$g_p99" "$n_p99")x, CPU/request $(ratio "$g_cpu" "$n_cpu")x," \
        "peak RSS $(ratio "$g_hwm" "$n_max")x the largest worker, $(ratio "$g_hwm" "$n_sum")x all workers"
    if ((floor)) && [[ -n "$(column floor "$c" 4)" ]]; then
        f_rps="$(med floor "$c" 4)"; f_cpu="$(med floor "$c" 7)"
        printf '  %-8s %11.0f %9.3f %9.3f %11.1f %4.0f%%  %s\n' floor "$f_rps" "$(med floor "$c" 5)" \
            "$(med floor "$c" 6)" "$f_cpu" "$(med floor "$c" 12)" "$(kb_to_mib "$(med floor "$c" 8)")"
        echo "  floor/nginx: throughput $(ratio "$f_rps" "$n_rps")x, CPU/request $(ratio "$f_cpu" "$n_cpu")x;" \
            "gateway/floor: throughput $(ratio "$g_rps" "$f_rps")x, CPU/request $(ratio "$g_cpu" "$f_cpu")x" \
            "($(awk -v g="$g_cpu" -v f="$f_cpu" 'BEGIN { printf "%.1f", g - f }') µs per request above the floor)"
    fi
    ((nio_floor)) && other_floor_report niofloor "$c" "Dispatch sources against epoll"
    ((epoll_floor)) && other_floor_report epfloor "$c" "a source per connection against one per loop"
    v="$(verdict ge "$r_rps" "$rps_target")"
    [[ "$v" == PASS ]] || all_pass=0
    echo "  target throughput >= ${rps_target}x nginx: $v (${r_rps}x)"
done

echo
v="$(verdict awk -v k="$gw_hwm_final" -v t="$rss_target_mib" 'BEGIN { exit !(k < t * 1024) }')"
[[ "$v" == PASS ]] || all_pass=0
echo "target gateway peak RSS < ${rss_target_mib} MiB: $v ($(kb_to_mib "$gw_hwm_final") MiB, VmHWM over the whole run)"

# The gateway's own account (a clean SIGTERM exit, nothing on stderr), then the verdict.
finish_report "$gw_pid" "$all_pass" livez
