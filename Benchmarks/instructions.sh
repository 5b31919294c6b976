#!/usr/bin/env bash
# Instructions the gateway executes per request, counted by valgrind's callgrind: a
# deterministic figure for A/B comparisons on a noisy machine, where wall-clock benchmarks
# need many alternating rounds to show a change of a few per cent. It counts user-space
# instructions of every thread (loops, the Dispatch manager, the log writer); it does not
# see the kernel, cache misses or contention, so it complements bench-livez.sh and
# bench-clients.sh and does not replace them.
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
build=1
bin=""
fields="id,email,business_name,first_name,last_name,address1,city,notes"

usage() {
    cat <<EOF
Usage: bash Benchmarks/instructions.sh [options]

  --endpoint livez|clients  GET /livez, or GET /clients/1?fields=... with gzip through an
                            nginx upstream serving the Daftra envelope (default $endpoint)
  --duration SECONDS        length of the measured wrk run (default $duration)
  --connections N           wrk connections (default $connections)
  --top N                   also list the N functions with the most instructions,
                            callees included (default $top)
  --no-build                use the existing release build
  --bin PATH                measure this executable (implies --no-build)
  -h, --help                this text

The gateway runs with --loops 1 under callgrind (about 50 times slower than native): a
2 s warm-up, then the counters are zeroed, wrk runs for --duration, and the counters
are dumped. The figure is instructions per request; runs of one build differ by
about 1 %.
EOF
}

while (($#)); do
    case "$1" in
    --endpoint) endpoint="$2"; shift 2 ;;
    --duration) duration="$(seconds_arg --duration "$2")"; shift 2 ;;
    --connections) connections="$(count_arg --connections "$2")"; shift 2 ;;
    --top) top="$(count_arg --top "$2")"; shift 2 ;;
    --no-build) build=0; shift ;;
    --bin) bin="$2"; build=0; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (--help lists them)" ;;
    esac
done
[[ "$endpoint" == livez || "$endpoint" == clients ]] || die "--endpoint takes livez or clients, not '$endpoint'"

bench_init
ensure_tools wrk curl valgrind
[[ "$endpoint" == clients ]] && ensure_tools nginx
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
    make_client_docroot "$BENCH_TMP/docroot" "$here/nginx/client-envelope.json"
    nginx_start upstream "$here/nginx/upstream.conf.template" \
        HOST="$host" PORT="$up_port" WORKERS=1 DOCROOT="$BENCH_TMP/docroot" \
        UPSTREAM_GZIP=off LISTEN_SSL="" TLS="" CONN_LOG="" \
        HEALTH_URL="http://$host:$up_port/acme/api2/clients/1.json"
    gateway_args+=(--upstream "http://$host:$up_port/{subdomain}/api2" --gzip-level 1)
    url="http://$host:$port/clients/1?fields=$fields"
    wrk_headers=(-H "X-Daftra-Subdomain: acme" -H "Authorization: Bearer t" -H "Accept-Encoding: gzip")
fi

out="$BENCH_TMP/callgrind.out"
log "starting the gateway under callgrind ($endpoint)"
valgrind --tool=callgrind --callgrind-out-file="$out" "$stripped" "${gateway_args[@]}" \
    >/dev/null 2>"$BENCH_TMP/valgrind.log" &
vg_pid=$!
register_pid "$vg_pid"
ready=0
for ((i = 0; i < 600; i++)); do
    kill -0 "$vg_pid" 2>/dev/null || break
    if curl -fsS -o /dev/null --max-time 2 "${wrk_headers[@]}" "$url" 2>/dev/null; then ready=1; break; fi
    sleep 0.2
done
((ready)) || { tail -n 20 "$BENCH_TMP/valgrind.log" >&2; die "the gateway did not answer under callgrind"; }

run_wrk "$BENCH_TMP/warmup.txt" 1 "$connections" 2 "$url" "${wrk_headers[@]}" || die "wrk failed (warm-up)"
callgrind_control -z "$vg_pid" >/dev/null
run_wrk "$BENCH_TMP/wrk.txt" 1 "$connections" "$duration" "$url" "${wrk_headers[@]}" || die "wrk failed"
callgrind_control -d "$vg_pid" >/dev/null
problem="$(wrk_check "$BENCH_TMP/wrk.txt")"
[[ -z "$problem" ]] || die "the measured run was not clean: $problem"
requests="$(wrk_value "$BENCH_TMP/wrk.txt" requests)"
((requests > 0)) || die "no requests were answered"

# The dump after -z is the second file (out.1); its total covers the measured run only.
dump="$out.1"
[[ -s "$dump" ]] || die "callgrind wrote no dump"
total="$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')"
[[ -n "$total" ]] || die "could not read the instruction total"

echo "endpoint: $endpoint, gateway $bin (--loops 1, log level info), wrk -t1 -c$connections -d${duration}s"
echo "requests: $requests"
echo "instructions: $total"
awk -v t="$total" -v n="$requests" 'BEGIN { printf "instructions per request: %.0f\n", t / n }'
if ((top > 0)); then
    echo
    echo "functions with the most instructions per request (callees included):"
    demangle=(cat)
    command -v swift >/dev/null && demangle=(swift demangle --simplified --compact)
    callgrind_annotate --inclusive=yes "$dump" 2>/dev/null |
        awk '/file:function/ { on = 1; next } on && /^ *[0-9,]+ / { print }' |
        grep -v -E 'clone\.S|pthread_create\.c|PROGRAM TOTALS' | head -n "$top" |
        awk -v n="$requests" '{ v = $1; gsub(",", "", v); sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, ""); sub(/^\?\?\?:/, ""); sub(/ \[.*\]$/, ""); printf "%8.0f  %s\n", v / n, $0 }' |
        "${demangle[@]}" | cut -c1-150
fi
