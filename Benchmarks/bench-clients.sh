#!/usr/bin/env bash
# wrk against GET /clients/1?fields=... with Accept-Encoding: gzip on the gateway and, in the
# same run, on nginx as a reverse proxy (keep-alive upstream pool, gzip at the same level);
# both in front of one nginx upstream serving a Daftra envelope. Throughput, latency, CPU
# per request and peak RSS side by side, in interleaved rounds so that a change in the
# machine's load hits both alike. The upstream's CPU is reported but is not server CPU.
# A third peer, Benchmarks/DispatchProxyFloor (a bare Dispatch-source proxy: fixed upstream
# request, Content-Length framing, a fixed body gzipped per answer, no parsing, projection,
# logging or routing), shows what Dispatch sources alone cost a proxy here. With --nio-floor
# a fourth, Benchmarks/NIOFloor's nio-proxy-floor (the same proxy on SwiftNIO's epoll
# loops), shows what the same minimal work costs without Dispatch sources.
#
# Usage (from anywhere in a clone): bash Benchmarks/bench-clients.sh [options]; --help lists
# them. Progress goes to stderr, the report to stdout. Exit 0 whatever the figures are;
# non-zero only when something broke (a server did not start or died, wrk failed, socket
# errors, non-2xx answers). See Benchmarks/README.md for what the figures mean.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=lib.sh
source "$here/lib.sh"

duration=10
rounds=3
warmup=3
connections="64 256"
threads=2
loops=2
workers=2
upstream_workers=1
upstream_gzip=off
gzip_level=1
fields="$CLIENTS_FIELDS"
tenant=acme
build=1
bin=""
rss_target_mib=32
rss_target_conns=256
rps_target=1.0
upstream_tls=0
floor=1
nio_floor=0

usage() {
    cat <<EOF
Usage: bash Benchmarks/bench-clients.sh [options]

  --duration SECONDS     length of each measured wrk run (default $duration; "10s" works too)
  --rounds N             gateway,floor,proxy rounds per connection count (default $rounds)
  --warmup SECONDS       wrk run before each server's first round per connection count
                         (default $warmup; 0 skips it)
  --connections "C..."   connection counts, space-separated (default "$connections")
  --threads N            wrk threads (default $threads)
  --loops N              gateway event loops (default $loops)
  --workers N            nginx proxy worker processes (default $workers)
  --upstream-workers N   worker processes of the nginx upstream both call (default $upstream_workers)
  --upstream-gzip on|off whether the upstream gzips for callers that ask (default $upstream_gzip;
                         "on" makes the gateway inflate, the proxy asks for identity)
  --gzip-level N         gzip level of both the gateway and the proxy, 1-9 (default $gzip_level)
  --upstream-tls         the upstream serves HTTPS (a test CA and a leaf for 127.0.0.1 and
                         localhost, made for the run; TLS 1.2+, session tickets); the gateway
                         trusts the CA through --ca-file, the proxy verifies it and reuses
                         sessions (proxy_ssl_session_reuse); the report adds the upstream TLS
                         handshakes per 10 000 requests and the share of them resumed
  --fields LIST          the ?fields= list the gateway projects (default $fields);
                         the projection must reach 256 bytes, or gzip would not apply
  --no-build             skip the release build (.build-static, as deploy/Dockerfile builds)
  --bin PATH             gateway executable to run (implies --no-build)
  --no-floor             skip the Dispatch proxy floor peer (Benchmarks/DispatchProxyFloor;
                         also skipped with --upstream-tls or --upstream-gzip on, which it
                         cannot speak)
  --nio-floor            add the SwiftNIO proxy floor peer (Benchmarks/NIOFloor's
                         nio-proxy-floor, a separate package: its first release build
                         takes a minute or two; skipped where the Dispatch one is)
  --keep                 keep the temporary directory (configs, wrk outputs)
  -h, --help             this text

Targets checked: throughput >= ${rps_target}x the nginx proxy and CPU per request <= the proxy's
(at each connection count), gateway peak RSS < ${rss_target_mib} MiB at ${rss_target_conns} connections.
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
    --upstream-workers) upstream_workers="$(count_arg "$1" "${2-}")"; shift 2 ;;
    --upstream-gzip) upstream_gzip="${2-}"; shift 2 ;;
    --gzip-level) gzip_level="${2-}"; shift 2 ;;
    --fields) fields="${2-}"; shift 2 ;;
    --upstream-tls) upstream_tls=1; shift ;;
    --no-build) build=0; shift ;;
    --bin) bin="${2-}"; build=0; shift 2 ;;
    --no-floor) floor=0; shift ;;
    --nio-floor) nio_floor=1; shift ;;
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
[[ "$upstream_gzip" == on || "$upstream_gzip" == off ]] || die "--upstream-gzip takes on or off, not '$upstream_gzip'"
[[ "$gzip_level" =~ ^[1-9]$ ]] || die "--gzip-level takes 1-9, not '$gzip_level'"
[[ "$fields" =~ ^[a-z0-9_]+(,[a-z0-9_]+)*$ ]] || die "--fields takes names separated by commas, not '$fields'"
# The floor speaks plain HTTP and frames answers by Content-Length only (nginx's gzip answers
# are chunked).
floor_skipped=""
if ((floor || nio_floor)) && ((upstream_tls)); then floor_skipped="--upstream-tls"; fi
if ((floor || nio_floor)) && [[ "$upstream_gzip" == on ]]; then
    floor_skipped="${floor_skipped:+$floor_skipped and }--upstream-gzip on"
fi
if [[ -n "$floor_skipped" ]]; then
    log "no proxy floors with $floor_skipped: they speak plain HTTP to an upstream that does not gzip"
    floor=0
    nio_floor=0
fi

bench_init
ensure_tools wrk nginx curl jq openssl
((build)) && build_gateway "$root"
bin="${bin:-$(gateway_bin "$root")}"
[[ -x "$bin" ]] || die "no gateway executable at $bin"
floor_bin=""
((floor)) && { build_floor "$here/DispatchProxyFloor/main.swift" -I "$root/Sources/CZlib"; floor_bin="$BENCH_FLOOR_BIN"; }
nio_floor_bin=""
((nio_floor)) && { build_nio_floor "$root" nio-proxy-floor; nio_floor_bin="$BENCH_FLOOR_BIN"; }

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
if ge "${load_before%% *}" 1.5; then
    warn "load average is $load_before: other work shares the cores, figures will be noisy"
fi

# ---------------------------------------------------------------------------------------
# Servers

host=127.0.0.1
up_port="$(pick_free_port)"
gw_port="$(pick_free_port $((up_port + 1)))"
px_port="$(pick_free_port $((gw_port + 1)))"
fl_port="$(pick_free_port $((px_port + 1)))"
nf_port="$(pick_free_port $((fl_port + 1)))"
servers="gateway"
((floor)) && servers+=" floor"
((nio_floor)) && servers+=" niofloor"
servers+=" proxy"
envelope="$here/nginx/client-envelope.json"
path="/clients/1?fields=$fields"
wrk_headers=(-H "X-Daftra-Subdomain: $tenant" -H "Authorization: Bearer t" -H "Accept-Encoding: gzip")

# With --upstream-tls: a CA and a leaf for 127.0.0.1 (the gateway's upstream host, an IP
# SAN) and localhost (the proxy's proxy_ssl_name: nginx verifies DNS names only), ECDSA
# P-256 as a production certificate would likely be. Made per run: nothing expires in git.
up_scheme=http
up_listen_ssl=""
up_tls=""
conn_log="$BENCH_TMP/upstream-connections.log"
up_conn_log=""
make_test_pki() {
    local dir="$BENCH_TMP/pki"
    mkdir -p "$dir"
    (
        cd "$dir"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=bench test CA" -keyout ca.key -out ca.pem \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -subj "/CN=localhost" -keyout leaf.key -out leaf.csr
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >leaf.ext
        openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
            -extfile leaf.ext -out leaf.pem
        chmod a+r ./*.pem ./*.key
    ) >"$BENCH_TMP/pki.log" 2>&1 || { cat "$BENCH_TMP/pki.log" >&2; die "openssl could not make the test certificates"; }
}
if ((upstream_tls)); then
    make_test_pki
    up_scheme=https
    up_listen_ssl=" ssl"
    up_tls="ssl_certificate $BENCH_TMP/pki/leaf.pem; ssl_certificate_key $BENCH_TMP/pki/leaf.key;
        ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets on; ssl_session_cache shared:bench:10m;"
    up_conn_log="access_log $conn_log connection if=\$new_connection;"
    BENCH_CURL_ARGS=(--cacert "$BENCH_TMP/pki/ca.pem")
fi

log "starting the nginx upstream on $host:$up_port ($up_scheme, worker_processes $upstream_workers, gzip $upstream_gzip)"
make_client_docroot "$BENCH_TMP/docroot" "$envelope"
nginx_start upstream "$here/nginx/upstream.conf.template" \
    HOST="$host" PORT="$up_port" WORKERS="$upstream_workers" DOCROOT="$BENCH_TMP/docroot" \
    UPSTREAM_GZIP="$upstream_gzip" LISTEN_SSL="$up_listen_ssl" TLS="$up_tls" CONN_LOG="$up_conn_log" \
    HEALTH_URL="$up_scheme://$host:$up_port/$tenant/api2/clients/1.json"
BENCH_CURL_ARGS=()
up_pid=$BENCH_LAST_PID
up_workers="$(child_pids "$up_pid")"

log "starting the gateway on $host:$gw_port (--loops $loops, --gzip-level $gzip_level)"
# --drain-delay 0s only shortens the exit at the end; serving is unaffected.
gw_tls_args=()
((upstream_tls)) && gw_tls_args=(--ca-file "$BENCH_TMP/pki/ca.pem")
start_gateway "$bin" "$host" "$gw_port" --loops "$loops" --log-level info --drain-delay 0s \
    --upstream "$up_scheme://$host:$up_port/{subdomain}/api2" --gzip-level "$gzip_level" "${gw_tls_args[@]}"
gw_pid=$BENCH_LAST_PID

# The shared template proxies to /api2/clients/{id}.json; here it takes the tenant's path,
# /acme/api2/clients/{id}.json, so that both servers ask the upstream for the same URL.
proxy_template="$BENCH_TMP/proxy.conf.template"
sed "s|proxy_pass http://daftra/api2/|proxy_pass http://daftra/$tenant/api2/|" \
    "$here/nginx/proxy.conf.template" >"$proxy_template"
grep -q "proxy_pass http://daftra/$tenant/api2/" "$proxy_template" ||
    die "nginx/proxy.conf.template: its proxy_pass line changed; cannot point it at /$tenant/api2/"
if ((upstream_tls)); then
    # Verified like the gateway's; sessions reused across the pool's connections.
    sed -i -e "s|proxy_pass http://daftra/|proxy_pass https://daftra/|" \
        -e "/proxy_pass https:\/\/daftra\//a\\
            proxy_ssl_trusted_certificate $BENCH_TMP/pki/ca.pem;\\
            proxy_ssl_verify on;\\
            proxy_ssl_name localhost;\\
            proxy_ssl_server_name on;\\
            proxy_ssl_protocols TLSv1.2 TLSv1.3;\\
            proxy_ssl_session_reuse on;" "$proxy_template"
    grep -q "proxy_ssl_session_reuse on;" "$proxy_template" || die "could not add the proxy's TLS directives"
fi
log "starting the nginx proxy on $host:$px_port (worker_processes $workers, gzip_comp_level $gzip_level)"
nginx_start proxy "$proxy_template" \
    HOST="$host" PORT="$px_port" WORKERS="$workers" UPSTREAM_HOST="$host" UPSTREAM_PORT="$up_port" \
    GZIP_LEVEL="$gzip_level" HEALTH_URL="http://$host:$px_port/clients/1"
px_pid=$BENCH_LAST_PID
px_workers="$(child_pids "$px_pid")"

# All must answer 200, gzip-compressed, with the right body, before their speed means
# anything. The gateway's body is the projection, checked member by member against the
# envelope; the proxy's is the upstream's envelope, byte for byte; the floor's is the
# gateway's, byte for byte, under a head of the same fields and length.
projected_bytes=""
check_answer() {
    local name="$1" url="$2" head status
    head="$(curl -sS --compressed -D - -o "$BENCH_TMP/$name.body" "${wrk_headers[@]}" "$url")" ||
        die "$name: GET $path failed"
    status="$(head -n1 <<<"$head" | tr -d '\r')"
    [[ "$status" == "HTTP/1.1 200"* ]] ||
        die "$name: GET $path answered $status: $(head -c 300 "$BENCH_TMP/$name.body")"
    grep -qi '^content-type: application/json' <<<"$head" || die "$name: Content-Type is not application/json"
    printf '%s\n' "$head" | tr -d '\r' | sed '/^$/d' >"$BENCH_TMP/$name.head"
    if [[ "$name" == gateway ]]; then
        local want got
        want="$(tr ',' '\n' <<<"$fields" | sort -u | tr '\n' ' ')"
        got="$(jq -r 'keys_unsorted[]' "$BENCH_TMP/$name.body" 2>/dev/null | sort -u | tr '\n' ' ')"
        [[ "$got" == "$want" ]] ||
            die "gateway: the body's members are '$got', not the fields asked for, '$want': $(head -c 300 "$BENCH_TMP/$name.body")"
        jq -e --slurpfile env "$envelope" \
            'to_entries | all(.value == $env[0].data.Client[.key])' "$BENCH_TMP/$name.body" >/dev/null ||
            die "gateway: the members' values differ from the envelope's"
        # The projection's size: under gzip_min_length (256) nobody would compress.
        projected_bytes="$(wc -c <"$BENCH_TMP/$name.body")"
        ((projected_bytes >= 256)) ||
            die "gateway: the projected body is $projected_bytes bytes, under the 256-byte gzip threshold; add --fields"
    elif [[ "$name" == floor || "$name" == niofloor ]]; then
        cmp -s "$BENCH_TMP/$name.body" "$BENCH_TMP/gateway.body" ||
            die "$name: its body differs from the gateway's: $(head -c 300 "$BENCH_TMP/$name.body")"
        # Date and X-Request-Id are fixed bytes of the same length; the rest must match.
        [[ "$(cut -d: -f1 "$BENCH_TMP/$name.head")" == "$(cut -d: -f1 "$BENCH_TMP/gateway.head")" &&
            $(wc -c <"$BENCH_TMP/$name.head") == $(wc -c <"$BENCH_TMP/gateway.head") ]] ||
            die "$name: its answer head differs in shape from the gateway's:$(printf '\n  %s' \
                "gateway:" "$(<"$BENCH_TMP/gateway.head")" "$name:" "$(<"$BENCH_TMP/$name.head")")"
    else
        cmp -s "$BENCH_TMP/$name.body" "$envelope" || die "$name: the body differs from $envelope"
    fi
    grep -qi '^content-encoding: gzip' <<<"$head" || die "$name: the answer is not gzip-compressed"
}
check_answer gateway "http://$host:$gw_port$path"
check_answer proxy "http://$host:$px_port$path"

fl_pid=""
if ((floor)); then
    # Its body is built in: the gateway's answer for the default ?fields=. Another --fields
    # gives it the gateway's answer read above.
    floor_body=()
    [[ "$fields" == "$CLIENTS_FIELDS" ]] || floor_body=("$BENCH_TMP/gateway.body")
    log "starting the Dispatch proxy floor on $host:$fl_port ($loops loops, upstream $host:$up_port, gzip level $gzip_level)"
    start_floor "$floor_bin" "$host" "$fl_port" "$loops" "$host" "$up_port" "$gzip_level" "${floor_body[@]}"
    fl_pid=$BENCH_LAST_PID
    check_answer floor "http://$host:$fl_port$path"
fi
nf_pid=""
if ((nio_floor)); then
    floor_body=()
    [[ "$fields" == "$CLIENTS_FIELDS" ]] || floor_body=("$BENCH_TMP/gateway.body")
    log "starting the SwiftNIO proxy floor on $host:$nf_port ($loops loops, upstream $host:$up_port, gzip level $gzip_level)"
    start_floor "$nio_floor_bin" "$host" "$nf_port" "$loops" "$host" "$up_port" "$gzip_level" "${floor_body[@]}"
    nf_pid=$BENCH_LAST_PID
    check_answer niofloor "http://$host:$nf_port$path"
fi

# ---------------------------------------------------------------------------------------
# Runs

failures=()
results="$BENCH_TMP/results.tsv"
BENCH_RESULTS="$results"
: >"$results"
bytes_gateway=""
bytes_proxy=""
bytes_floor=""
bytes_niofloor=""

server_pids() {
    case "$1" in
    gateway) echo "$gw_pid" ;;
    floor) echo "$fl_pid" ;;
    niofloor) echo "$nf_pid" ;;
    *) echo "$px_pid $(child_pids "$px_pid")" ;;
    esac
}

url_of() {
    case "$1" in
    gateway) echo "http://$host:$gw_port$path" ;;
    floor) echo "http://$host:$fl_port$path" ;;
    niofloor) echo "http://$host:$nf_port$path" ;;
    *) echo "http://$host:$px_port$path" ;;
    esac
}

ensure_alive() {
    is_alive "$gw_pid" || {
        tail -n 20 "$BENCH_TMP/gateway.stderr" >&2
        die "the gateway died ($1)"
    }
    [[ -z "$fl_pid" ]] || is_alive "$fl_pid" || {
        tail -n 20 "$BENCH_TMP/floor.stderr" >&2
        die "the Dispatch proxy floor died ($1)"
    }
    [[ -z "$nf_pid" ]] || is_alive "$nf_pid" || {
        tail -n 20 "$BENCH_TMP/floor.stderr" >&2
        die "the SwiftNIO proxy floor died ($1)"
    }
    local name pid want now
    for name in proxy upstream; do
        if [[ $name == proxy ]]; then pid=$px_pid want=$px_workers; else pid=$up_pid want=$up_workers; fi
        is_alive "$pid" || die "nginx $name died ($1)"
        now="$(child_pids "$pid")"
        [[ "$now" == "$want" ]] || {
            nginx_problems "$name" >&2
            die "nginx $name workers changed from '$want' to '$now' ($1): a worker crashed"
        }
    done
}

# handshakes: "TOTAL RESUMED" upstream TLS handshakes so far (new connections to the
# upstream, from its connection log); "0 0" over plain HTTP.
handshakes() {
    if ((upstream_tls)) && [[ -f "$conn_log" ]]; then
        awk '{ n++ } $1 == "r" { r++ } END { printf "%d %d\n", n, r }' "$conn_log"
    else
        echo "0 0"
    fi
}

# warm SERVER C: a short run whose figures are dropped; errors still count.
warm() {
    local server="$1" c="$2" out="$BENCH_TMP/warmup-$1-c$2.txt" problem status=0
    ((warmup > 0)) || return 0
    log "warm-up: $server, $c connections, ${warmup}s"
    run_wrk "$out" "$threads" "$c" "$warmup" "$(url_of "$server")" "${wrk_headers[@]}" || status=$?
    ((status == 0)) || failures+=("warm-up $server c=$c: wrk exited with status $status ($(tail -n1 "$out"))")
    ensure_alive "warm-up $server c=$c"
    problem="$(wrk_check "$out")"
    [[ -z "$problem" ]] || failures+=("warm-up $server c=$c: $problem")
}

# measure SERVER C ROUND: one measured run; appends a row to $results.
measure() {
    local server="$1" c="$2" round="$3" out="$BENCH_TMP/run-$1-c$2-r$3.txt"
    local pids u0 s0 u1 s1 up0 up1 hs0 rs0 hs1 rs1 status=0 problem
    pids="$(server_pids "$server")"
    # shellcheck disable=SC2086
    read -r u0 s0 <<<"$(cpu_split $pids)"
    # shellcheck disable=SC2086
    up0="$(cpu_ticks $up_pid $up_workers)"
    read -r hs0 rs0 <<<"$(handshakes)"
    run_wrk "$out" "$threads" "$c" "$duration" "$(url_of "$server")" "${wrk_headers[@]}" || status=$?
    # shellcheck disable=SC2086
    read -r u1 s1 <<<"$(cpu_split $pids)"
    # shellcheck disable=SC2086
    up1="$(cpu_ticks $up_pid $up_workers)"
    read -r hs1 rs1 <<<"$(handshakes)"
    ensure_alive "$server c=$c round $round"
    ((status == 0)) || failures+=("$server c=$c round $round: wrk exited with status $status ($(tail -n1 "$out"))")
    problem="$(wrk_check "$out")"
    [[ -z "$problem" ]] || failures+=("$server c=$c round $round: $problem")
    grep -q '^BENCH ' "$out" || return 0

    local requests rps p50 p99 cpu up_cpu sys_pct hwm_a hwm_b rss_now bytes hs_per resumed
    requests="$(wrk_value "$out" requests)"
    rps="$(wrk_rps "$out")"
    p50="$(us_to_ms "$(wrk_value "$out" p50_us)")"
    p99="$(us_to_ms "$(wrk_value "$out" p99_us)")"
    cpu="$(us_per_request $((u1 - u0 + s1 - s0)) "$requests")"
    up_cpu="$(us_per_request $((up1 - up0)) "$requests")"
    sys_pct="$(awk -v s=$((s1 - s0)) -v t=$((u1 - u0 + s1 - s0)) 'BEGIN { printf "%.0f", t ? 100 * s / t : 0 }')"
    hs_per="-" resumed="-"
    if ((upstream_tls)); then
        hs_per="$(awk -v h=$((hs1 - hs0)) -v n="$requests" 'BEGIN { printf "%.1f", n ? h * 10000 / n : 0 }')"
        resumed="$(awk -v r=$((rs1 - rs0)) -v h=$((hs1 - hs0)) 'BEGIN { printf "%.0f", h ? 100 * r / h : 0 }')"
    fi
    bytes="$(awk -v b="$(wrk_value "$out" bytes)" -v n="$requests" 'BEGIN { printf "%.0f", n ? b / n : 0 }')"
    if [[ "$server" == gateway ]]; then
        hwm_a="$(status_kb "$gw_pid" VmHWM)"
        hwm_b="$hwm_a"
        rss_now="$(status_kb "$gw_pid" VmRSS)"
        bytes_gateway="$bytes"
    elif [[ "$server" == floor ]]; then
        hwm_a="$(status_kb "$fl_pid" VmHWM)"
        hwm_b="$hwm_a"
        rss_now="$(status_kb "$fl_pid" VmRSS)"
        bytes_floor="$bytes"
    elif [[ "$server" == niofloor ]]; then
        hwm_a="$(status_kb "$nf_pid" VmHWM)"
        hwm_b="$hwm_a"
        rss_now="$(status_kb "$nf_pid" VmRSS)"
        bytes_niofloor="$bytes"
    else
        # shellcheck disable=SC2086
        read -r hwm_a hwm_b <<<"$(hwm_max_sum $px_workers)"
        rss_now="-"
        bytes_proxy="$bytes"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$server" "$round" "$rps" \
        "$p50" "$p99" "$cpu" "$hwm_a" "$hwm_b" "$rss_now" "$requests" "$sys_pct" "$up_cpu" "$hs_per" "$resumed" >>"$results"
    log "$(printf '%-7s c=%-4s round %s: %10s req/s  p50 %7s ms  p99 %7s ms  %6s µs CPU/req  peak RSS %s kB' \
        "$server" "$c" "$round" "$rps" "$p50" "$p99" "$cpu" "$hwm_a")"
}

t_start=$SECONDS
gw_hwm_at=""
for c in $connections; do
    for server in $servers; do warm "$server" "$c"; done
    for ((r = 1; r <= rounds; r++)); do
        log "round $r/$rounds, $c connections: ${servers// /, } (${duration}s each)"
        for server in $servers; do measure "$server" "$c" "$r"; done
    done
    # VmHWM only grows: read right after this count's runs, it covers them and all before.
    if [[ "$c" == "$rss_target_conns" ]]; then gw_hwm_at="$(status_kb "$gw_pid" VmHWM)"; fi
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
gw_hwm_final="$(status_kb "$gw_pid" VmHWM)"

# ---------------------------------------------------------------------------------------
# Report

echo "== GET $path with Accept-Encoding: gzip:" \
    "daftra-gateway vs nginx $("$(nginx_bin)" -v 2>&1 | sed 's|.*nginx/||') as a reverse proxy =="
echo "wrk -t$threads --latency, ${duration}s per run, $rounds round(s) per server and connection count," \
    "interleaved ${servers// //}, ${warmup}s warm-up; $(nproc) cores shared by wrk, the upstream and the server"
echo "request headers: X-Daftra-Subdomain: $tenant, Authorization: Bearer t, Accept-Encoding: gzip"
echo "load average before: $load_before; after: $load_after; measuring took $((SECONDS - t_start))s"
if ((upstream_tls)); then
    up_desc="HTTPS (TLS 1.2+, ECDSA P-256 leaf from a test CA, session tickets and cache)"
else
    up_desc="plain HTTP"
fi
echo "upstream: nginx over $up_desc, worker_processes $upstream_workers, the $(wc -c <"$envelope")-byte envelope" \
    "$(basename "$envelope") at /$tenant/api2/clients/1.json, gzip $upstream_gzip; not counted as server CPU"
echo "gateway:  $bin --loops $loops --gzip-level $gzip_level, request log to /dev/null;" \
    "projects ?fields= to ${projected_bytes:-?} bytes of JSON, ${bytes_gateway:-?} bytes on the wire"
echo "proxy:    nginx, worker_processes $workers, keepalive 64 to the upstream, gzip_comp_level $gzip_level," \
    "gzip_min_length 256, JSON access log to /dev/null; ${bytes_proxy:-?} bytes on the wire"
echo "          (nginx cannot project fields: it ignores ?fields= and passes the whole envelope, gzipped)"
if ((floor)); then
    echo "floor:    Benchmarks/DispatchProxyFloor, $loops loops, one keep-alive upstream connection per caller:" \
        "read sources only, the gateway's upstream request as fixed bytes,"
    echo "          the answer framed by Content-Length, the gateway's ${projected_bytes:-?}-byte projection as a fixed body" \
        "gzipped per answer (level $gzip_level), one send; ${bytes_floor:-?} bytes on the wire"
    echo "          (no request parsing, routing, tenant or credential checks, JSON parsing or projection, log," \
        "metrics or timeouts: what Dispatch sources cost a proxy)"
elif [[ -n "$floor_skipped" ]]; then
    echo "floor:    skipped ($floor_skipped: the proxy floors speak plain HTTP to an upstream that does not gzip)"
fi
if ((nio_floor)); then
    echo "niofloor: Benchmarks/NIOFloor's nio-proxy-floor, $loops SwiftNIO event loops (epoll): the floor's work," \
        "requests and answers without Dispatch sources; ${bytes_niofloor:-?} bytes on the wire"
fi
echo
echo "Every run (CPU = server utime+stime over the run / requests, sys = its kernel share; upstream = the"
echo "upstream nginx's CPU µs per request in the same run; peak RSS = VmHWM, for the proxy the largest"
echo "worker / the workers' sum; RSS now = VmRSS after the run (gateway, floor); hs/10k = upstream TLS"
echo "handshakes per 10 000 requests, new connections the upstream saw, and the share of them resumed):"
printf '  %-5s %-8s %5s %11s %9s %9s %11s %5s %9s %17s %10s %8s %7s\n' \
    conns server round "req/s" "p50 ms" "p99 ms" "CPU µs/req" "sys" "upstream" "peak RSS kB" "RSS now kB" "hs/10k" "resumed"
while IFS=$'\t' read -r c s r rps p50 p99 cpu ha hb now _ sys up hs res; do
    if [[ "$s" == proxy ]]; then peak="$ha / $hb"; else peak="$ha"; fi
    [[ "$res" == - ]] || res="$res%"
    printf '  %-5s %-8s %5s %11s %9s %9s %11s %5s %9s %17s %10s %8s %7s\n' \
        "$c" "$s" "$r" "$rps" "$p50" "$p99" "$cpu" "$sys%" "$up" "$peak" "$now" "$hs" "$res"
done <"$results"

all_pass=1
for c in $connections; do
    [[ -n "$(column gateway "$c" 4)" && -n "$(column proxy "$c" 4)" ]] || {
        echo
        echo "-- $c connections: no complete runs --"
        all_pass=0
        continue
    }
    g_rps="$(med gateway "$c" 4)"; n_rps="$(med proxy "$c" 4)"
    g_p50="$(med gateway "$c" 5)"; n_p50="$(med proxy "$c" 5)"
    g_p99="$(med gateway "$c" 6)"; n_p99="$(med proxy "$c" 6)"
    g_cpu="$(med gateway "$c" 7)"; n_cpu="$(med proxy "$c" 7)"
    g_sys="$(med gateway "$c" 12)"; n_sys="$(med proxy "$c" 12)"
    g_up="$(med gateway "$c" 13)"; n_up="$(med proxy "$c" 13)"
    g_hwm="$(med gateway "$c" 8)"
    n_max="$(med proxy "$c" 8)"; n_sum="$(med proxy "$c" 9)"
    r_rps="$(ratio "$g_rps" "$n_rps")"
    r_cpu="$(ratio "$g_cpu" "$n_cpu")"
    echo
    echo "-- $c connections: median of $rounds round(s) --"
    printf '  %-8s %11s %9s %9s %11s %5s %9s  %s\n' server "req/s" "p50 ms" "p99 ms" "CPU µs/req" "sys" "upstream" "peak RSS MiB"
    printf '  %-8s %11.0f %9.3f %9.3f %11.1f %4.0f%% %9.1f  %s\n' gateway \
        "$g_rps" "$g_p50" "$g_p99" "$g_cpu" "$g_sys" "$g_up" "$(kb_to_mib "$g_hwm")"
    printf '  %-8s %11.0f %9.3f %9.3f %11.1f %4.0f%% %9.1f  %s\n' proxy \
        "$n_rps" "$n_p50" "$n_p99" "$n_cpu" "$n_sys" "$n_up" \
        "$(kb_to_mib "$n_max") largest worker, $(kb_to_mib "$n_sum") all $workers workers"
    echo "  gateway/proxy: throughput ${r_rps}x, p50 $(ratio "$g_p50" "$n_p50")x, p99 $(ratio "$g_p99" "$n_p99")x," \
        "CPU/request ${r_cpu}x, peak RSS $(ratio "$g_hwm" "$n_max")x the largest worker, $(ratio "$g_hwm" "$n_sum")x all workers"
    if ((floor)) && [[ -n "$(column floor "$c" 4)" ]]; then
        f_rps="$(med floor "$c" 4)"; f_cpu="$(med floor "$c" 7)"
        printf '  %-8s %11.0f %9.3f %9.3f %11.1f %4.0f%% %9.1f  %s\n' floor "$f_rps" "$(med floor "$c" 5)" \
            "$(med floor "$c" 6)" "$f_cpu" "$(med floor "$c" 12)" "$(med floor "$c" 13)" "$(kb_to_mib "$(med floor "$c" 8)")"
        echo "  floor/proxy: throughput $(ratio "$f_rps" "$n_rps")x, CPU/request $(ratio "$f_cpu" "$n_cpu")x;" \
            "gateway/floor: throughput $(ratio "$g_rps" "$f_rps")x, CPU/request $(ratio "$g_cpu" "$f_cpu")x" \
            "($(awk -v g="$g_cpu" -v f="$f_cpu" 'BEGIN { printf "%.1f", g - f }') µs per request above the floor)"
    fi
    if ((nio_floor)) && [[ -n "$(column niofloor "$c" 4)" ]]; then
        x_rps="$(med niofloor "$c" 4)"; x_cpu="$(med niofloor "$c" 7)"
        printf '  %-8s %11.0f %9.3f %9.3f %11.1f %4.0f%% %9.1f  %s\n' niofloor "$x_rps" "$(med niofloor "$c" 5)" \
            "$(med niofloor "$c" 6)" "$x_cpu" "$(med niofloor "$c" 12)" "$(med niofloor "$c" 13)" \
            "$(kb_to_mib "$(med niofloor "$c" 8)")"
        line="  niofloor/proxy: throughput $(ratio "$x_rps" "$n_rps")x, CPU/request $(ratio "$x_cpu" "$n_cpu")x"
        if ((floor)) && [[ -n "$(column floor "$c" 4)" ]]; then
            line+="; floor/niofloor (Dispatch sources against epoll): throughput $(ratio "$f_rps" "$x_rps")x,"
            line+=" CPU/request $(ratio "$f_cpu" "$x_cpu")x"
        fi
        echo "$line"
    fi
    v="$(verdict ge "$r_rps" "$rps_target")"
    [[ "$v" == PASS ]] || all_pass=0
    echo "  target throughput >= ${rps_target}x the proxy: $v (${r_rps}x)"
    v="$(verdict ge "$n_cpu" "$g_cpu")"
    [[ "$v" == PASS ]] || all_pass=0
    echo "  target CPU per request <= the proxy's: $v (${r_cpu}x)"
    if ((upstream_tls)); then
        echo "  upstream TLS handshakes per 10 000 requests (median): gateway $(med gateway "$c" 14)" \
            "($(med gateway "$c" 15)% resumed), proxy $(med proxy "$c" 14) ($(med proxy "$c" 15)% resumed)"
    fi
done

echo
if [[ -n "$gw_hwm_at" ]]; then
    v="$(verdict awk -v k="$gw_hwm_at" -v t="$rss_target_mib" 'BEGIN { exit !(k < t * 1024) }')"
    [[ "$v" == PASS ]] || all_pass=0
    echo "target gateway peak RSS < ${rss_target_mib} MiB at $rss_target_conns connections: $v" \
        "($(kb_to_mib "$gw_hwm_at") MiB, VmHWM after the $rss_target_conns-connection runs)"
else
    all_pass=0
    echo "target gateway peak RSS < ${rss_target_mib} MiB at $rss_target_conns connections: NOT MEASURED" \
        "(--connections has no $rss_target_conns; VmHWM at the end: $(kb_to_mib "$gw_hwm_final") MiB)"
fi

# The floor's complaints (upstream connections refused or closed mid-answer), if any.
if [[ -n "$fl_pid" ]] && grep -qv 'listening on' "$BENCH_TMP/floor.stderr" 2>/dev/null; then
    echo "floor stderr (last 10 lines):"
    grep -v 'listening on' "$BENCH_TMP/floor.stderr" | tail -n 10 | sed 's/^/  /'
fi

# The gateway's own account (a clean SIGTERM exit, nothing on stderr), then the verdict.
finish_report "$gw_pid" "$all_pass" proxy upstream
