#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ and runs each for a while.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]
#
# Targets: http1-request http1-response chunked json projection fields
#          accept-encoding gzip registry gateway-request upstream-answer
#          configuration (default: all that build).
# Seeds come from Fuzz/Corpus/<target>/ (read only); what libFuzzer finds
# goes to the work corpus .build-fuzz/corpus/<target>/, kept between runs
# (FUZZ_FRESH=1 empties it first). Crash inputs go to Fuzz/artifacts/.
# Runs the targets one after another (the machine has two cores).
# Exits 1 if any target crashed, 2 on a build or usage error.
#
# Environment: FUZZ_BUILD_DIR (default .build-fuzz), FUZZ_CONFIG (release),
# FUZZ_MAX_LEN (default 4096), FUZZ_EXTRA (more libFuzzer flags).
# Replay a crash: .build-fuzz/build/release/<Product> Fuzz/artifacts/<file>
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$root/Fuzz"
work="${FUZZ_BUILD_DIR:-$root/.build-fuzz}"
config="${FUZZ_CONFIG:-release}"
artifacts="$fuzz/artifacts"

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [seconds-per-target] [target...]" >&2
    exit 2
fi
shift $(($# > 0 ? 1 : 0))

declare -A product=(
    [http1-request]=FuzzHTTP1Request
    [http1-response]=FuzzHTTP1Response
    [chunked]=FuzzChunked
    [json]=FuzzJSONScanner
    [projection]=FuzzProjection
    [fields]=FuzzFieldSelection
    [accept-encoding]=FuzzAcceptEncoding
    [gzip]=FuzzGzip
    [registry]=FuzzRegistry
    [gateway-request]=FuzzGatewayRequest
    [upstream-answer]=FuzzUpstreamAnswer
    [configuration]=FuzzConfiguration
)
declare -A dict=(
    [http1-request]=http.dict
    [http1-response]=http.dict
    [chunked]=http.dict
    [json]=json.dict
    [projection]=json.dict
    [fields]=json.dict
    [accept-encoding]=accept-encoding.dict
    [registry]=registry.dict
    [gateway-request]=gateway-request.dict
    [upstream-answer]=upstream-answer.dict
    [configuration]=configuration.dict
)
all=(http1-request http1-response chunked json projection fields accept-encoding gzip registry
    gateway-request upstream-answer configuration)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
for t in "${targets[@]}"; do
    [[ -n "${product[$t]:-}" ]] || { echo "unknown target: $t (known: ${all[*]})" >&2; exit 2; }
done

# The fuzzer runtime supplies main and the coverage hooks; -parse-as-library
# keeps each target's main.swift from having top-level code.
build_flags=(-c "$config" --scratch-path "$work/build"
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
bin="$work/build/$config"

cd "$fuzz"
runnable=()
for t in "${targets[@]}"; do
    p="${product[$t]}"
    if [[ ! -d "$fuzz/Sources/$p" ]]; then
        echo "skip $t: Fuzz/Sources/$p does not exist"
        continue
    fi
    echo "== building $p"
    mkdir -p "$work/logs"
    if ! swift build "${build_flags[@]}" --product "$p" >"$work/logs/build-$p.log" 2>&1; then
        grep -Ev '^\[[0-9]+/[0-9]+\]' "$work/logs/build-$p.log" >&2
        echo "build of $p failed" >&2
        exit 2
    fi
    runnable+=("$t")
done

mkdir -p "$artifacts"
summary=()
crashed=0
for t in "${runnable[@]}"; do
    p="${product[$t]}"
    corpus="$work/corpus/$t"
    [[ "${FUZZ_FRESH:-0}" == 1 ]] && rm -rf "$corpus"
    mkdir -p "$corpus"
    log="$work/logs/$t.log"
    mkdir -p "$(dirname "$log")"
    flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
        -max_len="${FUZZ_MAX_LEN:-4096}" -artifact_prefix="$artifacts/$t-")
    [[ -n "${dict[$t]:-}" ]] && flags+=(-dict="$fuzz/Dictionaries/${dict[$t]}")
    # shellcheck disable=SC2206
    [[ -n "${FUZZ_EXTRA:-}" ]] && flags+=($FUZZ_EXTRA)
    seeds=()
    [[ -d "$fuzz/Corpus/$t" ]] && seeds=("$fuzz/Corpus/$t")
    echo "== fuzzing $t for ${seconds}s (log: $log)"
    status=0
    # The Swift runtime's backtracer would race libFuzzer's own crash report.
    # malloc_context_size=0: no stack unwinding per allocation (3-5x faster);
    # replay a crash without it for allocation stacks.
    ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0}" SWIFT_BACKTRACE=enable=no "$bin/$p" "${flags[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1 || status=$?

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.*corp: \([0-9]*\).*/\1/p' <<<"$last")
    crash=$(sed -n "s/.*Test unit written to \(.*\)/\1/p" "$log" | tail -1)
    if ((status != 0)) || [[ -n "$crash" ]]; then
        crashed=1
        # libFuzzer names the artifact after what happened: crash-, timeout-, oom-, leak-.
        kind=crash
        [[ -n "$crash" ]] && kind=$(basename "$crash" | sed -n 's/.*-\(crash\|timeout\|oom\|leak\)-[0-9a-f]*$/\1/p')
        result="$(tr '[:lower:]' '[:upper:]' <<<"${kind:-crash}") ${crash:-exit $status} (see $log)"
        grep -m3 -E 'Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer' "$log" | sed 's/^/    /' || true
    else
        result="ok"
    fi
    summary+=("$(printf '%-16s execs %-10s exec/s %-7s cov %-6s ft %-6s corpus %-6s %s' \
        "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result")")
done

echo
echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit "$crashed"
