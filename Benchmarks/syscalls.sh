#!/usr/bin/env bash
# System calls and context switches per request, counted by the kernel's tracepoints
# (perf stat -e 'syscalls:sys_enter_*'), for the gateway and, in the same run, its peers:
# nginx and the Dispatch floor on /livez, the nginx reverse proxy on /clients. It shows
# what callgrind (instructions.sh) cannot: the kernel work a request costs, which is most
# of the gateway's CPU here, and which part of it comes from Dispatch sources (the
# floor's calls) rather than from the gateway's own code.
#
# Usage (from anywhere in a clone): bash Benchmarks/syscalls.sh [options]; --help lists
# them. The report goes to stdout, progress to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=lib.sh
source "$here/lib.sh"

endpoint=livez
duration=5
connections=64
loops=2
workers=2
rows=12
build=1
bin=""
fields="$CLIENTS_FIELDS"

usage() {
    cat <<EOF
Usage: bash Benchmarks/syscalls.sh [options]

  --endpoint livez|clients  GET /livez (peers: nginx's return 200 and the Dispatch floor),
                            or GET /clients/1?fields=... with gzip through an nginx
                            upstream (peer: nginx as the gzip reverse proxy)
                            (default $endpoint)
  --duration SECONDS        length of each counted wrk run (default $duration)
  --connections N           wrk connections (default $connections)
  --loops N                 gateway event loops (default $loops)
  --workers N               nginx worker processes (default $workers)
  --rows N                  system calls listed, the most frequent first (default $rows)
  --no-build                use the existing release build (.build-static)
  --bin PATH                count this executable (implies --no-build)
  -h, --help                this text

Each server gets a 2 s warm-up, then perf counts its threads' system calls while wrk
runs for --duration. perf stat -p follows the threads that exist when it starts, so
a thread libdispatch creates during the count is missed: the warm-up makes that rare,
and the figures are per request answered in the counted run. Tracing every system
call slows the servers several times over, so the throughput printed here is not a
benchmark figure; the counts per request are, within a few per cent.
EOF
}

while (($#)); do
    case "$1" in
    --endpoint) endpoint="${2-}"; shift 2 ;;
    --duration) duration="$(seconds_arg --duration "${2-}")"; shift 2 ;;
    --connections) connections="$(count_arg --connections "${2-}")"; shift 2 ;;
    --loops) loops="$(count_arg --loops "${2-}")"; shift 2 ;;
    --workers) workers="$(count_arg --workers "${2-}")"; shift 2 ;;
    --rows) rows="$(count_arg --rows "${2-}")"; shift 2 ;;
    --no-build) build=0; shift ;;
    --bin) bin="${2-}"; build=0; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
done
[[ "$endpoint" == livez || "$endpoint" == clients ]] || die "--endpoint takes livez or clients, not '$endpoint'"

bench_init
ensure_tools wrk curl nginx
if ! command -v perf >/dev/null 2>&1; then
    # Debian's package for perf is linux-perf; ensure_tools names packages after commands.
    log "installing linux-perf with apt-get"
    sudo=""
    [[ $(id -u) == 0 ]] || sudo="sudo"
    $sudo apt-get update -qq >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq linux-perf >&2 || die "apt-get install linux-perf failed"
fi
perf stat -e 'raw_syscalls:sys_enter' -- true >/dev/null 2>&1 ||
    die "perf cannot read the syscall tracepoints here (as root, or with kernel.perf_event_paranoid <= -1)"
((build)) && build_gateway "$root"
bin="${bin:-$(gateway_bin "$root")}"
[[ -x "$bin" ]] || die "no gateway executable at $bin"

host=127.0.0.1
gw_port="$(pick_free_port)"
ng_port="$(pick_free_port $((gw_port + 1)))"
path=/livez
wrk_headers=()
gateway_args=(--loops "$loops" --log-level info --drain-delay 0s)
if [[ "$endpoint" == clients ]]; then
    up_port="$(pick_free_port $((ng_port + 1)))"
    log "starting the nginx upstream on $host:$up_port"
    start_plain_upstream "$host" "$up_port"
    gateway_args+=(--upstream "http://$host:$up_port/{subdomain}/api2" --gzip-level 1)
    path="/clients/1?fields=$fields"
    wrk_headers=("${CLIENTS_WRK_HEADERS[@]}")
fi

log "starting the gateway on $host:$gw_port (--loops $loops)"
start_gateway "$bin" "$host" "$gw_port" "${gateway_args[@]}"
gw_pid=$BENCH_LAST_PID

if [[ "$endpoint" == livez ]]; then
    log "starting nginx on $host:$ng_port (worker_processes $workers)"
    nginx_start livez "$here/nginx/livez.conf.template" \
        HOST="$host" PORT="$ng_port" WORKERS="$workers" HEALTH_URL="http://$host:$ng_port/livez"
    ng_pid=$BENCH_LAST_PID
    build_floor "$here/DispatchFloor/main.swift"
    fl_port="$(pick_free_port $((ng_port + 2)))"
    log "starting the Dispatch floor on $host:$fl_port ($loops loops)"
    start_floor "$BENCH_FLOOR_BIN" "$host" "$fl_port" "$loops"
    fl_pid=$BENCH_LAST_PID
    servers="gateway floor nginx"
else
    log "starting the nginx proxy on $host:$ng_port (worker_processes $workers)"
    nginx_start proxy "$here/nginx/proxy.conf.template" \
        HOST="$host" PORT="$ng_port" WORKERS="$workers" UPSTREAM_HOST="$host" \
        UPSTREAM_PORT="$up_port" GZIP_LEVEL=1 HEALTH_URL="http://$host:$ng_port$path"
    ng_pid=$BENCH_LAST_PID
    fl_pid=""
    servers="gateway nginx"
fi

port_of() {
    case "$1" in
    gateway) echo "$gw_port" ;;
    floor) echo "$fl_port" ;;
    *) echo "$ng_port" ;;
    esac
}

# The processes whose threads are counted: nginx's workers do the serving (the master
# only watches them).
pids_of() {
    case "$1" in
    gateway) echo "$gw_pid" ;;
    floor) echo "$fl_pid" ;;
    *) child_pids "$ng_pid" ;;
    esac
}

# count SERVER: warm-up, then one counted run; writes $BENCH_TMP/SERVER.counts, lines of
# "event per-request" (per request answered in the counted run).
count() {
    local server="$1" url pids perf_pid requests problem
    url="http://$host:$(port_of "$server")$path"
    log "$server: warm-up 2s, then $duration s counted"
    run_wrk "$BENCH_TMP/warmup-$server.txt" 2 "$connections" 2 "$url" "${wrk_headers[@]}" ||
        die "wrk failed ($server warm-up)"
    pids="$(pids_of "$server" | xargs | tr ' ' ',')"
    perf stat -x ';' -e 'raw_syscalls:sys_enter,context-switches,syscalls:sys_enter_*' -p "$pids" \
        -o "$BENCH_TMP/perf-$server.txt" -- sleep "$((duration + 1))" &
    perf_pid=$!
    sleep 0.3
    run_wrk "$BENCH_TMP/wrk-$server.txt" 2 "$connections" "$duration" "$url" "${wrk_headers[@]}" ||
        die "wrk failed ($server)"
    wait "$perf_pid" || die "perf stat failed ($server): $(tail -n 3 "$BENCH_TMP/perf-$server.txt")"
    problem="$(wrk_check "$BENCH_TMP/wrk-$server.txt")"
    [[ -z "$problem" ]] || die "the counted run of $server was not clean: $problem"
    requests="$(wrk_value "$BENCH_TMP/wrk-$server.txt" requests)"
    ((requests > 0)) || die "$server answered no requests"
    # perf -x ';': value;unit;event;... ; "<not counted>" and zero rows are left out.
    awk -F';' -v n="$requests" '$1 ~ /^[0-9.]+$/ && $1 > 0 {
        e = $3; sub(/^syscalls:sys_enter_/, "", e); sub(/^raw_syscalls:sys_enter$/, "total", e)
        printf "%s %.3f\n", e, $1 / n }' "$BENCH_TMP/perf-$server.txt" >"$BENCH_TMP/$server.counts"
    echo "$server: $requests requests in the counted run"
}

echo "endpoint: $path, wrk -t2 -c$connections -d${duration}s; gateway $bin (--loops $loops)"
for s in $servers; do count "$s"; done

# The table: the total and context switches first, then the calls most frequent on the
# gateway or any peer.
value() { awk -v e="$2" '$1 == e { print $2; found = 1 } END { if (!found) print "-" }' "$BENCH_TMP/$1.counts"; }
events="$(cat "$BENCH_TMP"/*.counts | awk '$1 != "total" && $1 != "context-switches" { if ($NF > m[$1]) m[$1] = $NF }
    END { for (e in m) print m[e], e }' | sort -rn | head -n "$rows" | awk '{ print $2 }')"
echo
printf '%-20s' "per request"
for s in $servers; do printf '%12s' "$s"; done
echo
for e in total context-switches $events; do
    printf '%-20s' "$e"
    for s in $servers; do printf '%12s' "$(value "$s" "$e")"; done
    echo
done
