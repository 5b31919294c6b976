#!/usr/bin/env bash
# Runs the whole test suite — and so the gateway processes some tests start —
# under a sanitizer, and fails on any report.
#
#   scripts/sanitizers.sh address [--filter REGEX]   # ASan + LeakSanitizer
#   scripts/sanitizers.sh thread  [--filter REGEX]   # ThreadSanitizer
#   scripts/sanitizers.sh all                        # both, one after the other
#
# Each sanitizer builds into its own directory (.build-asan, .build-tsan: a
# sanitizer rebuilds everything, and the normal .build stays untouched). About
# 2 minutes of build and 1 of tests each on 2 cores. `.ci/run` runs `address`.
#
# address: use-after-free, overflows and double frees fail at once
# (halt_on_error); at every exit LeakSanitizer lists what is no longer
# reachable, with scripts/lsan-suppressions.txt naming the process-lifetime
# allocations that are not leaks (see the comments there). A leaked SSL, BIO,
# connection or buffer of the gateway fails the run.
# thread: any data race or lock-order report fails the run (the gateway's one
# lock type, EventLoop's Locked, is a pthread mutex that TSan understands).
#
# Exit status: 0 clean, 1 a sanitizer report or a failed test, 2 usage/build error.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

kind="${1-}"
shift || true
filter=()
while (($# > 0)); do
    case "$1" in
    --filter) filter=(--filter "${2:?--filter takes a regular expression}"); shift 2 ;;
    *) usage >&2; exit 2 ;;
    esac
done

run() {
    local sanitizer="$1" build log status=0
    case "$sanitizer" in
    address) build="$root/.build-asan" ;;
    thread) build="$root/.build-tsan" ;;
    esac
    log="$(mktemp -t "sanitizer-$sanitizer.XXXXXX.log")"
    echo "== swift test --sanitize=$sanitizer ${filter[*]} (log: $log)"
    if ! swift build --package-path "$root" --scratch-path "$build" --build-tests \
        --sanitize="$sanitizer" >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "sanitizers: the $sanitizer build failed"
        exit 2
    fi
    # Both settings reach the gateway child processes too (they inherit the
    # environment), so their reports fail the test that started them.
    ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" \
        LSAN_OPTIONS="suppressions=$root/scripts/lsan-suppressions.txt:print_suppressions=0" \
        TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1" \
        swift test --package-path "$root" --scratch-path "$build" --skip-build \
        --sanitize="$sanitizer" "${filter[@]}" >>"$log" 2>&1 || status=$?
    grep -E "Test run with|^✘" "$log" | tail -n 20 || true
    if grep -qE "ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer" "$log"; then
        grep -m1 -A40 -E "ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer" "$log"
        grep -E "^SUMMARY: (Address|Leak|Thread)Sanitizer" "$log" | sort | uniq -c
        echo "sanitizers: FAILED under $sanitizer (report above, whole log in $log)"
        exit 1
    fi
    if ((status != 0)); then
        tail -n 40 "$log"
        echo "sanitizers: FAILED under $sanitizer (swift test exited with $status)"
        exit 1
    fi
    echo "sanitizers: clean under $sanitizer"
    rm -f "$log"
}

case "$kind" in
address | thread) run "$kind" ;;
all) run address; run thread ;;
-h | --help) usage ;;
*) usage >&2; exit 2 ;;
esac
