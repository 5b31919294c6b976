#!/usr/bin/env bash
# Runs the TLS test suite — including a thousand sequential TLS connections,
# failed handshakes, timeouts, plain HTTP on the TLS port and reloads — under
# AddressSanitizer with LeakSanitizer, and fails if anything leaked.
#
#   scripts/tls-leak-check.sh [package-dir]
#
# LeakSanitizer reports every block no longer reachable at exit, so an SSL,
# SSL_CTX, BIO, X509 or SSL_SESSION that is never freed shows up with the stack
# that allocated it, and so does a TLSStream kept alive only by a retain cycle.
# (A block freed twice is an ASan error and fails the run too.) Valgrind is not
# used: it crashes on Swift test binaries in libdispatch's start-up here.
#
# Environment: LEAK_BUILD_DIR (default <package>/.build-asan: a separate build,
# since sanitizers rebuild everything), LEAK_FILTER (default TLSTests).
# Exits 0 when clean, 1 on a leak or a failed test, 2 on a build error.
set -euo pipefail

package="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
build="${LEAK_BUILD_DIR:-$package/.build-asan}"
filter="${LEAK_FILTER:-TLSTests}"

if ! swift build --package-path "$package" --scratch-path "$build" --build-tests --sanitize=address; then
    echo "tls-leak-check: build failed" >&2
    exit 2
fi
binary="$(ls -d "$build"/debug/*PackageTests.xctest | head -n 1)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The allocations that are not leaks (Swift's weak-reference side tables,
# process-lifetime globals) are listed, with reasons, in the shared file.
suppressions="$package/scripts/lsan-suppressions.txt"

set +e
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" \
LSAN_OPTIONS="suppressions=$suppressions:print_suppressions=1" \
    "$binary" --testing-library swift-testing --filter "$filter" > "$work/log" 2>&1
status=$?
set -e

grep -E "Test run with|✘|Suppressions used|formWeakReference" "$work/log" || true
if grep -q "ERROR: LeakSanitizer\|ERROR: AddressSanitizer" "$work/log"; then
    grep -A40 "ERROR: \(Leak\|Address\)Sanitizer" "$work/log"
    echo "tls-leak-check: FAILED (sanitizer report above)"
    exit 1
fi
if [ "$status" -ne 0 ]; then
    tail -n 40 "$work/log"
    echo "tls-leak-check: FAILED (tests exited with $status)"
    exit 1
fi
echo "tls-leak-check: no leak, no double free ($filter)"
