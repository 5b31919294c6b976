#!/usr/bin/env bash
# Instructions the gateway executes per request, counted by valgrind's callgrind: a
# deterministic figure for A/B comparisons on a noisy machine, where wall-clock benchmarks
# need many alternating rounds to show a change of a few per cent. It counts user-space
# instructions of every thread (loops, the Dispatch manager, the log writer); it does not
# see the kernel, cache misses or contention, so it complements bench-livez.sh and
# bench-clients.sh and does not replace them. The same count is taken of the nginx peer of
# the wall-clock benchmark (nginx answering /livez, or nginx as the gzip reverse proxy),
# run as one process (master_process off, one worker), so the report can say how much
# more user-space work the gateway does per request.
#
# Usage (from anywhere in a clone): bash Benchmarks/instructions.sh [options]; --help lists
# them. The report goes to stdout, progress to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=lib.sh
source "$here/lib.sh"

endpoint=livez
duration=5
connections=4
top=0
peer=1
build=1
bin=""
keep=""
fields="$CLIENTS_FIELDS"

usage() {
    cat <<EOF
Usage: bash Benchmarks/instructions.sh [options]

  --endpoint livez|clients  GET /livez, or GET /clients/1?fields=... with gzip through an
                            nginx upstream serving the Daftra envelope (default $endpoint)
  --duration SECONDS        length of the measured wrk run (default $duration)
  --connections N           wrk connections (default $connections)
  --top N                   also list the N functions with the most instructions,
                            callees included (default $top)
  --no-peer                 skip the nginx peer
  --no-build                use the existing release build
  --bin PATH                measure this executable (implies --no-build)
  --keep DIR                copy the callgrind dumps of the measured runs into DIR
                            (callgrind-gateway.out, callgrind-nginx.out) for
                            callgrind_annotate; swift demangle reads the names
  -h, --help                this text

Each server runs under callgrind (about 50 times slower than native): the gateway with
--loops 1, nginx with one process. A 2 s warm-up, then the counters are zeroed, wrk
runs for --duration, and the counters are dumped. The figure is instructions per
request; runs of one build differ by about 1 % on /clients, 2-4 % on /livez (work
tied to the clock, such as the log writer's wake-ups, is spread over the requests).
EOF
}

while (($#)); do
    case "$1" in
    --endpoint) endpoint="$2"; shift 2 ;;
    --duration) duration="$(seconds_arg --duration "$2")"; shift 2 ;;
    --connections) connections="$(count_arg --connections "$2")"; shift 2 ;;
    --top) top="$(count_arg --top "$2")"; shift 2 ;;
    --no-peer) peer=0; shift ;;
    --no-build) build=0; shift ;;
    --bin) bin="$2"; build=0; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (--help lists them)" ;;
    esac
done
[[ "$endpoint" == livez || "$endpoint" == clients ]] || die "--endpoint takes livez or clients, not '$endpoint'"

bench_init
ensure_tools wrk curl valgrind
[[ "$endpoint" == clients || $peer == 1 ]] && ensure_tools nginx
((build)) && build_gateway "$root"
bin="${bin:-$(gateway_bin "$root")}"
[[ -x "$bin" ]] || die "no gateway executable at $bin"

# valgrind 3.19 cannot read the DWARF 5 the Swift toolchain writes; symbols suffice.
stripped="$BENCH_TMP/daftra-gateway"
cp "$bin" "$stripped"
strip --strip-debug "$stripped"

host=127.0.0.1
port="$(pick_free_port)"
gateway_args=(--host "$host" --port "$port" --loops 1 --log-level info --drain-delay 0s)
url="http://$host:$port/livez"
wrk_headers=()
if [[ "$endpoint" == clients ]]; then
    up_port="$(pick_free_port $((port + 1)))"
    start_plain_upstream "$host" "$up_port"
    gateway_args+=(--upstream "http://$host:$up_port/{subdomain}/api2" --gzip-level 1)
    url="http://$host:$port/clients/1?fields=$fields"
    wrk_headers=("${CLIENTS_WRK_HEADERS[@]}")
fi

# measure NAME URL COMMAND...: runs COMMAND under callgrind, waits until URL answers, warms
# it up, counts the instructions of a wrk run and sets MEASURED (per request) and
# MEASURED_DUMP (the callgrind file); stops the process afterwards.
MEASURED=""
MEASURED_DUMP=""
measure() {
    local name="$1" url="$2" out="$BENCH_TMP/callgrind-$1.out" ready=0 i
    shift 2
    log "starting $name under callgrind ($endpoint)"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>"$BENCH_TMP/valgrind-$name.log" &
    local vg_pid=$!
    register_pid "$vg_pid"
    for ((i = 0; i < 600; i++)); do
        kill -0 "$vg_pid" 2>/dev/null || break
        if curl -fsS -o /dev/null --max-time 2 "${wrk_headers[@]}" "$url" 2>/dev/null; then ready=1; break; fi
        sleep 0.2
    done
    ((ready)) || { tail -n 20 "$BENCH_TMP/valgrind-$name.log" >&2; die "$name did not answer under callgrind"; }
    run_wrk "$BENCH_TMP/warmup-$name.txt" 1 "$connections" 2 "$url" "${wrk_headers[@]}" || die "wrk failed ($name warm-up)"
    callgrind_control -z "$vg_pid" >/dev/null
    run_wrk "$BENCH_TMP/wrk-$name.txt" 1 "$connections" "$duration" "$url" "${wrk_headers[@]}" || die "wrk failed ($name)"
    callgrind_control -d "$vg_pid" >/dev/null
    local problem requests total
    problem="$(wrk_check "$BENCH_TMP/wrk-$name.txt")"
    [[ -z "$problem" ]] || die "the measured run of $name was not clean: $problem"
    requests="$(wrk_value "$BENCH_TMP/wrk-$name.txt" requests)"
    ((requests > 0)) || die "$name answered no requests"
    # The dump after -z is the second file (out.1): it covers the measured run only.
    MEASURED_DUMP="$out.1"
    [[ -s "$MEASURED_DUMP" ]] || die "callgrind wrote no dump for $name"
    total="$(callgrind_annotate "$MEASURED_DUMP" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')"
    [[ -n "$total" ]] || die "could not read the instruction total of $name"
    MEASURED="$(awk -v t="$total" -v n="$requests" 'BEGIN { printf "%.0f", t / n }')"
    stop_pid "$vg_pid" 10 || true
    echo "$name: $requests requests, $total instructions, $MEASURED per request"
}

# top_functions DUMP REQUESTS_FILE: the --top list of one dump, per request.
top_functions() {
    local requests
    requests="$(wrk_value "$2" requests)"
    demangle=(cat)
    command -v swift >/dev/null && demangle=(swift demangle --simplified --compact)
    callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
        awk '/file:function/ { on = 1; next } on && /^ *[0-9,]+ / { print }' |
        grep -v -E 'clone\.S|pthread_create\.c|PROGRAM TOTALS' | head -n "$top" |
        awk -v n="$requests" '{ v = $1; gsub(",", "", v); sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, ""); sub(/^\?\?\?:/, ""); sub(/ \[.*\]$/, ""); printf "%8.0f  %s\n", v / n, $0 }' |
        "${demangle[@]}" | cut -c1-150
}

echo "endpoint: $endpoint, wrk -t1 -c$connections -d${duration}s; gateway $bin (--loops 1, log level info)"
measure gateway "$url" "$stripped" "${gateway_args[@]}"
gateway_count="$MEASURED"
gateway_dump="$MEASURED_DUMP"
# keep_dump NAME: copies the last measured dump into --keep's directory.
keep_dump() {
    [[ -n "$keep" ]] || return 0
    mkdir -p "$keep"
    cp "$MEASURED_DUMP" "$keep/callgrind-$1.out"
    log "kept $keep/callgrind-$1.out"
}
keep_dump gateway

if ((peer)); then
    # The wall-clock benchmark's nginx peer, as one process so callgrind sees all of it.
    ng_port="$(pick_free_port $((port + 2)))"
    ng_prefix="$BENCH_TMP/nginx-peer"
    mkdir -p "$ng_prefix/tmp"
    chmod 755 "$ng_prefix"
    if [[ "$endpoint" == livez ]]; then
        render_template "$here/nginx/livez.conf.template" "$ng_prefix/nginx.conf" \
            PREFIX="$ng_prefix" WORKERS=1 HOST="$host" PORT="$ng_port"
        ng_url="http://$host:$ng_port/livez"
    else
        render_template "$here/nginx/proxy.conf.template" "$ng_prefix/nginx.conf" \
            PREFIX="$ng_prefix" WORKERS=1 HOST="$host" PORT="$ng_port" UPSTREAM_HOST="$host" \
            UPSTREAM_PORT="$up_port" GZIP_LEVEL=1
        ng_url="http://$host:$ng_port/clients/1?fields=$fields"
    fi
    sed -i 's/^master_process on;/master_process off;/' "$ng_prefix/nginx.conf"
    grep -q '^master_process off;' "$ng_prefix/nginx.conf" || die "could not turn nginx's master process off"
    measure nginx "$ng_url" "$(nginx_bin)" -p "$ng_prefix/" -e "$ng_prefix/error.log" -c "$ng_prefix/nginx.conf"
    keep_dump nginx
    echo "gateway/nginx: $(ratio "$gateway_count" "$MEASURED") times the instructions per request"
fi

if ((top > 0)); then
    echo
    echo "gateway functions with the most instructions per request (callees included):"
    top_functions "$gateway_dump" "$BENCH_TMP/wrk-gateway.txt"
fi
