# Shell functions shared by the benchmark scripts in this folder. Source it, do not run it:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   bench_init                       # temp dir + cleanup trap; call once, early
#
# Everything a script starts through these functions (start_gateway, nginx_start) is
# registered and stopped by the EXIT trap, whatever way the script ends.
# Functions that "return" a process set BENCH_LAST_PID, because a $(...) subshell cannot
# own a background process that outlives it.
# shellcheck shell=bash

BENCH_TMP=""
BENCH_KEEP_TMP="${BENCH_KEEP_TMP:-0}"
BENCH_PIDS=()
BENCH_LAST_PID=""
BENCH_WRK_PID=""
# Extra curl arguments for readiness checks (--cacert for an HTTPS server with a test CA).
BENCH_CURL_ARGS=()
BENCH_APT_UPDATED=0
BENCH_CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"

# ---------------------------------------------------------------------------------------
# Messages

# Progress goes to stderr so that stdout carries only the report.
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
warn() { printf '[%(%H:%M:%S)T] WARNING: %s\n' -1 "$*" >&2; }
die() { printf '[%(%H:%M:%S)T] ERROR: %s\n' -1 "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Options

# seconds_arg OPTION VALUE: VALUE as whole seconds ("10" or "10s"), or die naming OPTION.
seconds_arg() {
    local v="${2%s}"
    [[ "$v" =~ ^[0-9]+$ ]] || die "$1 takes whole seconds, not '$2'"
    echo "$v"
}

# count_arg OPTION VALUE: VALUE if it is a positive whole number, or die naming OPTION.
count_arg() {
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 takes a positive whole number, not '$2'"
    echo "$2"
}

# ---------------------------------------------------------------------------------------
# Set-up and clean-up

# Creates BENCH_TMP and installs the traps that stop every registered process and remove
# it. BENCH_KEEP_TMP=1 keeps the directory (nginx configs, wrk outputs) for a post-mortem.
bench_init() {
    BENCH_TMP="$(mktemp -d -t bench.XXXXXX)"
    # nginx workers run as an unprivileged user when the master is root: they must be able
    # to traverse into the directory to read a docroot placed under it.
    chmod 755 "$BENCH_TMP"
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_cleanup() {
    local status=$?
    trap - EXIT
    local pid
    [[ -z "$BENCH_WRK_PID" ]] || kill -TERM "$BENCH_WRK_PID" 2>/dev/null || true
    for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid" || true; done
    if [[ -n "$BENCH_TMP" && -d "$BENCH_TMP" ]]; then
        if [[ "$BENCH_KEEP_TMP" == 1 ]]; then log "kept $BENCH_TMP"; else rm -rf "$BENCH_TMP"; fi
    fi
    exit "$status"
}

register_pid() { BENCH_PIDS+=("$1"); }

# stop_pid PID [GRACE_SECONDS]: SIGTERM, then SIGKILL after the grace period. Prints
# nothing; returns the process's exit status when it is our child, else 0.
stop_pid() {
    local pid="$1" grace="${2:-5}" i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        warn "process $pid ignored SIGTERM for ${grace}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null
}

# Repository root from the sourcing script's location (Benchmarks/ is one level down).
repo_root() { (cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd); }

# ---------------------------------------------------------------------------------------
# Tools

# ensure_tools CMD...: installs the Debian package of each missing command with apt-get
# (apt-get update once first). Knows wrk, nginx, curl; any other name is taken as its
# own package name.
ensure_tools() {
    local cmd missing=()
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null 2>&1 || [[ "$cmd" == nginx && -x /usr/sbin/nginx ]] ||
            missing+=("$cmd")
    done
    ((${#missing[@]} == 0)) && return 0
    local sudo=""
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null || die "missing ${missing[*]}, and not root to install them"
        sudo="sudo"
    fi
    log "installing ${missing[*]} with apt-get"
    if [[ $BENCH_APT_UPDATED == 0 ]]; then
        $sudo apt-get update -qq >&2 || die "apt-get update failed"
        BENCH_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2 ||
        die "apt-get install ${missing[*]} failed"
    # Debian's nginx package starts a system nginx on port 80; it is not ours to run.
    if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null &&
        systemctl is-active --quiet nginx 2>/dev/null; then
        $sudo systemctl stop nginx || true
    fi
}

nginx_bin() { command -v nginx 2>/dev/null || echo /usr/sbin/nginx; }

# ---------------------------------------------------------------------------------------
# The gateway

# build_gateway ROOT: release build of the executable only, as deploy/Dockerfile builds
# it (Swift runtime linked in statically), into ROOT/.build-static so the dynamic
# release build in .build stays untouched. The build log is shown when the build fails.
# Prints nothing on success. gateway_bin ROOT names the result.
build_gateway() {
    local root="$1" t0=$SECONDS
    log "building daftra-gateway (release, --static-swift-stdlib) in $root"
    if ! (cd "$root" && swift build -c release --static-swift-stdlib --build-path .build-static \
        --product daftra-gateway) >"$BENCH_TMP/build.log" 2>&1; then
        tail -n 40 "$BENCH_TMP/build.log" >&2
        die "swift build failed"
    fi
    log "built in $((SECONDS - t0))s"
}

gateway_bin() { echo "$1/.build-static/release/daftra-gateway"; }

# build_floor SOURCE [SWIFTC_ARGS...]: compiles a Dispatch floor peer (its main.swift and
# Benchmarks/FloorShared/FloorShared.swift, optimised)
# into $BENCH_TMP, module and executable named after its folder (DispatchFloor/main.swift:
# DispatchFloor, dispatch-floor; DispatchProxyFloor/main.swift: DispatchProxyFloor,
# dispatch-proxy-floor); SWIFTC_ARGS go to swiftc before the source (-I DIR for a C module
# map). Sets BENCH_FLOOR_BIN. Needs swiftc (PATH, $SWIFTC or /opt/swift/usr/bin).
BENCH_FLOOR_BIN=""
build_floor() {
    local source="$1" swiftc="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}" module name
    shift
    module="$(basename "$(dirname "$source")")"
    # shellcheck disable=SC2001 # a back-reference: no ${var//} equivalent
    name="$(sed 's/\([a-z0-9]\)\([A-Z]\)/\1-\2/g' <<<"$module" | tr '[:upper:]' '[:lower:]')"
    BENCH_FLOOR_BIN="$BENCH_TMP/$name"
    log "building the Dispatch floor peer ($source)"
    "$swiftc" -O -swift-version 6 -module-name "$module" -module-cache-path "$BENCH_TMP/module-cache" \
        "$@" "$source" "$(dirname "$(dirname "$source")")/FloorShared/FloorShared.swift" \
        -o "$BENCH_FLOOR_BIN" >"$BENCH_TMP/$name-build.log" 2>&1 ||
        { tail -n 20 "$BENCH_TMP/$name-build.log" >&2; die "building the Dispatch floor ($module) failed"; }
}

# build_nio_floor ROOT PRODUCT: release build of Benchmarks/NIOFloor, the floors on
# SwiftNIO (products nio-floor and nio-proxy-floor), a package of its own so that the
# product never depends on SwiftNIO, into ROOT/.build-niofloor. Sets BENCH_FLOOR_BIN to
# PRODUCT. The first build fetches and compiles SwiftNIO (a minute or two); later ones
# only relink.
build_nio_floor() {
    local root="$1" product="$2" t0=$SECONDS scratch="$1/.build-niofloor"
    log "building the SwiftNIO floor peer (Benchmarks/NIOFloor, release) in $scratch"
    if ! swift build -c release --package-path "$root/Benchmarks/NIOFloor" --scratch-path "$scratch" \
        >"$BENCH_TMP/nio-floor-build.log" 2>&1; then
        tail -n 40 "$BENCH_TMP/nio-floor-build.log" >&2
        die "building the SwiftNIO floor failed"
    fi
    BENCH_FLOOR_BIN="$scratch/release/$product"
    log "built in $((SECONDS - t0))s"
}

# start_floor BIN HOST PORT LOOPS [ARGS...]: starts a Dispatch floor peer (ARGS after LOOPS:
# the proxy floor's upstream and gzip level) and waits until /livez answers 2xx (the proxy
# floor answers every request alike). Its stderr goes to $BENCH_TMP/floor.stderr. Sets
# BENCH_LAST_PID.
start_floor() {
    local bin="$1" host="$2" port="$3" loops="$4"
    shift 4
    "$bin" "$host" "$port" "$loops" "$@" >/dev/null 2>>"$BENCH_TMP/floor.stderr" &
    BENCH_LAST_PID=$!
    register_pid "$BENCH_LAST_PID"
    wait_for_http "http://$host:$port/livez" "$BENCH_LAST_PID" 15 ||
        { tail -n 20 "$BENCH_TMP/floor.stderr" >&2; die "the floor peer $(basename "$bin") did not start on $host:$port"; }
}

# start_gateway BIN HOST PORT [ARGS...]: starts the gateway with its stdout (the JSON
# request log) discarded, stderr kept in $BENCH_TMP/gateway.stderr; waits until /livez
# answers 200. Sets BENCH_LAST_PID.
start_gateway() {
    local bin="$1" host="$2" port="$3"
    shift 3
    [[ -x "$bin" ]] || die "no gateway executable at $bin (build it, or drop --no-build)"
    "$bin" --host "$host" --port "$port" "$@" >/dev/null 2>>"$BENCH_TMP/gateway.stderr" &
    BENCH_LAST_PID=$!
    register_pid "$BENCH_LAST_PID"
    wait_for_http "http://$host:$port/livez" "$BENCH_LAST_PID" 15 ||
        { tail -n 20 "$BENCH_TMP/gateway.stderr" >&2; die "the gateway did not start on $host:$port"; }
}

# ---------------------------------------------------------------------------------------
# nginx from a template

# render_template TEMPLATE OUT KEY=VALUE...: replaces every @KEY@; fails when a
# placeholder is left without a value, so a template change cannot go unnoticed.
render_template() {
    local template="$1" out="$2" pair key value text
    shift 2
    text="$(<"$template")"
    for pair in "$@"; do
        key="${pair%%=*}"
        value="${pair#*=}"
        text="${text//@"$key"@/$value}"
    done
    if [[ "$text" =~ @[A-Z][A-Z0-9_]*@ ]]; then
        die "$template: no value for ${BASH_REMATCH[0]}"
    fi
    printf '%s\n' "$text" >"$out"
}

# nginx_start NAME TEMPLATE KEY=VALUE...: renders TEMPLATE into its own prefix
# $BENCH_TMP/nginx-NAME (PREFIX is provided to the template), checks it with nginx -t,
# starts nginx in the foreground (the template says `daemon off`), and waits until
# HEALTH_URL (one of the KEY=VALUE pairs, not a placeholder) answers 2xx. Sets
# BENCH_LAST_PID to the master's pid.
nginx_start() {
    local name="$1" template="$2"
    shift 2
    local prefix="$BENCH_TMP/nginx-$name" health="" pair pairs=()
    for pair in "$@"; do
        if [[ "$pair" == HEALTH_URL=* ]]; then health="${pair#HEALTH_URL=}"; else pairs+=("$pair"); fi
    done
    mkdir -p "$prefix/tmp"
    chmod 755 "$prefix"
    render_template "$template" "$prefix/nginx.conf" PREFIX="$prefix" "${pairs[@]}"
    local nginx
    nginx="$(nginx_bin)"
    # -e: nginx opens its compiled-in error log before reading the config; point it here.
    "$nginx" -t -q -p "$prefix/" -e "$prefix/error.log" -c "$prefix/nginx.conf" 2>"$prefix/test.log" ||
        { cat "$prefix/test.log" >&2; die "nginx ($name): invalid configuration"; }
    "$nginx" -p "$prefix/" -e "$prefix/error.log" -c "$prefix/nginx.conf" >/dev/null 2>>"$prefix/stderr.log" &
    BENCH_LAST_PID=$!
    register_pid "$BENCH_LAST_PID"
    if [[ -n "$health" ]]; then
        wait_for_http "$health" "$BENCH_LAST_PID" 15 ||
            { tail -n 20 "$prefix/error.log" "$prefix/stderr.log" >&2; die "nginx ($name) did not start"; }
    fi
    # Workers fork after the listener answers; wait until they all exist.
    local want i
    want="$(sed -n 's/^[[:space:]]*worker_processes[[:space:]]\+\([0-9]\+\);.*/\1/p' "$prefix/nginx.conf" | head -n1)"
    for ((i = 0; i < 50; i++)); do
        [[ -z "$want" || $(child_pids "$BENCH_LAST_PID" | wc -w) -ge $want ]] && break
        sleep 0.1
    done
}

# make_client_docroot DIR [ENVELOPE_JSON]: a document root for upstream.conf.template,
# with the envelope (default: Benchmarks/nginx/client-envelope.json) as
# api2/clients/1.json, readable by nginx's unprivileged workers.
make_client_docroot() {
    local dir="$1" envelope="${2:-$(dirname "${BASH_SOURCE[0]}")/nginx/client-envelope.json}"
    mkdir -p "$dir/api2/clients"
    cp "$envelope" "$dir/api2/clients/1.json"
    chmod -R a+rX "$dir"
}

# start_plain_upstream HOST PORT: the nginx upstream of instructions.sh and syscalls.sh
# (plain HTTP, one worker, no gzip) serving the sample envelope for any subdomain;
# returns once it answers. Sets BENCH_LAST_PID.
start_plain_upstream() {
    local host="$1" port="$2"
    make_client_docroot "$BENCH_TMP/docroot" "$(dirname "${BASH_SOURCE[0]}")/nginx/client-envelope.json"
    nginx_start upstream "$(dirname "${BASH_SOURCE[0]}")/nginx/upstream.conf.template" \
        HOST="$host" PORT="$port" WORKERS=1 DOCROOT="$BENCH_TMP/docroot" \
        UPSTREAM_GZIP=off LISTEN_SSL="" TLS="" CONN_LOG="" \
        HEALTH_URL="http://$host:$port/acme/api2/clients/1.json"
}

# The ?fields= list of a /clients run: the benchmarks' shared default.
# shellcheck disable=SC2034 # used by the scripts that source this file
CLIENTS_FIELDS="id,email,business_name,first_name,last_name,address1,city,notes"

# The request headers of a /clients run: tenant, credential, gzip accepted.
# shellcheck disable=SC2034 # used by the scripts that source this file
CLIENTS_WRK_HEADERS=(-H "X-Daftra-Subdomain: acme" -H "Authorization: Bearer t" -H "Accept-Encoding: gzip")

# nginx_problems NAME: the error log's lines at level error or worse, and anything nginx
# wrote to stderr (empty when clean).
nginx_problems() {
    local dir="$BENCH_TMP/nginx-$1"
    grep -hE '\[(error|crit|alert|emerg)\]' "$dir/error.log" 2>/dev/null || true
    cat "$dir/stderr.log" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------
# Processes: readiness, CPU, memory

# wait_for_http URL PID SECONDS: polls until URL answers 2xx; fails early if PID dies.
wait_for_http() {
    local url="$1" pid="$2" seconds="$3" i
    for ((i = 0; i < seconds * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        curl -fsS -o /dev/null --max-time 1 "${BENCH_CURL_ARGS[@]}" "$url" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# pick_free_port [START]: the first port from START (default: random in 20000–31999, below
# the usual ephemeral range that client sockets take ports from) on
# which nothing accepts connections on loopback.
pick_free_port() {
    local port="${1:-$((20000 + RANDOM % 12000))}" tries
    for ((tries = 0; tries < 200; tries++, port++)); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free port near $1"
}

# child_pids PID: direct children (nginx workers of a master).
child_pids() { pgrep -P "$1" | tr '\n' ' '; }

is_alive() { kill -0 "$1" 2>/dev/null; }

# cpu_split PID...: "UTIME STIME" summed over the processes (all their threads), in clock
# ticks (BENCH_CLK_TCK per second). Fields are counted after the last ')' because the
# command name may hold spaces or parentheses.
cpu_split() {
    local pid line rest user=0 sys=0
    local -a f
    for pid in "$@"; do
        read -r line <"/proc/$pid/stat" || return 1
        rest="${line##*) }"
        read -r -a f <<<"$rest"
        user=$((user + f[11]))
        sys=$((sys + f[12]))
    done
    echo "$user $sys"
}

# cpu_ticks PID...: user + system CPU time of the processes, in clock ticks.
cpu_ticks() {
    local split
    split="$(cpu_split "$@")" || return 1
    echo $((${split% *} + ${split#* }))
}

# us_per_request TICKS REQUESTS: CPU microseconds per request, one decimal.
us_per_request() {
    awk -v t="$1" -v n="$2" -v hz="$BENCH_CLK_TCK" \
        'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "nan" }'
}

# status_kb PID FIELD: a /proc/PID/status memory field (VmHWM = peak RSS, VmRSS) in kB.
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# hwm_max_sum PID...: "MAX SUM" of VmHWM over the processes, in kB.
hwm_max_sum() {
    local pid v max=0 sum=0
    for pid in "$@"; do
        v="$(status_kb "$pid" VmHWM)"
        sum=$((sum + v))
        ((v > max)) && max=$v
    done
    echo "$max $sum"
}

kb_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# ---------------------------------------------------------------------------------------
# wrk

# A done() hook that prints one machine-readable line after wrk's own report, so the
# figures come from wrk's histogram at full precision (µs) instead of its rounded text.
write_wrk_script() {
    cat >"$BENCH_TMP/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
LUA
}

# run_wrk OUT THREADS CONNECTIONS SECONDS URL [WRK_ARGS...]: wrk --latency with the report
# hook; its whole output goes to OUT. Extra arguments (-H 'Name: value', ...) go before
# the URL. Returns wrk's exit status. wrk runs in the background and is waited for, so that
# a SIGTERM reaches the script's trap at once instead of after the run.
run_wrk() {
    local out="$1" threads="$2" conns="$3" seconds="$4" url="$5" status=0
    shift 5
    [[ -f "$BENCH_TMP/report.lua" ]] || write_wrk_script
    wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency -s "$BENCH_TMP/report.lua" "$@" "$url" >"$out" 2>&1 &
    BENCH_WRK_PID=$!
    wait "$BENCH_WRK_PID" || status=$?
    BENCH_WRK_PID=""
    return "$status"
}

# wrk_value OUT KEY: one field of the BENCH line (requests, p99_us, status, ...).
wrk_value() { sed -n "s/^BENCH .*\\b$2=\\([0-9.]*\\).*/\\1/p" "$1" | tail -n1; }

# wrk_check OUT: describes what went wrong in a wrk run (socket errors, non-2xx/3xx
# answers, no BENCH line); prints nothing when the run was clean.
wrk_check() {
    local out="$1" k v problems=()
    if ! grep -q '^BENCH ' "$out"; then
        echo "wrk printed no report: $(head -c 300 "$out" | tr '\n' ' ')"
        return
    fi
    for k in connect read write timeout; do
        v="$(wrk_value "$out" "$k")"
        ((v > 0)) && problems+=("$v socket $k errors")
    done
    v="$(wrk_value "$out" status)"
    ((v > 0)) && problems+=("$v non-2xx/3xx responses")
    ((${#problems[@]} > 0)) && (IFS=,; echo "${problems[*]}")
    return 0
}

# rps OUT: requests per second, one decimal.
wrk_rps() {
    awk -v n="$(wrk_value "$1" requests)" -v us="$(wrk_value "$1" duration_us)" \
        'BEGIN { printf "%.1f", (us > 0 ? n * 1e6 / us : 0) }'
}

# us_to_ms MICROSECONDS: milliseconds with three decimals.
us_to_ms() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1000 }'; }

# ---------------------------------------------------------------------------------------
# Numbers

# median NUMBER...: the median (mean of the middle two for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B [DECIMALS]: A/B, or "n/a" when B is 0.
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.*f", d, a / b }'; }

# ge A B: succeeds when A >= B (decimals).
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# ---------------------------------------------------------------------------------------
# The report

# The runs' rows, tab-separated: connections, server, round, then the script's figures.
BENCH_RESULTS=""

# column SERVER C FIELD: that field of SERVER's rows at C connections, one per line.
column() { awk -F'\t' -v c="$2" -v s="$1" -v f="$3" '$1 == c && $2 == s { print $f }' "$BENCH_RESULTS"; }

# med SERVER C FIELD: the median of that column.
med() {
    local -a values
    mapfile -t values < <(column "$1" "$2" "$3")
    median "${values[@]}"
}

# verdict COMMAND...: PASS when the command succeeds, else FAIL.
verdict() { if "$@"; then echo PASS; else echo FAIL; fi; }

# finish_report GATEWAY_PID ALL_PASS NGINX_NAME...: stops the gateway (a non-zero exit
# after SIGTERM is a failure), shows its stderr and each nginx's errors, then the verdict.
# Exits 1 listing the global array `failures` when it is not empty (BROKEN), else 0.
finish_report() {
    local gw_pid="$1" all_pass="$2" name errors gw_exit=0
    shift 2
    log "stopping the gateway (SIGTERM)"
    stop_pid "$gw_pid" 10 || gw_exit=$?
    echo "gateway exit status after SIGTERM: $gw_exit"
    ((gw_exit == 0)) || failures+=("the gateway exited with status $gw_exit after SIGTERM")
    if [[ -s "$BENCH_TMP/gateway.stderr" ]]; then
        echo "gateway stderr (last 10 lines):"
        tail -n 10 "$BENCH_TMP/gateway.stderr" | sed 's/^/  /'
    fi
    for name in "$@"; do
        errors="$(nginx_problems "$name")"
        if [[ -n "$errors" ]]; then
            echo "nginx $name error log:"
            head -n 10 <<<"$errors" | sed 's/^/  /'
        fi
    done
    echo
    if ((${#failures[@]} > 0)); then
        echo "BROKEN (${#failures[@]}):"
        printf '  %s\n' "${failures[@]}"
        exit 1
    fi
    if ((all_pass)); then echo "all targets met"; else echo "some targets missed (a report, not an error: exit 0)"; fi
    exit 0
}
