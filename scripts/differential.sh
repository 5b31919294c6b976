#!/usr/bin/env bash
# Differential test of the gateway's HTTP/1.1 request parser against llhttp
# (the parser inside Node.js, strict: no lenient flags).
#
#   scripts/differential.sh [cases] [seed]      (default 20000 cases, seed 1)
#
# Builds Fuzz/'s HTTP1Differential runner (no sanitizer) and runs
# Fuzz/differential/differential.js, which prints the counts and every
# disagreement. Exits 1 if the gateway accepts a request llhttp rejects that
# no listed RFC rule explains, or frames an accepted request differently.
# Needs node (llhttp comes from process.binding('http_parser')).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="${FUZZ_BUILD_DIR:-$root/.build-fuzz}"
count="${1:-20000}"
seed="${2:-1}"

command -v node >/dev/null || { echo "differential.sh needs node (llhttp ships inside it)" >&2; exit 2; }

mkdir -p "$work/logs"
if ! (cd "$root/Fuzz" && swift build -c release --scratch-path "$work/plain" --product HTTP1Differential) \
    >"$work/logs/build-HTTP1Differential.log" 2>&1; then
    cat "$work/logs/build-HTTP1Differential.log" >&2
    exit 2
fi
exec node "$root/Fuzz/differential/differential.js" \
    --runner "$work/plain/release/HTTP1Differential" --count "$count" --seed "$seed"
